/**
 * The pure Reed-Solomon code (src/ec) against the rs- golden vectors, the Rust crate's wasm
 * build (npm dev dependency), and seeded properties: any <= m erasures come back, more fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encode, reconstruct, verify } from '../../src/ec/coder.js';
import { createReferenceCoder } from '../../src/ec/referenceCoder.js';
import { checkParams, encodingMatrix, parityMatrix, TooFewShardsError } from '../../src/ec/reedSolomon.js';
import { gfInv, gfMul } from '../../src/ec/gf256.js';
import { checkRsEncode, checkRsTrial, parseRsCase, prngBytes } from '../../src/selftest/rsCheck.js';
import { loadRustCrate } from '../../src/erasure/rustCrate.js';
import { MinerError } from '../../src/errors.js';
import { toHex } from '../../src/bytes.js';
import { Prng } from '../helpers/random.js';
import { rsVectorFiles } from '../helpers/vectors.js';

const ref = createReferenceCoder();

test('GF(2^8) 0x11D: a few products and every inverse', () => {
  assert.equal(gfMul(2, 0x80), 0x1d);
  assert.equal(gfMul(3, 7), 9);
  for (let a = 1; a < 256; a++) assert.equal(gfMul(a, gfInv(a)), 1);
});

test('4+2 parity rows are the README values and E has the identity on top', () => {
  assert.deepEqual([...parityMatrix({ k: 4, m: 2 }).data], [27, 28, 18, 20, 28, 27, 20, 18]);
  const e = encodingMatrix({ k: 17, m: 3 });
  for (let r = 0; r < 17; r++) for (let c = 0; c < 17; c++) assert.equal(e.data[r * 17 + c], r === c ? 1 : 0);
});

test('the PRNG self-test of the rs vectors', () => {
  const top = JSON.parse(readFileSync(rsVectorFiles()[0]!, 'utf8')) as { prngSelfTest: { seed: string; length: number; hex: string } };
  assert.equal(toHex(prngBytes(top.prngSelfTest.seed, top.prngSelfTest.length)), top.prngSelfTest.hex);
});

for (const file of rsVectorFiles()) {
  const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: unknown[] }).cases;
  test(`rs vectors ${file.split('/').at(-1)}: every case and reconstruct trial on the reference coder`, async () => {
    let trials = 0;
    for (const raw of cases) {
      const c = parseRsCase(raw);
      const { shards, diffs } = await checkRsEncode(c, ref);
      for (const [f, e, g] of diffs) assert.equal(g, e, `${c.id} ${f}`);
      for (const t of c.trials) {
        for (const [f, e, g] of await checkRsTrial(c, t, shards, ref)) assert.equal(g, e, `${c.id} ${f}`);
        trials++;
      }
    }
    assert.ok(trials > 0);
  });
}

test('bad parameters are one-line MinerErrors', async () => {
  for (const [k, m] of [[0, 1], [1, 0], [200, 57], [1.5, 2], [-1, 3]] as const) assert.throws(() => checkParams({ k, m }), MinerError);
  const p = { k: 2, m: 1 };
  await assert.rejects(encode(ref, p, [[new Uint8Array(4), new Uint8Array(5), new Uint8Array(4)]]), /different sizes/);
  await assert.rejects(encode(ref, p, [[new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]]), /empty shards/);
  await assert.rejects(encode(ref, p, [[new Uint8Array(4), new Uint8Array(4)]]), /expected 3 shards/);
});

test('seeded property: any <= m erasures reconstruct exactly; m+1 is TooFewShards and returns nothing', async () => {
  const rng = new Prng('rs-property');
  for (let iter = 0; iter < 40; iter++) {
    const k = 1 + rng.int(iter < 30 ? 12 : 200);
    const m = 1 + rng.int(Math.min(8, 256 - k));
    const S = 1 + rng.int(70);
    const p = { k, m };
    const shards = Array.from({ length: k + m }, (_, i) => (i < k ? rng.bytes(S) : new Uint8Array(S)));
    await encode(ref, p, [shards]);
    assert.equal(await verify(ref, p, shards), true);
    const order = Array.from({ length: k + m }, (_, i) => i).sort(() => rng.int(3) - 1);
    const lost = order.slice(0, 1 + rng.int(m));
    const back = await reconstruct(ref, p, shards.map((s, i) => (lost.includes(i) ? null : s)));
    back.forEach((s, i) => assert.deepEqual(s, shards[i], `k=${k} m=${m} S=${S} lost=${lost} shard ${i}`));
    const tooMany = order.slice(0, m + 1);
    await assert.rejects(reconstruct(ref, p, shards.map((s, i) => (tooMany.includes(i) ? null : s))), TooFewShardsError);
    // A flipped parity byte fails verify.
    shards[k]![0]! ^= 1;
    assert.equal(await verify(ref, p, shards), false);
  }
});

test('encode equals the Rust crate reed-solomon-erasure (npm wasm build) on random shapes', async (t) => {
  const crate = loadRustCrate();
  if (crate === null) return t.skip('@digitaldefiance/reed-solomon-erasure.wasm is not installed (dev dependency)');
  const rng = new Prng('rs-crate');
  for (let iter = 0; iter < 25; iter++) {
    const k = 1 + rng.int(iter < 20 ? 20 : 250);
    const m = 1 + rng.int(256 - k);
    const S = 1 + rng.int(iter < 20 ? 300 : 20);
    const shards = Array.from({ length: k + m }, (_, i) => (i < k ? rng.bytes(S) : new Uint8Array(S)));
    const flat = new Uint8Array((k + m) * S);
    shards.forEach((s, i) => flat.set(s, i * S));
    crate.encode(flat, k, m);
    await encode(ref, { k, m }, [shards]);
    for (let j = 0; j < m; j++) assert.deepEqual(shards[k + j], flat.subarray((k + j) * S, (k + j + 1) * S), `k=${k} m=${m} parity ${j}`);
  }
});
