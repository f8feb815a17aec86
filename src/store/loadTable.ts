/**
 * In-memory index of the sealed store: per load, which of its 1024 sectors are known (and which
 * of those are known zeros), which of its 64 seals are sealed, and whether its seal roots are on
 * disk. Pure bookkeeping, no I/O. Compact: 9 bytes per load in typed arrays (a flag byte and a
 * 64-bit sealed mask), plus 128-byte bitmaps only for the few loads that are partly known or
 * hold some (not all) zero sectors, so 16 M loads (4 TiB) fit in ~150 MB.
 *
 * Counters (known sectors, sealed seals, complete and fully sealed loads) and the queue of loads
 * waiting to be sealed (a flag bit, a count and a low-water cursor) are kept up to date on every
 * change, so no caller walks every load.
 */
import { SECTORS_PER_LOAD, SECTORS_PER_SEAL, SECTORS_PER_LOAD_N } from '../spec.js';

const BITMAP_BYTES = SECTORS_PER_LOAD / 8;

/** Flag bits of a load. */
export const LoadFlag = {
  /** All 1024 sectors known. */
  COMPLETE: 1,
  /** roots.bin holds its seal roots (or it is a zero load, whose roots are implied). */
  ROOTS: 2,
  /** All 1024 sectors are known zeros (nothing in raw.bin or roots.bin). */
  ZERO_LOAD: 4,
  /** Complete, sealable and not fully sealed: the sealer's queue. */
  PENDING: 8,
  /**
   * Its raw data failed its check and was forgotten (a FORGET record); cleared when the load is
   * complete again (re-imported or fetched from a peer).
   */
  FORGOTTEN: 16,
} as const;

/** Per-load bitmap (bit s = sector s). */
function setBit(b: Uint8Array, s: number): void {
  b[s >> 3]! |= 1 << (s & 7);
}
function getBit(b: Uint8Array, s: number): boolean {
  return (b[s >> 3]! & (1 << (s & 7))) !== 0;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The table's arrays and side maps, as a checkpoint stores them. */
export interface LoadTableImage {
  loads: number;
  flags: Uint8Array;
  /** Two u32 words per load: sealed mask bits 0..31, 32..63. */
  sealed: Uint32Array;
  /** Partly known loads: known-sector bitmap (128 bytes). */
  partial: Map<number, Uint8Array>;
  /** Loads with some but not all sectors known zero: zero-sector bitmap (128 bytes). */
  zeroMaps: Map<number, Uint8Array>;
}

export class LoadTable {
  #loads = 0;
  #flags: Uint8Array = new Uint8Array(1024);
  #sealed: Uint32Array = new Uint32Array(2048);
  #partial = new Map<number, Uint8Array>();
  #partialCount = new Map<number, number>();
  #zeroMaps = new Map<number, Uint8Array>();
  /** null: every load is sealable. */
  #sealable: ((loadIndex: bigint) => boolean) | null;
  knownSectors = 0;
  sealedSeals = 0;
  completeLoads = 0;
  sealedLoads = 0;
  #pending = 0;
  /** No PENDING load lies below this index. */
  #pendingFrom = 0;
  /** FORGOTTEN loads (few: loads whose raw data was found damaged and is not back yet). */
  readonly #forgotten = new Set<number>();

  /** `sealable`: whether the sealer will seal this load (its shard); default all. */
  constructor(sealable: ((loadIndex: bigint) => boolean) | null = null, image?: LoadTableImage) {
    this.#sealable = sealable;
    if (image === undefined) {
      // Flow sector 0 is the placeholder leaf: it has no data, so it is known (as zeros) from the start.
      this.markKnown(0n, 1n, true);
      return;
    }
    this.#loads = image.loads;
    this.#flags = image.flags;
    this.#sealed = image.sealed;
    this.#partial = image.partial;
    this.#zeroMaps = image.zeroMaps;
    for (const [L, bits] of this.#partial) {
      let n = 0;
      for (let k = 0; k < BITMAP_BYTES; k += 4) n += popcount32((bits[k]! | (bits[k + 1]! << 8) | (bits[k + 2]! << 16) | (bits[k + 3]! << 24)) >>> 0);
      this.#partialCount.set(L, n);
      this.knownSectors += n;
    }
    // One pass over the flag bytes and masks for the counters (sequential typed-array reads).
    for (let L = 0; L < this.#loads; L++) {
      const f = this.#flags[L]! & ~LoadFlag.PENDING; // recomputed below (the sealable set may differ)
      this.#flags[L] = f;
      if ((f & LoadFlag.FORGOTTEN) !== 0) this.#forgotten.add(L);
      const lo = this.#sealed[2 * L]!;
      const hi = this.#sealed[2 * L + 1]!;
      if (lo !== 0 || hi !== 0) {
        const n = popcount32(lo) + popcount32(hi);
        this.sealedSeals += n;
        if (n === 64) this.sealedLoads++;
      }
      if ((f & LoadFlag.COMPLETE) !== 0) {
        this.completeLoads++;
        this.knownSectors += SECTORS_PER_LOAD;
        this.#updatePending(L);
      }
    }
  }

  /** The arrays a checkpoint writes (views, valid until the next change). */
  image(): LoadTableImage {
    return { loads: this.#loads, flags: this.#flags.subarray(0, this.#loads), sealed: this.#sealed.subarray(0, 2 * this.#loads), partial: this.#partial, zeroMaps: this.#zeroMaps };
  }

  /** One past the highest load index ever touched. */
  get loads(): number {
    return this.#loads;
  }

  get pendingCount(): number {
    return this.#pending;
  }

  /** Loads forgotten (FORGET) and not complete again, ascending. */
  forgottenLoads(): number[] {
    return [...this.#forgotten].sort((a, b) => a - b);
  }

  get forgottenCount(): number {
    return this.#forgotten.size;
  }

  flags(L: number): number {
    return L < this.#loads ? this.#flags[L]! : 0;
  }

  isComplete(L: number): boolean {
    return (this.flags(L) & LoadFlag.COMPLETE) !== 0;
  }

  knownCount(L: number): number {
    if (this.isComplete(L)) return SECTORS_PER_LOAD;
    return this.#partialCount.get(L) ?? 0;
  }

  isKnown(L: number, s: number): boolean {
    if (this.isComplete(L)) return true;
    const bits = this.#partial.get(L);
    return bits !== undefined && getBit(bits, s);
  }

  /** Sector s of load L is a known zero (its raw bytes are ignored). */
  isZero(L: number, s: number): boolean {
    if ((this.flags(L) & LoadFlag.ZERO_LOAD) !== 0) return true;
    const z = this.#zeroMaps.get(L);
    return z !== undefined && getBit(z, s) && this.isKnown(L, s);
  }

  /** True when every sector of load L is a known zero. */
  isZeroLoad(L: number): boolean {
    return (this.flags(L) & LoadFlag.ZERO_LOAD) !== 0;
  }

  /** True when load L has any known-zero sector (its raw bytes there must read as zeros). */
  hasZeros(L: number): boolean {
    return this.isZeroLoad(L) || this.#zeroMaps.has(L);
  }

  sealedMask(L: number): bigint {
    if (L >= this.#loads) return 0n;
    return (BigInt(this.#sealed[2 * L + 1]!) << 32n) | BigInt(this.#sealed[2 * L]!);
  }

  rootsValid(L: number): boolean {
    return (this.flags(L) & LoadFlag.ROOTS) !== 0;
  }

  setRootsValid(L: number): void {
    this.#grow(L);
    this.#flags[L]! |= LoadFlag.ROOTS;
  }

  /** Maximal runs [from, to) inside [start, end) whose sectors are not yet known. */
  unknownRuns(start: bigint, end: bigint): [bigint, bigint][] {
    const runs: [bigint, bigint][] = [];
    let runStart: bigint | null = null;
    for (let Lb = start / SECTORS_PER_LOAD_N; Lb * SECTORS_PER_LOAD_N < end; Lb++) {
      const L = Number(Lb);
      const base = Lb * SECTORS_PER_LOAD_N;
      const from = start > base ? Number(start - base) : 0;
      const to = end < base + SECTORS_PER_LOAD_N ? Number(end - base) : SECTORS_PER_LOAD;
      if (this.isComplete(L)) {
        if (runStart !== null) runs.push([runStart, base + BigInt(from)]);
        runStart = null;
        continue;
      }
      const bits = this.#partial.get(L);
      if (bits === undefined) {
        runStart ??= base + BigInt(from);
        continue;
      }
      for (let s = from; s < to; s++) {
        if (!getBit(bits, s)) {
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
    for (let Lb = start / SECTORS_PER_LOAD_N; Lb * SECTORS_PER_LOAD_N < end; Lb++) {
      const L = Number(Lb);
      const base = Lb * SECTORS_PER_LOAD_N;
      const from = start > base ? Number(start - base) : 0;
      const to = end < base + SECTORS_PER_LOAD_N ? Number(end - base) : SECTORS_PER_LOAD;
      if (this.isComplete(L)) continue;
      this.#grow(L);
      let bits = this.#partial.get(L);
      if (bits === undefined && from === 0 && to === SECTORS_PER_LOAD) {
        // A whole load at once (the common case): no bitmap at all.
        this.#complete(L, zero ? LoadFlag.ZERO_LOAD : 0, SECTORS_PER_LOAD);
        completed.push(Lb);
        continue;
      }
      if (bits === undefined) {
        bits = new Uint8Array(BITMAP_BYTES);
        this.#partial.set(L, bits);
      }
      let count = this.#partialCount.get(L) ?? 0;
      let added = 0;
      let zmap = this.#zeroMaps.get(L);
      for (let s = from; s < to; s++) {
        if (getBit(bits, s)) continue;
        setBit(bits, s);
        count++;
        added++;
        if (zero) {
          if (zmap === undefined) this.#zeroMaps.set(L, (zmap = new Uint8Array(BITMAP_BYTES)));
          setBit(zmap, s);
        }
      }
      if (count === SECTORS_PER_LOAD) {
        this.#partial.delete(L);
        this.#partialCount.delete(L);
        let all = zmap !== undefined;
        if (zmap !== undefined) for (let k = 0; k < BITMAP_BYTES && all; k++) all = zmap[k] === 0xff;
        if (all) this.#zeroMaps.delete(L);
        this.#complete(L, all ? LoadFlag.ZERO_LOAD : 0, added);
        completed.push(Lb);
      } else {
        this.#partialCount.set(L, count);
        this.knownSectors += added;
      }
    }
    return completed;
  }

  setSealed(L: number, mask: bigint): void {
    this.#grow(L);
    this.#setMask(L, this.sealedMask(L) | mask);
  }

  clearSealed(L: number, mask: bigint): void {
    if (L >= this.#loads) return;
    this.#setMask(L, this.sealedMask(L) & ~mask);
  }

  /**
   * Forgets load L's data (its raw bytes failed their check): every sector except known zeros
   * (never read from raw.bin, so never damaged) becomes unknown, its seals and roots are
   * retracted, and it leaves the sealer's queue; the counters follow. Constant work (one bitmap).
   * Returns false when there was nothing to forget (an all-zero or unknown load).
   */
  forget(L: number): boolean {
    if (L >= this.#loads) return false;
    const f = this.#flags[L]!;
    if ((f & LoadFlag.ZERO_LOAD) !== 0) return false;
    const known = this.knownCount(L);
    const zmap = this.#zeroMaps.get(L);
    // Zero bits are only ever set on known sectors, so the zero map is exactly what stays known.
    let keep = 0;
    if (zmap !== undefined) for (let k = 0; k < BITMAP_BYTES; k += 4) keep += popcount32((zmap[k]! | (zmap[k + 1]! << 8) | (zmap[k + 2]! << 16) | (zmap[k + 3]! << 24)) >>> 0);
    if (known === keep && this.sealedMask(L) === 0n) return false;
    this.#setMask(L, 0n);
    if ((f & LoadFlag.COMPLETE) !== 0) this.completeLoads--;
    this.knownSectors -= known - keep;
    if (keep > 0) {
      this.#partial.set(L, Uint8Array.from(zmap!));
      this.#partialCount.set(L, keep);
    } else {
      this.#partial.delete(L);
      this.#partialCount.delete(L);
      this.#zeroMaps.delete(L);
    }
    this.#flags[L] = (this.#flags[L]! & ~(LoadFlag.COMPLETE | LoadFlag.ROOTS)) | LoadFlag.FORGOTTEN;
    this.#forgotten.add(L);
    this.#updatePending(L);
    return true;
  }

  /** True if the 16 sectors of seal `sealIndex` in the load are known. */
  sealKnown(L: number, sealIndex: number): boolean {
    if (this.isComplete(L)) return true;
    const bits = this.#partial.get(L);
    if (bits === undefined) return false;
    for (let s = sealIndex * SECTORS_PER_SEAL; s < (sealIndex + 1) * SECTORS_PER_SEAL; s++) if (!getBit(bits, s)) return false;
    return true;
  }

  /** The lowest load ≥ `from` waiting to be sealed, or -1. O(1) when none waits. */
  nextPending(from: number): number {
    if (this.#pending === 0) return -1;
    for (let L = Math.max(from, this.#pendingFrom); L < this.#loads; L++) {
      if ((this.#flags[L]! & LoadFlag.PENDING) !== 0) return L;
      if (from <= this.#pendingFrom) this.#pendingFrom = L + 1; // nothing pending below L+1
    }
    return -1;
  }

  #complete(L: number, extra: number, added: number): void {
    this.#flags[L] = (this.#flags[L]! & ~LoadFlag.FORGOTTEN) | LoadFlag.COMPLETE | extra;
    this.#forgotten.delete(L);
    this.knownSectors += added;
    this.completeLoads++;
    this.#updatePending(L);
  }

  #setMask(L: number, mask: bigint): void {
    const before = this.sealedMask(L);
    if (before === mask) return;
    const nb = popcount32(this.#sealed[2 * L]!) + popcount32(this.#sealed[2 * L + 1]!);
    this.#sealed[2 * L] = Number(mask & 0xffffffffn);
    this.#sealed[2 * L + 1] = Number(mask >> 32n);
    const na = popcount32(this.#sealed[2 * L]!) + popcount32(this.#sealed[2 * L + 1]!);
    this.sealedSeals += na - nb;
    if (nb === 64) this.sealedLoads--;
    if (na === 64) this.sealedLoads++;
    this.#updatePending(L);
  }

  #updatePending(L: number): void {
    const f = this.#flags[L]!;
    // Numbers only (no bigint per load): this runs for every load when a checkpoint is read.
    const full = this.#sealed[2 * L] === 0xffffffff && this.#sealed[2 * L + 1] === 0xffffffff;
    const want = (f & LoadFlag.COMPLETE) !== 0 && !full && (this.#sealable === null || this.#sealable(BigInt(L)));
    const has = (f & LoadFlag.PENDING) !== 0;
    if (want === has) return;
    if (want) {
      this.#flags[L] = f | LoadFlag.PENDING;
      this.#pending++;
      if (L < this.#pendingFrom) this.#pendingFrom = L;
    } else {
      this.#flags[L] = f & ~LoadFlag.PENDING;
      this.#pending--;
    }
  }

  #grow(L: number): void {
    if (L < this.#loads) return;
    if (L >= this.#flags.length) {
      let cap = this.#flags.length;
      while (cap <= L) cap *= 2;
      const f = new Uint8Array(cap);
      f.set(this.#flags);
      const s = new Uint32Array(2 * cap);
      s.set(this.#sealed);
      this.#flags = f;
      this.#sealed = s;
    }
    this.#loads = L + 1;
  }
}
