/**
 * The CPU re-check every backend runs on a hit before it leaves the backend (ethminer's
 * `submitProofAsync` eval): an early filter over verify/'s `judgeHit`, the same judgement the
 * miner's gate (miner/hitGate.ts) applies again before anything is submitted.
 */
import { judgeHit } from '../verify/hitVerdict.js';
import type { Hit, MineJob } from './backend.js';

/** Why `hit` must be rejected, or null when it is good. `bound` = qualityBound(poraTarget, scale). */
export function recheckHitOnCpu(job: MineJob, hit: Hit, bound: bigint): string | null {
  return judgeHit(job, hit, bound)?.detail ?? null;
}
