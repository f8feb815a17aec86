/**
 * The follower's fast path (hashFile on the hash pool while the store writes) keeps its promise:
 * a local file that disagrees with its Submit event is rejected and nothing of it counts in the
 * store (its bytes were written meanwhile, but never recorded), the store keeps working, and the
 * right file arriving later is stored with roots equal to the core oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowFollower } from '../../src/miner/flowFollower.js';
import { DirDataSource, nodeRootsFor } from '../../src/miner/dataSource.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { hashFile } from '../../src/store/loadHash.js';
import { hashLoad as oracle } from '../../src/core/flowTree.js';
import { paddedChunks, splitNodes } from '../../src/core/fileRoot.js';
import { toHex } from '../../src/bytes.js';
import type { FlowSubmissionView, FlowTreePort, MinerChain } from '../../src/miner/ports.js';

const LOAD = 262144;

test('follower + hash pool: a corrupt local file is rejected and nothing of it is recorded; the right file is then stored with oracle roots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-follower-ingest-'));
  const size = 3 * LOAD + 5000;
  const good = new Uint8Array(randomBytes(size));
  const heights = splitNodes(paddedChunks(size));
  const start = BigInt(2 ** heights[0]!); // aligned to its largest node
  const sub: FlowSubmissionView = {
    txSeq: 0n,
    startPos: start,
    lengthSectors: heights.reduce((n, h) => n + 2n ** BigInt(h), 0n),
    sizeBytes: BigInt(size),
    nodes: nodeRootsFor(good, heights).map((root, k) => ({ root, height: heights[k]! })),
    blockNumber: 1,
  };
  const chain = { blockNumber: async () => 1, submissions: async (from: number, to: number) => (from <= 1 && 1 <= to ? [sub] : []) } as unknown as MinerChain;
  const tree = { addSubmission: async () => ({ startSector: start, endSector: start + sub.lengthSectors }), length: () => 1n } as unknown as FlowTreePort;
  const warnings: string[] = [];
  const store = await SealedStore.open(join(dir, 'store'), { minerId: new Uint8Array(32).fill(5) });
  try {
    const files = new DirDataSource(join(dir, 'files'));
    mkdirSync(files.dir, { recursive: true });
    const bad = Uint8Array.from(good);
    bad[LOAD + 12345] = bad[LOAD + 12345]! ^ 0x01; // one bit in the second load
    writeFileSync(files.path(0n), bad);
    const follower = new FlowFollower({
      chain, store, flowTree: tree, source: files, stateFile: join(dir, 'follower.json'), fromBlock: 0, hashFile,
      log: { info: () => {}, warn: (l: string) => void warnings.push(l) },
    });
    assert.equal(await follower.poll(), 0, 'the corrupt file is not stored');
    assert.ok(warnings.some((w) => /tx 0: local file rejected: node 0/.test(w)), warnings.join('\n'));
    const firstLoad = start / 1024n;
    for (let k = 0n; k < 4n; k++) assert.equal(store.knownSectors(firstLoad + k), 0, `load ${firstLoad + k}: nothing recorded`);
    assert.equal(store.loadRoot(firstLoad), null);
    assert.ok(existsSync(files.path(0n)), 'the rejected file is left where it was');

    writeFileSync(files.path(0n), good);
    assert.equal(await follower.poll(), 1, 'the right file is stored');
    assert.ok(store.rangeKnown(start, start + sub.lengthSectors));
    // Nodes of heights 11, 10, 8: three whole loads, then 256 sectors of the fourth (the rest of it is the next submission's).
    assert.deepEqual(heights, [11, 10, 8]);
    const padded = new Uint8Array(4 * LOAD);
    padded.set(good);
    for (let k = 0; k < 3; k++) {
      const want = oracle(firstLoad + BigInt(k), padded.subarray(k * LOAD, (k + 1) * LOAD));
      assert.equal(toHex(store.loadRoot(firstLoad + BigInt(k))!), toHex(want.loadRoot), `load ${k}`);
      assert.deepEqual(store.sealRoots(firstLoad + BigInt(k))!.map(toHex), want.sealRoots.map(toHex));
      assert.deepEqual(await store.readRawLoad(firstLoad + BigInt(k)), padded.subarray(k * LOAD, (k + 1) * LOAD), `load ${k} raw bytes`);
    }
    assert.equal(store.knownSectors(firstLoad + 3n), 256);
    assert.deepEqual((await store.readRawLoad(firstLoad + 3n)).subarray(0, 256 * 256), padded.subarray(3 * LOAD, 3 * LOAD + 256 * 256));
    assert.ok(!existsSync(files.path(0n)), 'the stored file is deleted');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
