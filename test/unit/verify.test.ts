import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAnswer, pora } from '../../src/verify/verifyAnswer.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { recallChunkOffset } from '../../src/core/recallRange.js';
import { fromHex, toHex } from '../../src/bytes.js';
import { EMPTY_HASH_HEX } from '../../src/spec.js';
import type { PoraAnswer, VerifyView } from '../../src/types.js';
import { EXPECTED_FLOW_ROOT, EXPECTED_QUALITY, FULL_MASK, validExample } from './verifyFixture.js';

const EMPTY = fromHex(EMPTY_HASH_HEX, 32);

function reasonOf(answer: PoraAnswer, view: VerifyView): string {
  const r = verifyAnswer(answer, view);
  return r.ok ? `valid ${toHex(r.quality)}` : r.reason;
}

/** Sets recallPosition to what pora() will accept for the answer's nonce/range/sealOffset. */
function alignRecall(a: PoraAnswer, subtaskDigest: Uint8Array): void {
  const { recallSeed } = computeScratchPad(computePadSeed(a.minerId, a.nonce, subtaskDigest, a.range));
  a.recallPosition = a.range.startPosition + recallChunkOffset(a.range, recallSeed) * 1024n + a.sealOffset * 16n;
}

test('the worked example (spec §10.2) is valid with the EVM-verified quality', () => {
  const { answer, view } = validExample();
  assert.equal(toHex(view.context.flowRoot), EXPECTED_FLOW_ROOT);
  const r = verifyAnswer(answer, view);
  assert.ok(r.ok);
  assert.equal(toHex(r.quality), EXPECTED_QUALITY);
  assert.deepEqual(r.warnings, []);
});

test('reason: MinerId cannot be zero', () => {
  const { answer, view } = validExample();
  answer.minerId = new Uint8Array(32);
  assert.equal(reasonOf(answer, view), 'MinerId cannot be zero');
});

test('reason: MinerId does not registered (only when the view says so)', () => {
  const { answer, view } = validExample();
  view.minerRegistered = false;
  assert.equal(reasonOf(answer, view), 'MinerId does not registered');
  delete view.minerRegistered;
  assert.equal(reasonOf(answer, view), `valid ${EXPECTED_QUALITY}`);
});

test('reason: Inconsistent mining digest', () => {
  const { answer, view } = validExample();
  answer.contextDigest = new Uint8Array(32).fill(1);
  assert.equal(reasonOf(answer, view), 'Inconsistent mining digest');
});

test('reason: Empty digest can not mine', () => {
  const { answer, view } = validExample();
  answer.contextDigest = EMPTY;
  view.context.digest = EMPTY;
  assert.equal(reasonOf(answer, view), 'Empty digest can not mine');
});

test('range reasons in the contract order', () => {
  const cases: [Partial<PoraAnswer['range']>, bigint | null, string][] = [
    [{ startPosition: 1n }, null, 'Start position is not aligned'],
    [{ mineLength: 8192n }, null, 'Mining range overflow'],
    [{ mineLength: (1n << 35n) + 1024n }, 1n << 36n, 'Mining range too long'],
    [{ mineLength: 2048n }, null, 'Mining range too short'],
    [{ shardId: 1n }, null, 'Masked bits should be zero'],
    // Two failures at once: the first in check order wins.
    [{ startPosition: 1n, shardId: 1n }, null, 'Start position is not aligned'],
  ];
  for (const [patch, flowLength, reason] of cases) {
    const { answer, view } = validExample();
    Object.assign(answer.range, patch);
    if (flowLength !== null) view.context.flowLength = flowLength;
    assert.equal(reasonOf(answer, view), reason, JSON.stringify(patch, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }
});

test('reason: Invalid sealed context digest (unknown digest, or range not holding the seal end)', () => {
  for (const range of [null, { start: 0n, end: 1215n }, { start: 1216n, end: 4096n }]) {
    const { answer, view } = validExample();
    view.sealedContextRange = range;
    assert.equal(reasonOf(answer, view), 'Invalid sealed context digest');
  }
  // Boundaries that pass: end == recallPosition + 16, start == recallPosition + 15.
  for (const range of [{ start: 0n, end: 1216n }, { start: 1215n, end: 2048n }]) {
    const { answer, view } = validExample();
    view.sealedContextRange = range;
    assert.equal(reasonOf(answer, view), `valid ${EXPECTED_QUALITY}`);
  }
});

test('reason: Exceeding the allowed number of shards', () => {
  const { answer, view } = validExample();
  answer.range.shardMask = FULL_MASK ^ 63n; // 64 shards, maxShards 32
  assert.equal(reasonOf(answer, view), 'Exceeding the allowed number of shards');
});

test('reason: Seal digest cannot be empty (only with a view that records a range for EMPTY_HASH)', () => {
  const { answer, view } = validExample();
  answer.sealedContextDigest = EMPTY;
  assert.equal(reasonOf(answer, view), 'Seal digest cannot be empty');
});

test('reason: Inconsistent merkle root (proof, data or wrong seal digest)', () => {
  const a1 = validExample();
  a1.answer.merkleProof[3] = new Uint8Array(32);
  assert.equal(reasonOf(a1.answer, a1.view), 'Inconsistent merkle root');
  const a2 = validExample();
  a2.answer.sealedData[100]! ^= 1;
  assert.equal(reasonOf(a2.answer, a2.view), 'Inconsistent merkle root');
  const a3 = validExample();
  a3.answer.merkleProof.pop();
  assert.equal(reasonOf(a3.answer, a3.view), 'Inconsistent merkle root');
  // With the data proof off the tampered answer reaches pora() and fails on quality instead.
  a2.view.dataProofEnabled = false;
  a2.view.poraTarget = 0n;
  assert.equal(reasonOf(a2.answer, a2.view), 'Do not reach target quality');
});

test('reason: Incorrect recall position (data proof off, so pora() is reached)', () => {
  const { answer, view } = validExample();
  view.dataProofEnabled = false;
  answer.recallPosition += 16n;
  assert.equal(reasonOf(answer, view), 'Incorrect recall position');
});

test('reason: Recall position out of bound (sharded range recalling past mineLength)', () => {
  const { answer, view } = validExample();
  view.dataProofEnabled = false;
  view.sealDataEnabled = false;
  view.context.flowLength = 5120n;
  view.sealedContextRange = { start: 0n, end: 1n << 40n };
  answer.range = { startPosition: 0n, mineLength: 5120n, shardId: 7n, shardMask: FULL_MASK ^ 7n };
  // shardId 7 always recalls chunk 7 >= 5 loads: out of bound whatever the nonce.
  assert.equal(reasonOf(answer, view), 'Recall position out of bound');
});

test('reason: Panic(0x12) in the recall chunk when mineLength / 1024 is 0', () => {
  const { answer, view } = validExample();
  view.dataProofEnabled = false;
  view.sealDataEnabled = false;
  view.context.flowLength = 1000n;
  view.sealedContextRange = { start: 0n, end: 1000n };
  answer.range = { startPosition: 0n, mineLength: 0n, shardId: 0n, shardMask: FULL_MASK };
  answer.recallPosition = 0n;
  answer.sealOffset = 0n;
  assert.equal(reasonOf(answer, view), 'Panic(0x12)');
});

test('reason: Panic(0x12) in the shard scale when there are more shards than sectors', () => {
  const { answer, view } = validExample();
  view.dataProofEnabled = false;
  view.sealDataEnabled = false;
  view.maxShards = 4096n;
  view.context.flowLength = 1024n;
  view.sealedContextRange = { start: 0n, end: 1024n };
  answer.range = { startPosition: 0n, mineLength: 1024n, shardId: 0n, shardMask: FULL_MASK ^ 2047n };
  answer.sealOffset = 3n;
  alignRecall(answer, view.subtaskDigest);
  assert.equal(answer.recallPosition, 48n);
  assert.equal(reasonOf(answer, view), 'Panic(0x12)');
});

test('reason: Do not reach target quality, around the bound', () => {
  const { answer, view } = validExample();
  view.poraTarget = 0n;
  assert.equal(reasonOf(answer, view), 'Do not reach target quality');
  // poraTarget whose bound is exactly the quality rounded up to the 2^64 grid passes.
  const q = BigInt(EXPECTED_QUALITY);
  view.poraTarget = ((q >> 64n) + 1n) << 64n;
  assert.equal(reasonOf(answer, view), `valid ${EXPECTED_QUALITY}`);
  view.poraTarget = (q >> 64n) << 64n;
  assert.equal(reasonOf(answer, view), 'Do not reach target quality');
});

test('sharded target scaling: 2 shards halve the bound', () => {
  const { answer, view } = validExample();
  view.dataProofEnabled = false;
  view.sealDataEnabled = false;
  answer.range.shardMask = FULL_MASK ^ 1n;
  answer.range.shardId = 1n;
  alignRecall(answer, view.subtaskDigest);
  const r = pora(answer, view.subtaskDigest);
  assert.ok(r.ok);
  const q = BigInt(toHex(r.quality));
  view.poraTarget = ((q >> 64n) + 1n) << 65n; // bound = target / 2
  assert.equal(verifyAnswer(answer, view).ok, true);
  view.poraTarget = (q >> 64n) << 65n;
  assert.equal(reasonOf(answer, view), 'Do not reach target quality');
});

test('pora(): Miner ID cannot be empty comes first; warnings for sealOffset >= 64', () => {
  const { answer, view } = validExample();
  const zero = { ...answer, minerId: new Uint8Array(32) };
  const r0 = pora(zero, view.subtaskDigest);
  assert.equal(r0.ok ? 'ok' : r0.reason, 'Miner ID cannot be empty');
  view.dataProofEnabled = false;
  answer.sealOffset = 75n; // pad slice 3 like 11, recallPosition beyond the load
  alignRecall(answer, view.subtaskDigest);
  const r = verifyAnswer(answer, view.sealedContextRange ? { ...view, sealedContextRange: { start: 0n, end: 1n << 20n } } : view);
  assert.ok(r.ok);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /sealOffset 75/);
});
