/**
 * The wasm SIMD coder against the reference coder, byte for byte: on the calling thread (odd
 * shard sizes, every row-group remainder) and through the worker pool (shared memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCpuCoder } from '../../src/erasure/cpuCoder.js';
import { applyReference } from '../../src/ec/referenceCoder.js';
import { matrix } from '../../src/ec/matrix.js';
import { encode, reconstruct } from '../../src/ec/coder.js';
import { Prng } from '../helpers/random.js';

function randomMatrix(rng: Prng, rows: number, cols: number) {
  return matrix(rows, cols, rng.bytes(rows * cols));
}

test('rs.wasm equals the reference on random matrices and shard sizes (calling thread)', async () => {
  const coder = await createCpuCoder({ threads: 1 });
  const rng = new Prng('cpu-coder');
  try {
    for (let iter = 0; iter < 60; iter++) {
      const rows = 1 + rng.int(iter < 50 ? 9 : 128);
      const cols = 1 + rng.int(iter < 50 ? 17 : 255);
      const S = 1 + rng.int(iter % 3 === 0 ? 5000 : 100);
      const m = randomMatrix(rng, rows, cols);
      const inputs = Array.from({ length: cols }, () => rng.bytes(S));
      const got = Array.from({ length: rows }, () => rng.bytes(S)); // junk: must be overwritten
      const want = Array.from({ length: rows }, () => new Uint8Array(S));
      await coder.apply(m, [{ inputs, outputs: got }]);
      applyReference(m, { inputs, outputs: want });
      got.forEach((g, r) => assert.deepEqual(g, want[r], `rows=${rows} cols=${cols} S=${S} row ${r}`));
    }
  } finally {
    await coder.dispose();
  }
});

test('the worker pool (shared memory, several stripes) equals the reference; encode + reconstruct round trip', async () => {
  const coder = await createCpuCoder({ threads: 2 });
  const rng = new Prng('cpu-pool');
  try {
    const p = { k: 10, m: 4 };
    const S = 300_000 + 13;
    const codewords = Array.from({ length: 2 }, () =>
      Array.from({ length: p.k + p.m }, (_, i) => {
        const a = new Uint8Array(new SharedArrayBuffer(S));
        if (i < p.k) a.set(rng.bytes(S));
        return a;
      })
    );
    await encode(coder, p, codewords);
    for (const cw of codewords) {
      const want = Array.from({ length: p.m }, () => new Uint8Array(S));
      const { parityMatrix } = await import('../../src/ec/reedSolomon.js');
      applyReference(parityMatrix(p), { inputs: cw.slice(0, p.k), outputs: want });
      want.forEach((w, j) => assert.deepEqual(cw[p.k + j], w, `parity ${j}`));
      const back = await reconstruct(coder, p, cw.map((s, i) => ([0, 5, 11, 13].includes(i) ? null : s)));
      back.forEach((s, i) => assert.deepEqual(s, cw[i], `shard ${i}`));
    }
  } finally {
    await coder.dispose();
  }
});
