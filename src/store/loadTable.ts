/**
 * In-memory index of the sealed store, rebuilt from the journal on open: per load, which of its
 * 1024 sectors are known (and which of those are known zeros), which of its 64 seals are sealed and
 * with which context digest, and whether its seal roots are on disk. Pure bookkeeping, no I/O.
 */
import { SECTORS_PER_LOAD, SECTORS_PER_SEAL, SECTORS_PER_LOAD_N } from '../spec.js';

const BITMAP_BYTES = SECTORS_PER_LOAD / 8;

export class LoadState {
  /** Bit s = sector s of the load is known; null once all 1024 are (saves memory on full loads). */
  known: Uint8Array | null = new Uint8Array(BITMAP_BYTES);
  knownCount = 0;
  /** Bit s = sector s is a known zero (its raw bytes are ignored); null when none is. */
  zero: Uint8Array | null = null;
  sealedMask = 0n;
  /** Context digest per sealed seal. */
  contexts = new Map<number, Uint8Array>();
  /** roots.bin holds this load's seal roots. */
  rootsValid = false;

  isKnown(s: number): boolean {
    return this.known === null || (this.known[s >> 3]! & (1 << (s & 7))) !== 0;
  }
  isZero(s: number): boolean {
    return this.zero !== null && (this.zero[s >> 3]! & (1 << (s & 7))) !== 0;
  }
  get complete(): boolean {
    return this.knownCount === SECTORS_PER_LOAD;
  }
  /** True if sectors [from, to) of the load are all known. */
  rangeKnown(from: number, to: number): boolean {
    if (this.known === null) return true;
    for (let s = from; s < to; s++) if (!this.isKnown(s)) return false;
    return true;
  }
}

export class LoadTable {
  readonly loads = new Map<bigint, LoadState>();

  constructor() {
    // Flow sector 0 is the placeholder leaf: it has no data, so it is known (as zeros) from the start.
    this.markKnown(0n, 1n, true);
  }

  get(loadIndex: bigint): LoadState | undefined {
    return this.loads.get(loadIndex);
  }

  private getOrCreate(loadIndex: bigint): LoadState {
    let st = this.loads.get(loadIndex);
    if (st === undefined) {
      st = new LoadState();
      this.loads.set(loadIndex, st);
    }
    return st;
  }

  /** Maximal runs [from, to) inside [start, end) whose sectors are not yet known. */
  unknownRuns(start: bigint, end: bigint): [bigint, bigint][] {
    const runs: [bigint, bigint][] = [];
    let runStart: bigint | null = null;
    for (let L = start / SECTORS_PER_LOAD_N; L * SECTORS_PER_LOAD_N < end; L++) {
      const base = L * SECTORS_PER_LOAD_N;
      const from = start > base ? Number(start - base) : 0;
      const to = end < base + SECTORS_PER_LOAD_N ? Number(end - base) : SECTORS_PER_LOAD;
      const st = this.loads.get(L);
      if (st === undefined || (st.knownCount === 0 && st.known !== null)) {
        runStart ??= base + BigInt(from);
        continue;
      }
      if (st.complete) {
        if (runStart !== null) runs.push([runStart, base + BigInt(from)]);
        runStart = null;
        continue;
      }
      for (let s = from; s < to; s++) {
        if (!st.isKnown(s)) {
          runStart ??= base + BigInt(s);
        } else if (runStart !== null) {
          runs.push([runStart, base + BigInt(s)]);
          runStart = null;
        }
      }
    }
    if (runStart !== null) runs.push([runStart, end]);
    return runs;
  }

  /** Marks [start, end) known (as zeros if `zero`); returns the loads that became complete. */
  markKnown(start: bigint, end: bigint, zero: boolean): bigint[] {
    const completed: bigint[] = [];
    for (let L = start / SECTORS_PER_LOAD_N; L * SECTORS_PER_LOAD_N < end; L++) {
      const base = L * SECTORS_PER_LOAD_N;
      const from = start > base ? Number(start - base) : 0;
      const to = end < base + SECTORS_PER_LOAD_N ? Number(end - base) : SECTORS_PER_LOAD;
      const st = this.getOrCreate(L);
      if (st.complete) continue;
      for (let s = from; s < to; s++) {
        if (st.isKnown(s)) continue;
        st.known![s >> 3]! |= 1 << (s & 7);
        st.knownCount++;
        if (zero) {
          st.zero ??= new Uint8Array(BITMAP_BYTES);
          st.zero[s >> 3]! |= 1 << (s & 7);
        }
      }
      if (st.complete) {
        st.known = null;
        completed.push(L);
      }
    }
    return completed;
  }

  setSealed(loadIndex: bigint, mask: bigint, digest: Uint8Array): void {
    const st = this.getOrCreate(loadIndex);
    st.sealedMask |= mask;
    for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) st.contexts.set(i, digest);
  }

  clearSealed(loadIndex: bigint, mask: bigint): void {
    const st = this.loads.get(loadIndex);
    if (st === undefined) return;
    st.sealedMask &= ~mask;
    for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) st.contexts.delete(i);
  }

  /** True if the 16 sectors of seal `sealIndex` in the load are known. */
  sealKnown(loadIndex: bigint, sealIndex: number): boolean {
    const st = this.loads.get(loadIndex);
    return st !== undefined && st.rangeKnown(sealIndex * SECTORS_PER_SEAL, (sealIndex + 1) * SECTORS_PER_SEAL);
  }
}
