/**
 * The contract-level judgement of one mining hit, shared by every place that re-checks hits: the
 * backends' early filter (backend/recheck.ts) and the miner's gate before the submitter
 * (miner/hitGate.ts). `pora()` must accept the hit for the job it claims, agree on its quality,
 * and that quality must meet the job's bound. Pure: the caller supplies everything.
 */
import type { Bytes32, RecallRange } from '../types.js';
import { equalBytes } from '../bytes.js';
import { meetsTarget } from '../core/recallRange.js';
import { pora } from './verifyAnswer.js';

/** What a hit claims (backend/`Hit` has these fields). */
export interface HitClaim {
  nonce: Bytes32;
  recallPosition: bigint;
  sealOffset: number;
  quality: Bytes32;
  sealedData: Uint8Array;
}

/** The job a hit was found for (backend/`MineJob` has these fields). */
export interface HitJob {
  minerId: Bytes32;
  subtaskDigest: Bytes32;
  range: RecallRange;
}

/** Why a hit fails; the values are `zg_miner_hits_rejected_total{reason}` labels. */
export type HitFault = 'recall_position' | 'pora_rejected' | 'quality_mismatch' | 'above_target';

export interface HitVerdict {
  fault: HitFault;
  /** One line for a log. */
  detail: string;
}

const ZERO32 = new Uint8Array(32);

/** Why `hit` fails for `job` under `bound` (= qualityBound(poraTarget, scale)), or null when it passes. */
export function judgeHit(job: HitJob, hit: HitClaim, bound: bigint): HitVerdict | null {
  const verdict = pora(
    {
      // pora() reads neither digest nor the proof: the contract checks those in submit().
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
  if (!verdict.ok)
    return { fault: verdict.reason === 'Incorrect recall position' ? 'recall_position' : 'pora_rejected', detail: `pora() rejects it: ${verdict.reason}` };
  if (!equalBytes(verdict.quality, hit.quality)) return { fault: 'quality_mismatch', detail: "the backend's quality differs from the oracle's" };
  if (!meetsTarget(verdict.quality, bound)) return { fault: 'above_target', detail: "its quality does not meet the job's target" };
  return null;
}
