/**
 * The wasm hashing of the verifier (verifyBatch/wasmHashes.ts) against the TypeScript oracle
 * (verify/hashes.ts coreHashes): every hash on seeded random inputs, edge indices and proof
 * lengths, and whole verdicts on mutated answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreHashes } from '../../src/verify/hashes.js';
import { wasmHashes } from '../../src/verifyBatch/wasmHashes.js';
import { verifyAnswer } from '../../src/verify/verifyAnswer.js';
import { toHex } from '../../src/bytes.js';
import { Prng } from '../helpers/random.js';
import { FULL_MASK, UINT256_MAX, validExample } from './verifyFixture.js';

const prng = new Prng('verify-wasm');
const big = (bytes: number): bigint => BigInt(toHex(prng.bytes(bytes)));

test('wasm hashes equal core hashes: pad/recall seed, quality, unseal, Merkle path', () => {
  const core = coreHashes();
  const wasm = wasmHashes();
  const offsets = [0n, 1n, 3n, 63n, 64n, 75n, (1n << 64n) - 1n, 1n << 64n, 1n << 252n, UINT256_MAX];
  const positions = [0n, 16n, 1200n, (1n << 64n) * 16n, (1n << 252n) + 7n, UINT256_MAX - 15n];
  for (let t = 0; t < 12; t++) {
    const minerId = prng.bytes(32);
    const nonce = prng.bytes(32);
    const subtask = prng.bytes(32);
    const range = { startPosition: big(prng.int(33)), mineLength: big(prng.int(33)), shardId: big(8) & FULL_MASK, shardMask: big(8) & FULL_MASK };
    assert.equal(toHex(wasm.scratchPad(minerId, nonce, subtask, range).recallSeed), toHex(core.scratchPad(minerId, nonce, subtask, range).recallSeed));
    const sealed = prng.bytes(4096);
    const off = offsets[t % offsets.length]!;
    assert.equal(toHex(wasm.quality(sealed, off)), toHex(core.quality(sealed, off)), `quality at sealOffset ${off}`);
    const pos = positions[t % positions.length]!;
    const ctx = prng.bytes(32);
    assert.equal(toHex(wasm.unseal(sealed, minerId, ctx, pos)), toHex(core.unseal(sealed, minerId, ctx, pos)));
    for (const n of [0, 1, 8, 63, 64, 300]) {
      const proof = Array.from({ length: n }, () => prng.bytes(32));
      assert.equal(toHex(wasm.merkleRoot(sealed, pos, proof)), toHex(core.merkleRoot(sealed, pos, proof)), `proof of ${n} at ${pos}`);
    }
  }
});

test('verifyAnswer with wasm hashes gives the core verdict, reason, quality and warnings', () => {
  const wasm = wasmHashes();
  const muts: ((a: ReturnType<typeof validExample>) => void)[] = [
    () => undefined,
    ({ answer }) => (answer.nonce = prng.bytes(32)),
    ({ answer }) => (answer.sealedData[prng.int(4096)]! ^= 1),
    ({ answer }) => answer.merkleProof.reverse(),
    ({ answer }) => (answer.recallPosition += 16n),
    ({ answer, view }) => {
      view.dataProofEnabled = false;
      answer.sealOffset += 64n;
    },
    ({ view }) => (view.poraTarget = 1n << 250n),
    ({ answer, view }) => {
      view.dataProofEnabled = false;
      view.sealDataEnabled = false;
      answer.sealOffset = 1n << 200n;
    },
  ];
  for (const m of muts) {
    const ex = validExample();
    m(ex);
    const a = verifyAnswer(ex.answer, ex.view);
    const b = verifyAnswer(ex.answer, ex.view, wasm);
    assert.deepEqual({ ...b, ...(b.ok ? { quality: toHex(b.quality) } : {}) }, { ...a, ...(a.ok ? { quality: toHex(a.quality) } : {}) });
  }
});
