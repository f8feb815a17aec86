/**
 * The CPU re-check every backend runs on a hit before it leaves the backend (ethminer's
 * `submitProofAsync` eval): the contract-level `pora()` must accept the hit, agree on its quality
 * and the quality must meet the job's bound.
 */
import { equalBytes } from '../bytes.js';
import { meetsTarget } from '../core/recallRange.js';
import { pora } from '../verify/verifyAnswer.js';
import type { Hit, MineJob } from './backend.js';

const ZERO32 = new Uint8Array(32);

/** Why `hit` must be rejected, or null when it is good. `bound` = qualityBound(poraTarget, scale). */
export function recheckHitOnCpu(job: MineJob, hit: Hit, bound: bigint): string | null {
  const verdict = pora(
    {
      contextDigest: ZERO32,
      nonce: hit.nonce,
      minerId: job.minerId,
      range: job.range,
      recallPosition: hit.recallPosition,
      sealOffset: BigInt(hit.sealOffset),
      sealedContextDigest: ZERO32,
      sealedData: hit.sealedData,
      merkleProof: [],
    },
    job.subtaskDigest
  );
  if (!verdict.ok) return `pora() rejects it: ${verdict.reason}`;
  if (!equalBytes(verdict.quality, hit.quality)) return 'the backend quality differs from the CPU';
  if (!meetsTarget(verdict.quality, bound)) return 'quality does not meet the target on the CPU';
  return null;
}
