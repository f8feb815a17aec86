/**
 * Finding and repairing damage in the sealed store (issue 9 item 6), like a RAID scrub.
 *
 * One load's check (`checkLoad`): its raw bytes are hashed (wasm) into the 64 seal roots and the
 * load root; the load root is compared with the flow tree's node for the load when the tree knows
 * it (the chain's word: a mismatch means the raw data itself is damaged); the stored roots
 * (roots.bin) are compared with the derived ones; every sealed seal is read, unsealed with the
 * context digest it was sealed with and hashed, and its root compared with the derived seal root.
 * Repair: wrong or missing roots are re-derived from the raw bytes; seals that fail are retracted
 * (an UNSEALED journal record), so from that moment they are not mined, served or submitted and the
 * sealer seals them again; a load whose raw bytes fail is forgotten (a FORGET record,
 * sealedStore.ts): not known, served, sealed or mined until its data comes back through
 * `zg-miner import` (the follower asks for its transactions again) or a peer (the sync client
 * wants it again). Nothing here can re-derive flow data.
 *
 * At start (`startupCheck`) only cheap metadata is checked: roots.bin must cover every complete
 * load (a deleted or truncated roots.bin is re-derived there). The background `scrubLoop` checks
 * one load after another, round and round, at a bounded rate; a load the miner suspects (a hit
 * whose bytes or proof failed) jumps the queue (`Scrubber.suspect`).
 */
import { BYTES_PER_SEAL, SEALS_PER_LOAD, SECTORS_PER_LOAD_N, SECTORS_PER_SEAL } from '../spec.js';
import { equalBytes } from '../bytes.js';
import { unseal } from '../core/seal.js';
import { LOAD_LEVEL } from '../core/flowTree.js';
import { hashLoad } from './loadHash.js';
import type { SealedStore } from './sealedStore.js';
import { sleep, supervisedLoop } from '../watchdog/loop.js';
import type { Watchdog } from '../watchdog/watchdog.js';

/** Default pace of the background scrub: 4 loads (1 MiB of sealed data) per second. */
export const SCRUB_INTERVAL_MS = 250;

export interface LoadCheck {
  load: bigint;
  /** Seals whose sealed bytes do not unseal to their seal root (retracted on repair). */
  badSeals: bigint;
  /** roots.bin was missing, short or wrong for this load (re-derived on repair). */
  badRoots: boolean;
  /** The raw bytes do not hash to the flow tree's load root (the load is forgotten on repair). */
  badRaw: boolean;
}

export const isDamaged = (c: LoadCheck): boolean => c.badSeals !== 0n || c.badRoots || c.badRaw;

/**
 * One line naming what is wrong with a load (and what repair did); `txs`: the transactions whose
 * data lies in the load (the ones to import again when its raw data is bad), when known.
 */
export function describe(c: LoadCheck, repaired: boolean, txs: readonly bigint[] = []): string {
  if (c.badRaw) {
    // Roots and seals derived from bad raw bytes say nothing more: the data itself must come back.
    const where = txs.length === 0 ? '' : `; its data is in tx ${txs.join(', ')}`;
    const how = txs.length === 0 ? 'zg-miner import' : txs.map((t) => `zg-miner import --tx ${t} FILE`).join(', ');
    return `store: load ${c.load}: its raw data does not hash to the flow's load root${where} (${repaired ? 'forgotten: not served, sealed or mined' : '`zg-miner store repair` forgets it'} until the data comes back: ${how}, or a peer)`;
  }
  const parts: string[] = [];
  if (c.badRoots) parts.push(`its seal roots in roots.bin are missing or wrong${repaired ? ' (re-derived from the raw data)' : ''}`);
  if (c.badSeals !== 0n) {
    const seals = [...Array(SEALS_PER_LOAD).keys()].filter((i) => (c.badSeals >> BigInt(i)) & 1n);
    parts.push(`sealed seal(s) ${seals.join(',')} do not unseal to their roots${repaired ? ' (retracted: not mined, resealed by the sealer)' : ''}`);
  }
  return `store: load ${c.load}: ${parts.join('; ')}`;
}

/** Checks complete load L; with `repair`, fixes what it can. Null when L is not complete (nothing to check). */
export async function checkLoad(store: SealedStore, minerId: Uint8Array, L: bigint, repair: boolean): Promise<LoadCheck | null> {
  if (!store.isLoadComplete(L)) return null;
  const raw = await store.readRawLoad(L);
  const derived = hashLoad(L, raw);
  const check: LoadCheck = { load: L, badSeals: 0n, badRoots: false, badRaw: false };
  const treeRoot = (L + 1n) * SECTORS_PER_LOAD_N <= store.flowTree.length() ? await store.flowTree.node(LOAD_LEVEL, L) : null;
  if (treeRoot !== null && !equalBytes(treeRoot, derived.loadRoot)) check.badRaw = true;
  let stored: Uint8Array[] | null = null;
  try {
    stored = store.sealRoots(L);
  } catch {
    stored = null; // roots.bin short or unreadable
  }
  if (stored === null || stored.some((r, i) => !equalBytes(r, derived.sealRoots[i]!))) check.badRoots = true;
  const mask = store.sealedMask(L);
  if (check.badRaw) check.badSeals = mask;
  else if (mask !== 0n) {
    // Unsealed image of the load: sealed seals unsealed, the rest as raw (their roots are not compared).
    const image = Uint8Array.from(raw);
    for (let i = 0; i < SEALS_PER_LOAD; i++) {
      if (((mask >> BigInt(i)) & 1n) === 0n) continue;
      try {
        const ctx = store.sealContext(L, i);
        const sealed = await store.readSealedSeal(L, i);
        if (ctx === null || sealed.length !== BYTES_PER_SEAL) throw new Error('short');
        image.set(unseal(sealed, minerId, ctx, L * SECTORS_PER_LOAD_N + BigInt(i * SECTORS_PER_SEAL)), i * BYTES_PER_SEAL);
      } catch {
        check.badSeals |= 1n << BigInt(i); // unreadable (a truncated sealed.bin or contexts.bin)
      }
    }
    const got = hashLoad(L, image);
    for (let i = 0; i < SEALS_PER_LOAD; i++) {
      if (((mask >> BigInt(i)) & 1n) !== 0n && !equalBytes(got.sealRoots[i]!, derived.sealRoots[i]!)) check.badSeals |= 1n << BigInt(i);
    }
  }
  if (repair) {
    if (check.badRaw) await store.forgetLoad(L);
    else {
      if (check.badSeals !== 0n) await store.retractSeals(L, check.badSeals);
      if (check.badRoots) await store.rederiveRoots(L);
    }
  }
  return check;
}

/** Cheap checks at start: roots.bin covers every complete load (re-derived where it does not). */
export async function startupCheck(store: SealedStore, log: { warn(line: string): void }): Promise<number> {
  const missing = await store.loadsMissingRoots();
  if (missing.length === 0) return 0;
  log.warn(`store: roots.bin is missing the seal roots of ${missing.length} complete load(s) (deleted or truncated): re-deriving them from the raw data`);
  for (const L of missing) await store.rederiveRoots(L);
  return missing.length;
}

export interface ScrubOptions {
  store: SealedStore;
  minerId: Uint8Array;
  log: { warn(line: string): void };
  /** Called after each damaged load (a metric). */
  onDamage?: (c: LoadCheck) => void;
  /** The transactions whose data lies in load L (named when its raw data is bad). */
  txsOf?: (L: bigint) => bigint[];
}

/**
 * The background scrub: loads checked (and repaired) one after another, round and round. The
 * caller paces it (one `scrubNext` per interval, under the watchdog). Returns the check or null.
 */
export class Scrubber {
  private next = 0n;
  private readonly o: ScrubOptions;
  /** Loads checked since start, and damaged loads found. */
  readonly counts = { checked: 0, damaged: 0 };
  /** Suspected loads, checked before the round-robin walk (insertion order). */
  private readonly suspects = new Set<bigint>();

  constructor(o: ScrubOptions) {
    this.o = o;
  }

  /**
   * Queues load L for a check ahead of the walk (a hit on it failed). Returns false when it is
   * already queued, so the caller warns once per load, not once per hit.
   */
  suspect(L: bigint): boolean {
    if (this.suspects.has(L)) return false;
    this.suspects.add(L);
    return true;
  }

  /** Checks and repairs a suspected load if any, else the next complete load (skipping incomplete ones, at most one pass). */
  async scrubNext(): Promise<LoadCheck | null> {
    for (const L of this.suspects) {
      try {
        const c = await this.scrub(L);
        if (c !== null) return c;
      } finally {
        // Dropped after its check (or when it is no longer complete): a later failure queues it again.
        this.suspects.delete(L);
      }
    }
    const end = this.o.store.loadCount;
    for (let tried = 0n; tried < end; tried++) {
      if (this.next >= end) this.next = 0n;
      const L = this.next++;
      if (!this.o.store.isLoadComplete(L)) continue;
      return this.scrub(L);
    }
    return null;
  }

  /** Checks and repairs load L now (also for a hit that failed its check). */
  async scrub(L: bigint): Promise<LoadCheck | null> {
    const c = await checkLoad(this.o.store, this.o.minerId, L, true);
    if (c === null) return null;
    this.counts.checked++;
    if (isDamaged(c)) {
      this.counts.damaged++;
      this.o.log.warn(describe(c, true, c.badRaw ? (this.o.txsOf?.(L) ?? []) : []));
      this.o.onDamage?.(c);
    }
    return c;
  }
}

/**
 * Runs the scrub in the background under the watchdog, one load per `intervalMs`, until the
 * returned function is called. A check's own error (an I/O error) is logged and the scrub goes on.
 */
export function startScrubLoop(o: ScrubOptions & { watchdog?: Watchdog; intervalMs?: number }): { scrubber: Scrubber; stop(): Promise<void> } {
  const scrubber = new Scrubber(o);
  const stop = new AbortController();
  const loop = supervisedLoop({
    name: 'store scrub',
    stallMs: 120_000,
    signal: stop.signal,
    ...(o.watchdog ? { watchdog: o.watchdog } : {}),
    iteration: async () => {
      try {
        await scrubber.scrubNext();
      } catch (e) {
        if (!stop.signal.aborted) o.log.warn(`store scrub: ${(e as Error).message}`);
      }
    },
    between: (signal) => sleep(o.intervalMs ?? SCRUB_INTERVAL_MS, signal),
  });
  return {
    scrubber,
    stop: async () => {
      stop.abort();
      await loop;
    },
  };
}
