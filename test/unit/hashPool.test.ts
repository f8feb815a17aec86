/**
 * The store's pooled hashing (store/hashPool.ts, hashFile, writeFlowData/writeSubmission) gives
 * byte-identical roots to core/ (the oracle) for random data, whole and partial loads, shared and
 * ordinary buffers; a worker that fails, dies or loses work is an error, never a wrong root, and
 * a store whose hashing failed records nothing and stays usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashLoad as oracle } from '../../src/core/flowTree.js';
import { completeRoot, sectorLeaves } from '../../src/core/merkle.js';
import { paddedChunks, splitNodes } from '../../src/core/fileRoot.js';
import { HashPool } from '../../src/store/hashPool.js';
import { hashFile, hashLoadPooled, rootsAt } from '../../src/store/loadHash.js';
import { nodeRootsFor } from '../../src/miner/dataSource.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { HASH_LOAD_OUT } from '../../src/backend/wasmPora.js';
import { toHex } from '../../src/bytes.js';

const LOAD = 262144;
const MINER = new Uint8Array(32).fill(9);
const FAILING = new URL('../fixtures/failingHashWorker.js', import.meta.url);

function shared(bytes: Uint8Array): Uint8Array {
  const b = new Uint8Array(new SharedArrayBuffer(bytes.length));
  b.set(bytes);
  return b;
}

function assertRoots(out: Uint8Array, data: Uint8Array, firstLoad: bigint, label: string): void {
  const n = data.length / LOAD;
  assert.equal(out.length, n * HASH_LOAD_OUT, label);
  for (let k = 0; k < n; k++) {
    const want = oracle(firstLoad + BigInt(k), data.subarray(k * LOAD, (k + 1) * LOAD));
    const got = rootsAt(out, k);
    assert.equal(toHex(got.loadRoot), toHex(want.loadRoot), `${label}: load ${k} root`);
    assert.deepEqual(got.sealRoots.map(toHex), want.sealRoots.map(toHex), `${label}: load ${k} seal roots`);
  }
}

test('pooled hashLoads equals the core oracle: shared and ordinary buffers, pieces of any size, load 0 leaf rule, views at an offset', async () => {
  const pool = new HashPool({ threads: 2 });
  try {
    for (const loads of [1, 2, 5, 9]) {
      const data = new Uint8Array(randomBytes(loads * LOAD));
      assertRoots(await pool.hashLoads(data), data, 1n, `${loads} loads, ordinary`);
      assertRoots(await pool.hashLoads(shared(data)), data, 1n, `${loads} loads, shared`);
      assertRoots(await pool.hashLoads(shared(data), true), data, 0n, `${loads} loads from load 0`);
    }
    const big = shared(randomBytes(7 * LOAD + 512));
    const view = big.subarray(512);
    assertRoots(await pool.hashLoads(view), view, 1n, 'a view at an offset');
    // Concurrent calls share the queue and keep their own results.
    const a = new Uint8Array(randomBytes(6 * LOAD));
    const b = shared(randomBytes(3 * LOAD));
    const [ra, rb] = await Promise.all([pool.hashLoads(a), pool.hashLoads(b)]);
    assertRoots(ra, a, 1n, 'concurrent a');
    assertRoots(rb, b, 1n, 'concurrent b');
    await assert.rejects(pool.hashLoads(new Uint8Array(LOAD + 256)), RangeError);
  } finally {
    await pool.close();
  }
});

test('hashLoadPooled (peer sync) equals the oracle, load 0 included, and refuses a short load', async () => {
  const pool = new HashPool({ threads: 2 });
  try {
    const loads = Array.from({ length: 3 }, () => new Uint8Array(randomBytes(LOAD)));
    const got = await Promise.all(loads.map((b, i) => hashLoadPooled(BigInt(i), b, pool)));
    got.forEach((r, i) => {
      const want = oracle(BigInt(i), loads[i]!);
      assert.equal(toHex(r.loadRoot), toHex(want.loadRoot), `load ${i}`);
      assert.deepEqual(r.sealRoots.map(toHex), want.sealRoots.map(toHex), `load ${i} seal roots`);
    });
    await assert.rejects(hashLoadPooled(1n, new Uint8Array(LOAD - 256), pool), RangeError);
  } finally {
    await pool.close();
  }
});

test('hashFile on the pool: node roots equal the TypeScript check, load roots the oracle of the zero-padded file (partial last load)', async () => {
  const pool = new HashPool({ threads: 2 });
  try {
    for (const size of [300, 262144, 2 * LOAD + 1, 3 * LOAD + 777, 5 * LOAD + 12345, 9 * LOAD]) {
      const data = shared(randomBytes(size));
      const heights = splitNodes(paddedChunks(size));
      const got = await hashFile(data, heights, pool);
      assert.deepEqual(got.nodeRoots.map(toHex), nodeRootsFor(data, heights).map(toHex), `size ${size}: node roots`);
      // Loads covered by nodes of height ≥ 10 (the rest of the file is in smaller nodes, not loads).
      const loads = heights.filter((h) => h >= 10).reduce((n, h) => n + 2 ** (h - 10), 0);
      assert.equal(got.loads.size, loads, `size ${size}: every load of the big nodes`);
      const padded = new Uint8Array(Math.max(loads, Math.ceil(size / LOAD)) * LOAD);
      padded.set(data);
      for (let k = 0; k < loads; k++) {
        const want = oracle(1n, padded.subarray(k * LOAD, (k + 1) * LOAD));
        const r = got.loads.get(k)!;
        assert.equal(toHex(r.loadRoot), toHex(want.loadRoot), `size ${size}: load ${k}`);
        assert.deepEqual(r.sealRoots.map(toHex), want.sealRoots.map(toHex), `size ${size}: load ${k} seal roots`);
      }
    }
  } finally {
    await pool.close();
  }
});

for (const mode of ['throw', 'exit', 'short'] as const) {
  test(`a hash worker that fails (${mode}) is an error, never a root; the pool replaces it`, async () => {
    process.env['ZG_TEST_HASH_FAIL'] = mode;
    const pool = new HashPool({ threads: 2, script: FAILING });
    try {
      const data = new Uint8Array(randomBytes(9 * LOAD));
      await assert.rejects(pool.hashLoads(data), (e: Error) => {
        assert.match(e.message, mode === 'throw' ? /injected hash failure/ : mode === 'exit' ? /exited \(code 3\)/ : /hashed 3 of 4 loads|hashed 0 of 1 loads/);
        return true;
      });
      // A later call meets a fresh worker (which fails the same way here), not a dead one that never answers.
      await assert.rejects(pool.hashLoads(data));
    } finally {
      delete process.env['ZG_TEST_HASH_FAIL'];
      await pool.close();
    }
  });
}

test('a closed pool rejects calls in flight and new ones', async () => {
  const pool = new HashPool({ threads: 1 });
  const running = assert.rejects(pool.hashLoads(new Uint8Array(randomBytes(16 * LOAD))), /closed/);
  await pool.close();
  await running;
  await assert.rejects(pool.hashLoads(new Uint8Array(2 * LOAD)), /closed/);
});

test('store: a hashing failure while writing records nothing and leaves the store usable; roots then equal the oracle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-hashpool-'));
  process.env['ZG_TEST_HASH_FAIL'] = 'throw';
  const failing = new HashPool({ threads: 2, script: FAILING });
  try {
    const data = new Uint8Array(randomBytes(3 * LOAD));
    const store = await SealedStore.open(dir, { minerId: MINER, hashPool: failing });
    await assert.rejects(store.writeFlowData(1024n, data), /injected hash failure/);
    assert.equal(store.knownSectors(1n), 0, 'nothing recorded');
    // writeSubmission with roots still being checked: a rejected check records nothing either.
    await assert.rejects(store.writeSubmission(1024n, 4096n, data, Promise.reject(new Error('file failed its check'))), /file failed its check/);
    assert.equal(store.knownSectors(2n), 0);
    assert.equal(store.loadRoot(1n), null);
    await store.close();
    const again = await SealedStore.open(dir, { minerId: MINER, hashPool: new HashPool({ threads: 2 }) });
    try {
      assert.equal(again.knownSectors(1n), 0, 'nothing known after reopening');
      await again.writeFlowData(1024n, data);
      for (let k = 0; k < 3; k++) {
        const want = oracle(BigInt(k + 1), data.subarray(k * LOAD, (k + 1) * LOAD));
        assert.equal(toHex(again.loadRoot(BigInt(k + 1))!), toHex(want.loadRoot), `load ${k + 1}`);
        assert.deepEqual(again.sealRoots(BigInt(k + 1))!.map(toHex), want.sealRoots.map(toHex));
      }
      assert.equal(toHex(again.loadRoot(1n)!), toHex(completeRoot(sectorLeaves(data.subarray(0, LOAD)))));
    } finally {
      await again.close();
    }
  } finally {
    delete process.env['ZG_TEST_HASH_FAIL'];
    await failing.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
