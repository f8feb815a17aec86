/**
 * pora.wasm (through backend/wasmPora.ts) against core/, the oracle: the pora-public vectors and
 * seeded random inputs, byte for byte, for every stage (pad seed, pad, pad digest, recall seed,
 * recall chunk, quality) and for the fused scan/search loops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WasmPora } from '../../src/backend/wasmPora.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { batchNonce } from '../../src/core/nonce.js';
import {
  meetsTarget,
  rangeDigest,
  recallChunkOffset,
  recallInBound,
  recallLoadStart,
} from '../../src/core/recallRange.js';
import { bytesToBigInt, fromHex, toHex } from '../../src/bytes.js';
import type { RecallRange } from '../../src/types.js';
import { xorshiftStream } from '../helpers/random.js';
import { vectorFile } from '../helpers/vectors.js';

const UINT64_MAX = (1n << 64n) - 1n;
const prng = xorshiftStream;

function shardRange(startPosition: bigint, mineLength: bigint, shards: bigint, shardId: bigint): RecallRange {
  return { startPosition, mineLength, shardId, shardMask: ~(shards - 1n) & UINT64_MAX };
}

function setJob(w: WasmPora, minerId: Uint8Array, subtaskDigest: Uint8Array, range: RecallRange, bound = 0n): void {
  w.setJob({ minerId, subtaskDigest, rangeDigest: rangeDigest(range), range, bound });
}

interface PoraCase {
  minerId: string;
  nonce: string;
  subtaskDigest: string;
  range: { startPosition: string; mineLength: string; shardId: string; shardMask: string };
  sealOffset: string;
  sealedData: string;
  recallPosition: string;
  expected: { padSeed: string; padDigest: string; recallSeed: string; recallChunkPosition: string; poraOutput: string };
}

const w = new WasmPora();

test('pora-public vectors: every stage matches the contract', () => {
  const file = JSON.parse(readFileSync(vectorFile('pora-public.json'), 'utf8')) as { cases: PoraCase[] };
  assert.ok(file.cases.length >= 10);
  file.cases.forEach((c, i) => {
    const range: RecallRange = {
      startPosition: BigInt(c.range.startPosition),
      mineLength: BigInt(c.range.mineLength),
      shardId: BigInt(c.range.shardId),
      shardMask: BigInt(c.range.shardMask),
    };
    setJob(w, fromHex(c.minerId, 32), fromHex(c.subtaskDigest, 32), range);
    w.setNonce(fromHex(c.nonce, 32));
    w.scratchPad();
    assert.equal(toHex(w.padSeed()), c.expected.padSeed, `pora-public #${i} padSeed`);
    assert.equal(toHex(w.padDigest()), c.expected.padDigest, `pora-public #${i} padDigest`);
    assert.equal(toHex(w.recallSeed()), c.expected.recallSeed, `pora-public #${i} recallSeed`);
    const { chunkOffset, loadIndex } = w.recall();
    assert.notEqual(loadIndex, null, `pora-public #${i} in bound`);
    assert.equal(range.startPosition + chunkOffset * 1024n, BigInt(c.expected.recallChunkPosition), `pora-public #${i} recallChunkPosition`);
    const q = w.sealQuality(fromHex(c.sealedData, 4096), BigInt(c.sealOffset));
    assert.equal(toHex(q), c.expected.poraOutput, `pora-public #${i} poraOutput`);
  });
});

test('seeded random inputs: pad, recall and quality equal core/ (1/2/8/32 shards, positions above 2^53)', () => {
  const rnd = prng(0x5eed);
  const cases: RecallRange[] = [
    shardRange(0n, 1n << 20n, 1n, 0n),
    shardRange(1n << 25n, 3n << 25n, 2n, 1n),
    shardRange(123n << 25n, 1n << 35n, 8n, 5n),
    shardRange((1n << 62n) - (1n << 25n), (1n << 35n) * 32n, 32n, 17n),
    shardRange(1n << 55n, 5n * 1024n, 1n, 0n),
  ];
  for (const [ci, range] of cases.entries()) {
    const minerId = rnd(32);
    const subtaskDigest = rnd(32);
    const nonce = rnd(32);
    setJob(w, minerId, subtaskDigest, range);
    w.setNonce(nonce);
    w.scratchPad();
    const padSeed = computePadSeed(minerId, nonce, subtaskDigest, range);
    const sp = computeScratchPad(padSeed);
    assert.deepEqual(w.padSeed(), padSeed, `case ${ci} padSeed`);
    assert.deepEqual(w.pad(), sp.pad, `case ${ci} pad`);
    assert.deepEqual(w.padDigest(), sp.padDigest, `case ${ci} padDigest`);
    assert.deepEqual(w.recallSeed(), sp.recallSeed, `case ${ci} recallSeed`);
    const chunkOffset = recallChunkOffset(range, sp.recallSeed);
    const got = w.recall();
    assert.equal(got.chunkOffset, chunkOffset, `case ${ci} chunkOffset`);
    assert.equal(got.loadIndex, recallInBound(range, chunkOffset) ? recallLoadStart(range, chunkOffset) / 1024n : null);
    const datas = [rnd(4096), new Uint8Array(4096), new Uint8Array(4096).fill(0xff)];
    for (const sealed of datas)
      for (const off of [0, 3, 4, 63]) {
        const expected = poraOutput(off, padSeed, mixSeal(sealed, sp.pad, off));
        assert.deepEqual(w.sealQuality(sealed, off), expected, `case ${ci} sealOffset ${off}`);
      }
    // sealOffset beyond 2^32: the u256be header and the pad slice (mod 4) both follow
    const big = (1n << 40n) + 6n;
    assert.deepEqual(w.sealQuality(datas[0]!, big), poraOutput(big, padSeed, mixSeal(datas[0]!, sp.pad, big)));
  }
});

test('batch nonces: setBatchNonce writes base ⊕ u64le(i)', () => {
  const rnd = prng(7);
  const range = shardRange(0n, 1n << 20n, 1n, 0n);
  const minerId = rnd(32);
  const subtaskDigest = rnd(32);
  const base = rnd(32);
  setJob(w, minerId, subtaskDigest, range);
  for (const i of [0n, 1n, 255n, 1n << 40n, UINT64_MAX]) {
    w.setBatchNonce(base, i);
    w.scratchPad();
    assert.deepEqual(w.padSeed(), computePadSeed(minerId, batchNonce(base, i), subtaskDigest, range), `nonce ${i}`);
  }
});

test('scanLoad: first held seal meeting the bound, holes skipped, hashes counted', () => {
  const rnd = prng(99);
  const range = shardRange(0n, 1n << 20n, 1n, 0n);
  const minerId = rnd(32);
  const subtaskDigest = rnd(32);
  const nonce = rnd(32);
  const load = rnd(262144);
  const padSeed = computePadSeed(minerId, nonce, subtaskDigest, range);
  const { pad } = computeScratchPad(padSeed);
  const qualities = Array.from({ length: 64 }, (_, i) =>
    poraOutput(i, padSeed, mixSeal(load.subarray(i * 4096, (i + 1) * 4096), pad, i))
  );
  const mask = 0xf0f0_0000_0000_1234n; // bits 2, 4, 5, 9, 12, 52.. (holes everywhere)
  const held = [...Array(64).keys()].filter((i) => ((mask >> BigInt(i)) & 1n) === 1n);
  // bound = the 3rd-smallest held quality: the first held seal (ascending index) at or below it
  const sorted = held.map((i) => bytesToBigInt(qualities[i]!)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const bound of [0n, sorted[2]!, (1n << 256n) - 1n]) {
    setJob(w, minerId, subtaskDigest, range, bound);
    w.setNonce(nonce);
    w.scratchPad();
    w.loadRegion().set(load);
    const { index, hashes } = w.scanLoad(Number(mask & 0xffffffffn), Number(mask >> 32n));
    const expected = held.findIndex((i) => meetsTarget(qualities[i]!, bound));
    if (expected < 0) {
      assert.equal(index, -1);
      assert.equal(hashes, held.length);
    } else {
      assert.equal(index, held[expected]);
      assert.equal(hashes, expected + 1);
      assert.deepEqual(w.hitQuality(), qualities[index]);
      assert.deepEqual(w.loadSeal(index), load.subarray(index * 4096, (index + 1) * 4096));
    }
  }
  w.loadRegion().set(load);
  assert.deepEqual(w.scanLoad(0, 0), { index: -1, hashes: 0 });
});

test('searchResident: recall, mask lookup and hits over shared loads equal core/', () => {
  const rnd = prng(2024);
  // 7 loads, shard 1 of 2: odd offsets 1..7; offset 7 starts exactly at the range end, which the
  // contract's `<=` bound check still accepts, so it is mined when held
  const range = shardRange(1n << 25n, 7n * 1024n, 2n, 1n);
  const minerId = rnd(32);
  const subtaskDigest = rnd(32);
  const base = rnd(32);
  const firstLoad = (1n << 25n) / 1024n;
  const loadCount = 8;
  const chunks = [new Uint8Array(new SharedArrayBuffer(4 * 262144)), new Uint8Array(new SharedArrayBuffer(4 * 262144))];
  for (const c of chunks) c.set(rnd(c.length));
  const masks = new Uint32Array(new SharedArrayBuffer(8 * loadCount));
  const mask64 = (i: number): bigint => (i === 3 ? 0n : i === 5 ? 0x8000_0000_0000_0001n : UINT64_MAX);
  for (let i = 0; i < loadCount; i++) {
    masks[2 * i] = Number(mask64(i) & 0xffffffffn);
    masks[2 * i + 1] = Number(mask64(i) >> 32n);
  }
  const bound = 1n << 252n; // about 1 seal in 16 meets it
  setJob(w, minerId, subtaskDigest, range, bound);
  const count = 12;
  const got = w.searchResident(base, 100n, count, { firstLoad, loadCount, loadsPerChunk: 4, chunks, masks }, () => false);
  let sealHashes = 0;
  let skipped = 0;
  const hits: { k: number; sealOffset: number; quality: string }[] = [];
  for (let k = 0; k < count; k++) {
    const padSeed = computePadSeed(minerId, batchNonce(base, 100n + BigInt(k)), subtaskDigest, range);
    const { pad, recallSeed } = computeScratchPad(padSeed);
    const off = recallChunkOffset(range, recallSeed);
    const rel = Number(recallLoadStart(range, off) / 1024n - firstLoad);
    if (!recallInBound(range, off) || mask64(rel) === 0n) {
      skipped++;
      continue;
    }
    const load = chunks[Math.floor(rel / 4)]!.subarray((rel % 4) * 262144, (rel % 4 + 1) * 262144);
    for (let i = 0; i < 64; i++) {
      if (((mask64(rel) >> BigInt(i)) & 1n) === 0n) continue;
      const q = poraOutput(i, padSeed, mixSeal(load.subarray(i * 4096, (i + 1) * 4096), pad, i));
      sealHashes++;
      if (meetsTarget(q, bound)) {
        hits.push({ k, sealOffset: i, quality: toHex(q) });
        break;
      }
    }
  }
  assert.deepEqual(got.stats, { nonces: count, sealHashes, skipped });
  assert.deepEqual(
    got.hits.map((h) => ({ k: h.k, sealOffset: h.sealOffset, quality: toHex(h.quality) })),
    hits
  );
  assert.ok(hits.length > 0 && skipped > 0, 'the seed exercises hits and skips');
  // stop() is honoured before each nonce
  let calls = 0;
  const stopped = w.searchResident(base, 0n, 50, { firstLoad, loadCount, loadsPerChunk: 4, chunks, masks }, () => ++calls > 3);
  assert.equal(stopped.stats.nonces, 3);
});

test('argument checks', () => {
  assert.throws(() => w.setNonce(new Uint8Array(31)), RangeError);
  assert.throws(() => w.sealQuality(new Uint8Array(4095), 0), RangeError);
  assert.throws(() => w.sealQuality(new Uint8Array(4096), -1n), RangeError);
});

test('sealOne: wasm seal and unseal equal core/ (seeded data, zero data, start sectors 0, 2^53+, 2^64-16, 2^200)', async () => {
  const { seal, unseal } = await import('../../src/core/seal.js');
  const { Prng } = await import('../helpers/random.js');
  const rng = new Prng('wasm-seal');
  const w = new WasmPora();
  const starts = [0n, 16n, (1n << 53n) + 48n, (1n << 64n) - 16n, 1n << 200n];
  for (const [k, start] of starts.entries()) {
    const data = k === 1 ? new Uint8Array(4096) : rng.bytes(4096);
    const minerId = rng.bytes(32);
    const digest = rng.bytes(32);
    const sealed = w.sealOne(data, minerId, digest, start, 'seal');
    assert.equal(toHex(sealed), toHex(seal(data, minerId, digest, start)), `seal #${k}`);
    assert.equal(toHex(w.sealOne(sealed, minerId, digest, start, 'unseal')), toHex(data), `unseal #${k}`);
    assert.equal(toHex(w.sealOne(data, minerId, digest, start, 'unseal')), toHex(unseal(data, minerId, digest, start)), `unseal of arbitrary bytes #${k}`);
  }
});
