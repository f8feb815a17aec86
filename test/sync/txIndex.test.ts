/** The transaction index survives restarts and torn writes, and is read as a stream. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TxIndex } from '../../src/sync/txIndex.js';
import type { FlowSubmission } from '../../src/types.js';

function sub(k: number): FlowSubmission {
  return { txSeq: BigInt(k), startPos: BigInt(1024 * (k + 1)), lengthSectors: 4n, sizeBytes: 1000n, nodes: [{ root: new Uint8Array(32).fill(k + 1), height: 2 }], blockNumber: 10 + k };
}

test('tx index: reopened with every transaction; a torn last line is dropped and the file stays appendable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-txs-'));
  const file = join(dir, 'txs.jsonl');
  try {
    let ix = await TxIndex.open(file);
    await ix.add([sub(0), sub(1), sub(2)]);
    await ix.add([sub(2), sub(3)]); // a repeat is ignored
    await ix.close();
    ix = await TxIndex.open(file);
    assert.equal(ix.count, 4);
    assert.equal(ix.nextTxSeq, 4n);
    assert.equal(ix.bySeqNo(3n)?.startPos, 4096n);
    await ix.close();

    // A crash mid-append leaves half a line: it goes, the rest stays.
    appendFileSync(file, '{"s":"4","p":"51');
    ix = await TxIndex.open(file);
    assert.equal(ix.count, 4);
    await ix.add([sub(4)]);
    await ix.close();
    ix = await TxIndex.open(file);
    assert.equal(ix.count, 5);
    assert.deepEqual(ix.overlapping(0n, 1n << 20n).map((t) => t.txSeq), [0n, 1n, 2n, 3n, 4n]);
    await ix.close();

    // A whole last line without its newline is kept, and the next line does not join it.
    truncateSync(file, statSync(file).size - 1);
    ix = await TxIndex.open(file);
    assert.equal(ix.count, 5);
    await ix.add([sub(5)]);
    await ix.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.at(-1), '');
    assert.equal(lines.length, 7);
    ix = await TxIndex.open(file);
    assert.equal(ix.count, 6);
    await ix.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tx index: a 20,000-transaction file opens line by line with the same records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-txs-'));
  const file = join(dir, 'txs.jsonl');
  try {
    const ix = await TxIndex.open(file);
    await ix.add(Array.from({ length: 20_000 }, (_, k) => sub(k)));
    await ix.close();
    const again = await TxIndex.open(file);
    assert.equal(again.count, 20_000);
    assert.equal(again.bySeqNo(19_999n)?.blockNumber, 10 + 19_999);
    assert.equal(again.byDataRoot(again.bySeqNo(7n)!.dataRoot).length >= 1, true);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tx index: data-root lookups find every submission of a file, oldest first, and no other whose root shares its first bytes', async () => {
  const ix = await TxIndex.open(null);
  const rootA = new Uint8Array(32).fill(0x11);
  const rootB = new Uint8Array(32).fill(0x11);
  rootB[31] = 0x22; // the same leading bytes as A: the lookup key collides
  const one = (k: number, root: Uint8Array): FlowSubmission => ({ ...sub(k), nodes: [{ root, height: 3 }] });
  await ix.add([one(0, rootA), sub(1), one(2, rootB), one(3, rootA), sub(4)]);
  assert.deepEqual(ix.byDataRoot(rootA).map((t) => t.txSeq), [0n, 3n]);
  assert.deepEqual(ix.byDataRoot(rootB).map((t) => t.txSeq), [2n]);
  assert.deepEqual(ix.byDataRoot(new Uint8Array(32)).length, 0);
  const t3 = ix.bySeqNo(3n)!;
  assert.deepEqual([t3.startPos, t3.lengthSectors, t3.sizeBytes, t3.blockNumber], [4096n, 4n, 1000n, 13]);
  assert.deepEqual(t3.dataRoot, rootA);
  assert.deepEqual(t3.nodes, [{ root: rootA, height: 3 }]);
  assert.equal(ix.bySeqNo(5n), null);
  assert.deepEqual(ix.overlapping(2048n + 3n, 3073n).map((t) => t.txSeq), [1n, 2n]);
  assert.deepEqual(ix.recentEnds(2), [5 * 1024 + 4, 4 * 1024 + 4].map(BigInt));
  assert.equal(ix.flowEnd, 5n * 1024n + 4n);
  // A log_sync_start_block_number that skipped the first transactions: the index starts later.
  const late = await TxIndex.open(null);
  await late.add([sub(7), sub(8)]);
  assert.equal(late.nextTxSeq, 9n);
  assert.equal(late.bySeqNo(6n), null);
  assert.equal(late.bySeqNo(8n)?.startPos, 9n * 1024n);
});
