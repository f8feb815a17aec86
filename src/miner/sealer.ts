/**
 * Seals complete loads (spec §5.2–5.3): every seal s is sealed with the digest of the recorded
 * epoch range holding its last sector 16s+15, through `backend.seal` so a GPU seals when present,
 * and committed through the store (which makes a half-written load never count as sealed).
 * A seal whose last sector is not yet inside a recorded range waits for a later epoch.
 */
import { SEALS_PER_LOAD, SECTORS_PER_SEAL, BYTES_PER_SEAL, SECTORS_PER_LOAD_N, SEALS_PER_LOAD_N } from '../spec.js';
import type { Bytes32, EpochRange } from '../types.js';
import { logRepeated, type MinerChain, type MinerLogger, type MinerMetricsSink, type MinerStore, type PoraBackend, type SealInput } from './ports.js';

const FULL_MASK = (1n << SEALS_PER_LOAD_N) - 1n;
/** Sealed loads held for the next group commit at most (4 MiB): beyond it sealing waits for the disk. */
const MAX_QUEUED_LOADS = 16;

export interface SealerOptions {
  chain: MinerChain;
  store: MinerStore;
  backend: PoraBackend;
  minerId: Bytes32;
  log: MinerLogger;
  metrics?: MinerMetricsSink;
  /** Loads this miner mines (its shard); others are stored but not sealed. Default: all. */
  holds?: (loadIndex: bigint) => boolean;
}

/** Recorded epoch ranges, cached (ranges never change once recorded). */
export class EpochRangeCache {
  private readonly chain: MinerChain;
  private ranges: (EpochRange & { digest: Bytes32 })[] = [];
  constructor(chain: MinerChain) {
    this.chain = chain;
  }
  async refresh(): Promise<void> {
    this.ranges.push(...(await this.chain.epochRangesFrom(this.ranges.length)));
  }
  /** End of the last recorded range (sectors before it have a sealing digest). */
  get recordedEnd(): bigint {
    return this.ranges.length === 0 ? 0n : this.ranges[this.ranges.length - 1]!.end;
  }
  /** The digest of the range holding `position`, or null when not recorded yet. */
  digestAt(position: bigint): Bytes32 | null {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (position < r.start) hi = mid - 1;
      else if (position >= r.end) lo = mid + 1;
      else return r.digest;
    }
    return null;
  }
}

export class Sealer {
  private readonly o: SealerOptions;
  readonly ranges: EpochRangeCache;
  constructor(o: SealerOptions) {
    this.o = o;
    this.ranges = new EpochRangeCache(o.chain);
  }

  /**
   * Seals what can be sealed now; returns the number of seals committed. `onProgress` after each
   * load (the watchdog). Pipelined: loads are read and sealed while the previous commit (its writes
   * and fdatasyncs) runs, and what was sealed meanwhile goes in one group commit (commitSealedMany:
   * one fdatasync per file for the lot), so the backend is not idle during the store's I/O and a
   * load does not pay three fdatasyncs; commits stay in flow order.
   */
  async sealPending(signal?: AbortSignal, onProgress?: () => void): Promise<number> {
    const holds = this.o.holds ?? (() => true);
    // The store's queue of complete, not fully sealed loads, ascending: nothing to do costs O(1).
    let load = this.o.store.nextUnsealedLoad(0n);
    if (load === null) return 0;
    await this.ranges.refresh();
    let sealedCount = 0;
    type Done = { load: bigint; seals: { sealIndex: number; sealed: Uint8Array; contextDigest: Bytes32 }[] };
    /** Sealed loads waiting for the running commit to finish: they go in the next group commit. */
    const queue: Done[] = [];
    let committing: Promise<void> = Promise.resolve();
    let idle = true;
    const commit = async (batch: Done[]): Promise<void> => {
      const many = this.o.store.commitSealedMany?.bind(this.o.store);
      if (many) await many(batch.map((d) => ({ loadIndex: d.load, seals: d.seals })));
      else for (const d of batch) await this.o.store.commitSealed(d.load, d.seals);
      for (const d of batch) {
        sealedCount += d.seals.length;
        logRepeated(this.o.log, 'loads sealed', '', `sealed ${d.seals.length} seal(s) of load ${d.load}`);
        onProgress?.();
      }
      this.o.metrics?.setSealedSectors(this.o.store.stats().sealedSectors);
    };
    const startCommit = (): void => {
      idle = false;
      committing = commit(queue.splice(0)).finally(() => {
        idle = true;
      });
      committing.catch(() => undefined); // awaited before the next commit and at the end
    };
    try {
      for (; load !== null; load = this.o.store.nextUnsealedLoad(load + 1n)) {
        if (signal?.aborted) break;
        // Epoch ranges are recorded in flow order: a load past the recorded end waits, and so do all after it.
        if (load * SECTORS_PER_LOAD_N >= this.ranges.recordedEnd) break;
        if (!holds(load)) continue;
        const mask = this.o.store.sealedMask(load);
        if (mask === FULL_MASK) continue;
        const loadStart = load * SECTORS_PER_LOAD_N;
        const wanted: { sealIndex: number; digest: Bytes32 }[] = [];
        for (let i = 0; i < SEALS_PER_LOAD; i++) {
          if ((mask >> BigInt(i)) & 1n) continue;
          const digest = this.ranges.digestAt(loadStart + BigInt(i * SECTORS_PER_SEAL + SECTORS_PER_SEAL - 1));
          if (digest !== null) wanted.push({ sealIndex: i, digest });
        }
        if (wanted.length === 0) continue;
        const raw = await this.o.store.readRawLoad(load);
        const inputs: SealInput[] = wanted.map((w) => ({
          minerId: this.o.minerId,
          sealContextDigest: w.digest,
          startSector: loadStart + BigInt(w.sealIndex * SECTORS_PER_SEAL),
          data: raw.subarray(w.sealIndex * BYTES_PER_SEAL, (w.sealIndex + 1) * BYTES_PER_SEAL),
        }));
        const sealed = await this.o.backend.seal(inputs, 'seal');
        queue.push({ load, seals: wanted.map((w, k) => ({ sealIndex: w.sealIndex, sealed: sealed[k]!, contextDigest: w.digest })) });
        // Commit now when no commit runs; else keep sealing, up to a bound on what waits in memory.
        if (idle || queue.length >= MAX_QUEUED_LOADS) {
          await committing; // a failed commit stops sealing here
          startCommit();
        }
      }
    } catch (e) {
      await committing.catch(() => undefined);
      throw e;
    }
    await committing;
    if (queue.length > 0) {
      startCommit();
      await committing;
    }
    return sealedCount;
  }
}
