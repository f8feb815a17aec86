/**
 * Offline proof verifier: the verdict `PoraMine.submit()` would give (spec §7.2, §4.1), as far as
 * an offline view can know it, with the contract's exact revert strings in its order.
 *
 * Out of scope (they depend on live chain state the view does not hold): the subtask window
 * ("Earlier than expected subtask start block.", "Mine deadline exceed"), "Epoch has enough
 * submissions", "Answer has been submitted", and the reward hook. `view.subtaskDigest` and
 * `view.poraTarget` must be what `computeWorkerContext` returns (after the new-epoch update).
 *
 * Panics are reported as the ABI error the EVM raises: `Panic(0x12)` for a division by zero,
 * `Panic(0x11)` for an arithmetic overflow. Every checked operation of submit() on answer fields,
 * in execution order (contracts at 40e6dec, solc 0.8.20 legacy codegen, which evaluates a binary
 * operation's right operand first; test/e2e/verifySweep.test.ts holds this to the deployed code):
 *   RecallRange.check: `start % 2^25` (cannot fail) → alignment require → `start + mineLength`
 *     (0x11) → "Mining range overflow" → `2^35 · numShards` (≤ 2^99, cannot fail) → too long /
 *     too short / masked bits;
 *   basicCheck: `recallPosition + 16` (0x11) → "Invalid sealed context digest";
 *   unseal / recoverMerkleRoot: only `/` by constants and keccak (cannot fail);
 *   pora: `sealOffset % 4` (cannot fail) → `sealOffset · 16` (0x11) → recallChunk:
 *     `seed % (mineLength / 1024)` (0x12) → `chunkOffset · 1024 ≤ mineLength` ("Recall position
 *     out of bound") → `start + chunkOffset · 1024` (0x11; unreachable after check) → outer `+`
 *     (0x11) → "Incorrect recall position";
 *   targetScaleX64: `flowLength / numShards` (numShards ≥ 1) → `(noShard << 64) / sharded` (0x12);
 *   the target test `(poraTarget / scale) << 64` (scale ≥ 2^64; shifts are unchecked).
 */
import {
  EMPTY_HASH_HEX,
  PANIC_DIVISION_BY_ZERO,
  PANIC_OVERFLOW,
  UINT256_MAX,
  SECTORS_PER_LOAD_N,
  SECTORS_PER_SEAL_N,
  SEALS_PER_LOAD_N,
} from '../spec.js';
import type { PoraAnswer, VerifyResult, VerifyView } from '../types.js';
import { equalBytes, fromHex, isZero } from '../bytes.js';
import { coreHashes, type PoraHashes } from './hashes.js';
import {
  checkRange,
  maxEndPosition,
  meetsTarget,
  numShards,
  qualityBound,
  recallChunkOffset,
  recallInBound,
  targetScaleX64,
} from '../core/recallRange.js';

export { PANIC_DIVISION_BY_ZERO, PANIC_OVERFLOW };

const EMPTY_HASH = fromHex(EMPTY_HASH_HEX, 32);
/** The default hashing: core/ in TypeScript (callers pass a faster PoraHashes, same verdicts). */
const CORE_HASHES = coreHashes();

/**
 * `PoraMine.pora(answer, subtaskDigest)` with its own order and reasons ("Miner ID cannot be
 * empty" first). On success `quality` is the 32-byte PoRA output. Warnings flag answers the
 * contract accepts but the reference miner never produces.
 */
export function pora(answer: PoraAnswer, subtaskDigest: Uint8Array, hashes: PoraHashes = CORE_HASHES): VerifyResult {
  const warnings: string[] = [];
  if (isZero(answer.minerId)) return { ok: false, reason: 'Miner ID cannot be empty', warnings };
  const { recallSeed } = hashes.scratchPad(answer.minerId, answer.nonce, subtaskDigest, answer.range);

  // require(recallPosition == range.recallChunk(seed) + sealOffset * SECTORS_PER_SEAL): solc's
  // legacy code generator evaluates a binary operation's right operand first, so the checked
  // `sealOffset * 16` runs before recallChunk (confirmed against the deployed bytecode by the
  // e2e sweep, test/e2e/verifySweep.test.ts). Inside recallChunk: `seed % (mineLength / 1024)`
  // (Panic 0x12), the bound require, then `startPosition + chunkOffset * 1024` (checked, only
  // reachable by pora() alone: submit's range check already bounds it); last the outer `+`.
  const sealSpan = answer.sealOffset * SECTORS_PER_SEAL_N;
  if (sealSpan > UINT256_MAX) return { ok: false, reason: PANIC_OVERFLOW, warnings };
  if (answer.range.mineLength / SECTORS_PER_LOAD_N === 0n) return { ok: false, reason: PANIC_DIVISION_BY_ZERO, warnings };
  const chunkOffset = recallChunkOffset(answer.range, recallSeed);
  if (!recallInBound(answer.range, chunkOffset)) return { ok: false, reason: 'Recall position out of bound', warnings };
  const loadStart = answer.range.startPosition + chunkOffset * SECTORS_PER_LOAD_N;
  if (loadStart > UINT256_MAX) return { ok: false, reason: PANIC_OVERFLOW, warnings };
  const expected = loadStart + sealSpan;
  if (expected > UINT256_MAX) return { ok: false, reason: PANIC_OVERFLOW, warnings };
  if (answer.recallPosition !== expected) return { ok: false, reason: 'Incorrect recall position', warnings };

  if (chunkOffset * SECTORS_PER_LOAD_N === answer.range.mineLength)
    warnings.push(
      'the recalled load starts exactly at the end of the mining range: the contract accepts it (its bound check uses <=), the reference miner never mines it'
    );
  if (answer.sealOffset >= SEALS_PER_LOAD_N)
    warnings.push(
      `sealOffset ${answer.sealOffset} is outside 0..63: the contract accepts it (pad slice = sealOffset mod 4, recallPosition beyond the recalled load), the reference miner never produces it`
    );
  return { ok: true, quality: hashes.quality(answer.sealedData, answer.sealOffset), warnings };
}

/**
 * The verdict of `PoraMine.submit(answer)` for the chain state described by `view`; `hashes`
 * only changes how fast the hashing is done, never the checks or their order.
 */
export function verifyAnswer(answer: PoraAnswer, view: VerifyView, hashes: PoraHashes = CORE_HASHES): VerifyResult {
  const fail = (reason: string): VerifyResult => ({ ok: false, reason, warnings: [] });

  // Step 1: miner id.
  if (isZero(answer.minerId)) return fail('MinerId cannot be zero');
  if (view.minerRegistered === false) return fail('MinerId does not registered');

  // Step 3: basicCheck.
  if (!equalBytes(view.context.digest, answer.contextDigest)) return fail('Inconsistent mining digest');
  if (equalBytes(view.context.digest, EMPTY_HASH)) return fail('Empty digest can not mine');
  const rangeError = checkRange(answer.range, maxEndPosition(view.context.flowLength));
  if (rangeError !== null) return fail(rangeError);
  const recallEnd = answer.recallPosition + SECTORS_PER_SEAL_N;
  if (recallEnd > UINT256_MAX) return fail(PANIC_OVERFLOW);
  // An unknown digest reads as the empty range {0, 0} on chain.
  const sealedRange = view.sealedContextRange ?? { start: 0n, end: 0n };
  if (!(sealedRange.start < recallEnd && sealedRange.end >= recallEnd)) return fail('Invalid sealed context digest');
  if (numShards(answer.range) > view.maxShards) return fail('Exceeding the allowed number of shards');

  // Step 4: unseal and data proof.
  let unsealed = answer.sealedData;
  if (view.sealDataEnabled) {
    if (equalBytes(answer.sealedContextDigest, EMPTY_HASH)) return fail('Seal digest cannot be empty');
    unsealed = hashes.unseal(answer.sealedData, answer.minerId, answer.sealedContextDigest, answer.recallPosition);
  }
  if (view.dataProofEnabled) {
    const root = hashes.merkleRoot(unsealed, answer.recallPosition, answer.merkleProof);
    if (!equalBytes(root, view.context.flowRoot)) return fail('Inconsistent merkle root');
  }

  // Step 5: PoRA hash and target.
  const result = pora(answer, view.subtaskDigest, hashes);
  if (!result.ok) return result;
  let scale: bigint;
  try {
    scale = targetScaleX64(answer.range, view.context.flowLength);
  } catch {
    return { ok: false, reason: PANIC_DIVISION_BY_ZERO, warnings: result.warnings };
  }
  if (!meetsTarget(result.quality, qualityBound(view.poraTarget, scale)))
    return { ok: false, reason: 'Do not reach target quality', warnings: result.warnings };
  return result;
}
