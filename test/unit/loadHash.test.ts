/**
 * Hashing a load once in wasm (store/loadHash.ts) equals the oracle (core/flowTree.ts hashLoad):
 * random loads, load 0's placeholder leaf, and the sector leaves used for file checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hashLoad as oracle } from '../../src/core/flowTree.js';
import { sectorLeaves as oracleLeaves } from '../../src/core/merkle.js';
import { hashLoad, sectorLeaves } from '../../src/store/loadHash.js';
import { equalBytes, toHex } from '../../src/bytes.js';

test('wasm hashLoad equals the core oracle (seal roots and load root), with the leaf-0 rule for load 0 only', () => {
  for (const loadIndex of [0n, 1n, 77n]) {
    const load = randomBytes(262144);
    const got = hashLoad(loadIndex, load);
    const want = oracle(loadIndex, load);
    assert.equal(toHex(got.loadRoot), toHex(want.loadRoot), `load ${loadIndex}`);
    assert.equal(got.sealRoots.length, 64);
    got.sealRoots.forEach((r, i) => assert.ok(equalBytes(r, want.sealRoots[i]!), `load ${loadIndex} seal ${i}`));
  }
  const load = randomBytes(262144);
  assert.ok(!equalBytes(hashLoad(0n, load).loadRoot, hashLoad(1n, load).loadRoot), 'load 0 differs: its leaf 0 is 0x00…00');
  assert.throws(() => hashLoad(1n, new Uint8Array(100)), RangeError);
});

test('wasm sector leaves equal keccak256 of each 256-byte sector (across the 64-sector batches)', () => {
  const data = randomBytes(256 * 200);
  const got = sectorLeaves(data);
  const want = oracleLeaves(data);
  assert.equal(got.length, 200 * 32);
  want.forEach((w, i) => assert.ok(equalBytes(got.subarray(i * 32, i * 32 + 32), w), `sector ${i}`));
});

test('hashFile: node roots equal the TypeScript file check, load roots equal hashLoad of the zero-padded file', async () => {
  const { hashFile } = await import('../../src/store/loadHash.js');
  const { nodeRootsFor } = await import('../../src/miner/dataSource.js');
  const { paddedChunks, splitNodes } = await import('../../src/core/fileRoot.js');
  for (const size of [1, 5000, 262144, 3 * 262144 + 777, 5 * 262144]) {
    const data = randomBytes(size);
    const heights = splitNodes(paddedChunks(size));
    const got = await hashFile(data, heights);
    const want = nodeRootsFor(data, heights);
    assert.deepEqual(got.nodeRoots.map(toHex), want.map(toHex), `size ${size}`);
    const padded = new Uint8Array(Math.max(1, Math.ceil(size / 262144)) * 262144);
    padded.set(data);
    for (const [k, r] of got.loads) if ((k + 1) * 262144 <= padded.length) assert.equal(toHex(r.loadRoot), toHex(oracle(1n, padded.subarray(k * 262144, (k + 1) * 262144)).loadRoot));
    if (heights[0]! >= 10) assert.ok(got.loads.size >= Math.floor(size / 262144), `size ${size}: whole loads hashed`);
  }
});
