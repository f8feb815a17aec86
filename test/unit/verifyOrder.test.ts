/**
 * The order of the contract's checks where two failures meet and one of them is a checked
 * arithmetic panic (RecallRange.check, PoraMine.pora). Each case has two faults; the reason is the
 * one solc's code reaches first (spec §3.4, §7.2; the e2e sweep confirms them on the deployed code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAnswer, pora } from '../../src/verify/verifyAnswer.js';
import { checkRange } from '../../src/core/recallRange.js';
import { toHex } from '../../src/bytes.js';
import type { PoraAnswer, VerifyView } from '../../src/types.js';
import { FULL_MASK, UINT256_MAX, validExample } from './verifyFixture.js';

const reasonOf = (r: ReturnType<typeof verifyAnswer>): string => (r.ok ? `valid ${toHex(r.quality)}` : r.reason);

test('checkRange: an unaligned start is reported before the start + mineLength overflow', () => {
  const range = { startPosition: 1n, mineLength: UINT256_MAX, shardId: 0n, shardMask: FULL_MASK };
  assert.equal(checkRange(range, 4096n), 'Start position is not aligned');
  // Aligned, the checked addition panics before "Mining range overflow" could be said.
  assert.equal(checkRange({ ...range, startPosition: 1n << 25n }, 4096n), 'Panic(0x11)');
  assert.equal(checkRange({ ...range, startPosition: 1n << 25n, mineLength: UINT256_MAX - (1n << 25n) }, 4096n), 'Mining range overflow');
});

test('verifyAnswer: unaligned start with an overflowing end says "Start position is not aligned"', () => {
  const { answer, view } = validExample();
  answer.range.startPosition = 1n;
  answer.range.mineLength = UINT256_MAX;
  assert.equal(reasonOf(verifyAnswer(answer, view)), 'Start position is not aligned');
  answer.range.startPosition = UINT256_MAX - (UINT256_MAX % (1n << 25n)); // aligned, end overflows
  assert.equal(reasonOf(verifyAnswer(answer, view)), 'Panic(0x11)');
});

/** A range whose recalled load is always past mineLength (shardId 7 of 8, 5 loads), checks off. */
function outOfBound(): { answer: PoraAnswer; view: VerifyView } {
  const { answer, view } = validExample();
  view.dataProofEnabled = false;
  view.sealDataEnabled = false;
  view.context.flowLength = 5120n;
  view.sealedContextRange = { start: 0n, end: UINT256_MAX };
  answer.range = { startPosition: 0n, mineLength: 5120n, shardId: 7n, shardMask: FULL_MASK ^ 7n };
  return { answer, view };
}

test('pora: sealOffset × 16 overflowing is reported before "Recall position out of bound"', () => {
  const { answer, view } = outOfBound();
  assert.equal(reasonOf(verifyAnswer(answer, view)), 'Recall position out of bound');
  answer.sealOffset = 1n << 252n; // × 16 = 2^256
  assert.equal(reasonOf(verifyAnswer(answer, view)), 'Panic(0x11)');
  answer.sealOffset = (1n << 252n) - 1n; // × 16 fits: the bound check speaks
  assert.equal(reasonOf(verifyAnswer(answer, view)), 'Recall position out of bound');
});

test('pora: sealOffset × 16 overflowing is reported before the recall chunk division by zero', () => {
  const { answer, view } = validExample();
  answer.range.mineLength = 0n;
  assert.equal(reasonOf(pora(answer, view.subtaskDigest)), 'Panic(0x12)');
  answer.sealOffset = UINT256_MAX;
  assert.equal(reasonOf(pora(answer, view.subtaskDigest)), 'Panic(0x11)');
});

test('pora: recalled load start + sealOffset × 16 overflowing is a panic, not "Incorrect recall position"', () => {
  const { answer, view } = validExample();
  // The example recalls load 1 (start 1024) whatever the seal offset: 16 × sealOffset = 2^256 − 176
  // fits, the sum with the load start does not.
  answer.sealOffset = (UINT256_MAX >> 4n) - 10n;
  const r = pora(answer, view.subtaskDigest);
  assert.equal(reasonOf(r), 'Panic(0x11)');
});

test('pora alone: startPosition + chunkOffset × 1024 overflowing is a panic after the bound check', () => {
  const { answer, view } = validExample();
  answer.range.startPosition = UINT256_MAX - 100n;
  assert.equal(reasonOf(pora(answer, view.subtaskDigest)), 'Panic(0x11)');
});
