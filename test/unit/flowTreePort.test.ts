/**
 * The persisted flow tree (store/persistedFlowTree.ts) behind FlowTreePort, and the store's
 * verified-load ingest: nodes below an event node come only from recorded loads; a load root
 * that disagrees with the events is refused; the tree survives a reopen and a torn meta slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PersistedFlowTree } from '../../src/store/persistedFlowTree.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { hashLoad } from '../../src/store/loadHash.js';
import { FlowTree } from '../../src/core/flowTree.js';
import { foldProof } from '../../src/core/merkle.js';
import { isMinerError } from '../../src/errors.js';
import { equalBytes } from '../../src/bytes.js';
import type { FlowSubmission } from '../../src/types.js';

/** Four loads submitted as one height-12 node (the event knows nothing below it), then one load. */
function flow(): { ref: FlowTree; loads: Uint8Array[]; subs: FlowSubmission[] } {
  const ref = new FlowTree();
  const loads = [0, 1, 2, 3, 4].map(() => randomBytes(262144));
  const four = new Uint8Array(4 * 262144);
  loads.slice(0, 4).forEach((l, i) => four.set(l, i * 262144));
  const a = ref.submitFile(four);
  const b = ref.submitFile(loads[4]!);
  const node = (start: bigint, h: number): Uint8Array => ref.nodeAt(h, start >> BigInt(h));
  const subs: FlowSubmission[] = [
    { txSeq: 0n, startPos: a.startPos, lengthSectors: a.length, sizeBytes: BigInt(four.length), nodes: [{ root: node(a.startPos, 12), height: 12 }], blockNumber: 1 },
    { txSeq: 1n, startPos: b.startPos, lengthSectors: b.length, sizeBytes: 262144n, nodes: [{ root: node(b.startPos, 10), height: 10 }], blockNumber: 2 },
  ];
  return { ref, loads, subs };
}

test('flow tree: proofs inside an event node need the recorded loads; a wrong load root is refused; it all persists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-tree-'));
  try {
    const { ref, loads, subs } = flow();
    let tree = await PersistedFlowTree.open(dir);
    assert.equal(tree.length(), 1n);
    for (const s of subs) await tree.addSubmission(s);
    assert.equal(tree.length(), ref.length);
    assert.ok(equalBytes(await tree.rootAt(ref.length), ref.root()));
    const first = subs[0]!.startPos / 1024n; // load index of the first of the four loads
    await assert.rejects(tree.proof(10, first, ref.length), (e) => isMinerError(e, 'STORE_ERROR') && /unknown/.test((e as Error).message));
    assert.equal(await tree.node(10, first), null);
    const wrong = hashLoad(first, randomBytes(262144));
    // A wrong root is caught once the climb reaches a known node (the event's level-12 root):
    for (let i = 1; i < 4; i++) await tree.recordLoad(first + BigInt(i), hashLoad(first + BigInt(i), loads[i]!).loadRoot, []);
    await assert.rejects(tree.recordLoad(first, wrong.loadRoot, wrong.sealRoots), /disagrees with the flow tree/);
    assert.equal(await tree.node(10, first), null, 'nothing of the refused load is kept');
    for (let i = 0; i < 4; i++) await tree.recordLoad(first + BigInt(i), hashLoad(first + BigInt(i), loads[i]!).loadRoot, []);
    await assert.rejects(tree.recordLoad(100n, wrong.loadRoot, []), /beyond the flow length/);
    const check = async (t: PersistedFlowTree): Promise<void> => {
      for (let i = 0n; i < 4n; i++) {
        const proof = await t.proof(10, first + i, ref.length);
        assert.ok(equalBytes(foldProof(hashLoad(first + i, loads[Number(i)]!).loadRoot, first + i, proof), ref.root()), `load ${first + i}`);
        assert.ok(equalBytes((await t.node(10, first + i))!, ref.nodeAt(10, first + i)));
      }
      for (const s of subs) assert.ok(equalBytes(await t.rootAt(s.startPos + s.lengthSectors), ref.rootAt(s.startPos + s.lengthSectors)));
    };
    await check(tree);
    await tree.close();
    tree = await PersistedFlowTree.open(dir);
    await check(tree);
    await tree.close();

    // A torn write of the newest meta slot (seq 2 → slot 0): the open falls back to the previous
    // slot (one event applied), and re-applying the second event restores the same tree.
    const fd = openSync(join(dir, 'meta.bin'), 'r+');
    writeSync(fd, randomBytes(40), 0, 40, 0);
    closeSync(fd);
    tree = await PersistedFlowTree.open(dir);
    assert.equal(tree.length(), subs[0]!.startPos + subs[0]!.lengthSectors);
    await tree.addSubmission(subs[1]!);
    await check(tree);
    await tree.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('store: writeVerifiedLoad stores a checked load without hashing, completes it, records it in the tree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-verified-'));
  try {
    const { loads, subs } = flow();
    const store = await SealedStore.open(dir, { minerId: new Uint8Array(32).fill(3) });
    for (const s of subs) await store.flowTree.addSubmission(s);
    const L = subs[0]!.startPos / 1024n + 2n;
    const roots = hashLoad(L, loads[2]!);
    await store.writeVerifiedLoad(L, loads[2]!, roots);
    assert.ok(store.isLoadComplete(L));
    assert.ok(equalBytes(await store.readRawLoad(L), loads[2]!));
    store.sealRoots(L)!.forEach((r, i) => assert.ok(equalBytes(r, roots.sealRoots[i]!)));
    assert.ok(equalBytes((await store.flowTree.node(10, L))!, roots.loadRoot));
    // The given roots are trusted (not rehashed), but where the tree already knows the load's
    // node (load 4 was submitted as its own node) a disagreeing root is refused before any write.
    const L4 = subs[1]!.startPos / 1024n;
    await assert.rejects(store.writeVerifiedLoad(L4, loads[3]!, hashLoad(L4, loads[3]!)), /disagrees with the flow tree/);
    assert.ok(!store.isLoadComplete(L4));
    await store.writeVerifiedLoad(L4, loads[4]!, hashLoad(L4, loads[4]!));
    assert.ok(store.isLoadComplete(L4));
    assert.throws(() => void store.writeVerifiedLoad(L, new Uint8Array(10), roots), RangeError);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
