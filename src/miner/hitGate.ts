/**
 * The one re-check between any backend and the submitter (ethminer's farm-level check): a hit is
 * queued for submission only when the pure oracle (`verify/`'s `pora()`, the contract's own
 * order) accepts it for the job it claims, its quality is the oracle's, that quality meets the
 * job's bound, and its sealed bytes are the ones the store holds at its recall position. A
 * backend's own re-check (backend/recheck.ts) is an early filter; this gate is the guarantee,
 * so a backend that skips or breaks its re-check still submits nothing wrong.
 */
import { equalBytes } from '../bytes.js';
import { SECTORS_PER_LOAD_N, SECTORS_PER_SEAL_N, SEALS_PER_LOAD } from '../spec.js';
import { qualityBound, targetScaleX64 } from '../core/recallRange.js';
import { judgeHit, type HitFault } from '../verify/hitVerdict.js';
import type { Hit, MineJob, MinerStore } from './ports.js';

/** `zg_miner_hits_rejected_total{reason}` values the gate uses. */
export type HitRefusal =
  | HitFault
  | 'seal0_load0'
  | 'seal_offset'
  | 'sealed_data_mismatch'
  | 'not_sealed'
  | 'store_error';

export interface GateVerdict {
  reason: HitRefusal;
  /** One line for the log. */
  detail: string;
  /** The load whose stored bytes failed (sealed_data_mismatch, store_error): a case for the store's scrub. */
  damagedLoad?: bigint;
}

export class HitGate {
  private readonly store: Pick<MinerStore, 'sealedMask' | 'readSealedSeal'>;

  constructor(store: Pick<MinerStore, 'sealedMask' | 'readSealedSeal'>) {
    this.store = store;
  }

  /** Why `hit` must not be submitted for `job`, or null when it may. */
  async check(job: MineJob, hit: Hit): Promise<GateVerdict | null> {
    const at = `hit at ${hit.recallPosition} (seal ${hit.sealOffset})`;
    // Seal 0 of load 0: leaf 0 is the flow's placeholder and can never be proven.
    if (hit.recallPosition === 0n) return { reason: 'seal0_load0', detail: `${at}: seal 0 of load 0 can never be proven` };
    if (!Number.isInteger(hit.sealOffset) || hit.sealOffset < 0 || hit.sealOffset >= SEALS_PER_LOAD)
      return { reason: 'seal_offset', detail: `${at}: sealOffset outside 0..${SEALS_PER_LOAD - 1}` };
    const fault = judgeHit(job, hit, qualityBound(job.poraTarget, targetScaleX64(job.range, job.flowLength)));
    if (fault) return { reason: fault.fault, detail: `${at}: ${fault.detail}` };
    const loadIndex = (hit.recallPosition - BigInt(hit.sealOffset) * SECTORS_PER_SEAL_N) / SECTORS_PER_LOAD_N;
    if (((this.store.sealedMask(loadIndex) >> BigInt(hit.sealOffset)) & 1n) === 0n)
      return { reason: 'not_sealed', detail: `${at}: load ${loadIndex} seal ${hit.sealOffset} is not sealed in the store` };
    let stored: Uint8Array;
    try {
      stored = await this.store.readSealedSeal(loadIndex, hit.sealOffset);
    } catch (e) {
      return { reason: 'store_error', detail: `${at}: cannot read the stored seal: ${(e as Error).message}`, damagedLoad: loadIndex };
    }
    if (!equalBytes(stored, hit.sealedData)) return { reason: 'sealed_data_mismatch', detail: `${at}: its sealed bytes differ from the store's`, damagedLoad: loadIndex };
    return null;
  }
}
