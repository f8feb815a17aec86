/**
 * The sealed store: flow data this miner holds, raw and sealed, in flat files under `--data-dir`,
 * built to survive `kill -9` or power loss at any instant.
 *
 * On-disk format (all integers little-endian):
 *   LOCK         pid of the process that has the dir open (dirLock.ts).
 *   journal.bin  fixed 64-byte checksummed records (journal.ts); the first one holds the format
 *                version and the miner id the store is sealed for. It is the only source of truth
 *                about what is known or sealed; the data files say nothing by themselves.
 *   raw.bin      unsealed flow bytes, sector s at byte 256*s (sparse: only held loads use space).
 *                Never written by sealing, so a crash while sealing cannot damage raw data.
 *   sealed.bin   sealed bytes, seal 64*L+i at byte 4096*(64*L+i) (= load L at 256 KiB * L, so a
 *                load is one aligned 256 KiB read for the miner).
 *   roots.bin    the 64 level-4 seal roots (32 bytes each) of complete load L at byte 2048*L.
 *
 * Ordering rule: data bytes are written and fdatasync'ed *before* the journal record that vouches
 * for them is appended and fdatasync'ed. So after a crash a record either survived (its data is
 * durable) or it did not (its bytes are ignored and rewritten later). Known sectors are never
 * rewritten (flow data is immutable), and a sealed seal is rewritten only after an UNSEALED record
 * retracts it, so no record ever vouches for bytes that are being overwritten. A torn journal tail
 * is dropped on open; roots of a load completed just before a crash are recomputed on open.
 *
 * Flow sector 0 is the placeholder leaf (no data): it counts as a known zero sector from the start,
 * and its Merkle leaf is 0x00…00 (spec §6.1).
 */
import { constants, readSync } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTES_PER_LOAD, BYTES_PER_SEAL, BYTES_PER_SECTOR, SEALS_PER_LOAD, SECTORS_PER_LOAD, SECTORS_PER_SEAL, SECTORS_PER_LOAD_N } from '../spec.js';
import { MinerError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { LoadSource } from '../backend/backend.js';
import { completeRoot } from '../core/merkle.js';
import { LOAD_LEVEL, type LoadRoots } from '../core/flowTree.js';
import { hashLoad } from './loadHash.js';
import { PersistedFlowTree } from './persistedFlowTree.js';
import { acquireDirLock } from './dirLock.js';
import { RECORD_BYTES, RecordType, encodeRecord, isHeader, scanJournal, FORMAT_VERSION, type JournalRecord } from './journal.js';
import { createJournal, exists, fsyncDir, writeAll } from './fileOps.js';
import { LoadTable } from './loadTable.js';
import { DEFAULT_INFLIGHT, LoadReader, type ReadMetrics } from './loader.js';

const ROOT_BYTES = 32;
const ROOTS_PER_LOAD_BYTES = SEALS_PER_LOAD * ROOT_BYTES;
const FULL_MASK = (1n << 64n) - 1n;

export interface SealedStoreOptions {
  minerId: Uint8Array;
  /** Mining reads kept in flight (default 32). */
  readInflight?: number;
  /** O_DIRECT for mining reads: 'auto' (default) uses it where the filesystem allows. */
  direct?: boolean | 'auto';
}

export interface SealToCommit {
  sealIndex: number;
  sealed: Uint8Array;
  contextDigest: Uint8Array;
}

export interface LoadSourceOptions {
  /** Loads outside the current mining range/shard can be hidden from the miner. */
  minable?: (loadIndex: bigint) => boolean;
  metrics?: ReadMetrics;
}

/**
 * The LoadSource the store hands out, plus two cheaper reads for backends that copy the load into
 * their own memory anyway (a SharedArrayBuffer for CPU workers, a GPU staging buffer): `readInto`
 * fills a caller buffer (no allocation), `withLoad` lends the reader's aligned buffer (no copy).
 */
export interface StoreLoadSource extends LoadSource {
  readInto(loadIndex: bigint, target: Uint8Array): Promise<Uint8Array>;
  /** `fn`'s view is valid only until the promise it returns settles. */
  withLoad<T>(loadIndex: bigint, fn: (view: Uint8Array) => T | Promise<T>): Promise<T>;
}

export interface StoreStats {
  knownSectors: bigint;
  sealedSectors: bigint;
  completeLoads: number;
  sealedLoads: number;
}

export class SealedStore {
  readonly dir: string;
  readonly minerId: Uint8Array;
  readonly #table: LoadTable;
  readonly #journal: FileHandle;
  #journalBytes: number;
  readonly #raw: FileHandle;
  readonly #sealed: FileHandle;
  readonly #roots: FileHandle;
  readonly #reader: LoadReader;
  readonly #unlock: () => void;
  /** The flow's Merkle tree, in `<dir>/tree/` (persistedFlowTree.ts); complete loads are recorded in it. */
  readonly flowTree: PersistedFlowTree;
  /** Mutations run one at a time, in call order. */
  #tail: Promise<unknown> = Promise.resolve();
  #failed: unknown = null;
  #closed = false;

  private constructor(
    dir: string,
    minerId: Uint8Array,
    parts: { table: LoadTable; journal: FileHandle; journalBytes: number; raw: FileHandle; sealed: FileHandle; roots: FileHandle; reader: LoadReader; unlock: () => void; tree: PersistedFlowTree }
  ) {
    this.flowTree = parts.tree;
    this.dir = dir;
    this.minerId = minerId;
    this.#table = parts.table;
    this.#journal = parts.journal;
    this.#journalBytes = parts.journalBytes;
    this.#raw = parts.raw;
    this.#sealed = parts.sealed;
    this.#roots = parts.roots;
    this.#reader = parts.reader;
    this.#unlock = parts.unlock;
  }

  /**
   * Opens (or creates) the store in `dir` and replays its journal.
   * @throws MinerError STORE_ERROR if the dir is sealed for another miner id, locked, or corrupt.
   */
  static async open(dir: string, opts: SealedStoreOptions): Promise<SealedStore> {
    if (opts.minerId.length !== 32) throw new RangeError(`minerId: expected 32 bytes, got ${opts.minerId.length}`);
    await mkdir(dir, { recursive: true });
    const unlock = acquireDirLock(dir);
    const handles: FileHandle[] = [];
    let reader: LoadReader | null = null;
    let tree: PersistedFlowTree | null = null;
    try {
      const journalPath = join(dir, 'journal.bin');
      if (!(await exists(journalPath))) await createJournal(dir, opts.minerId);
      const image = new Uint8Array(await readFile(journalPath));
      const { records, validBytes } = scanJournal(image, journalPath);
      const header = records[0] ?? null;
      if (!isHeader(header) || header.a !== FORMAT_VERSION) {
        throw new MinerError('STORE_ERROR', `${dir}: journal.bin is not a zg-miner store (format ${FORMAT_VERSION}); use an empty --data-dir`);
      }
      if (!equalBytes(header.digest!, opts.minerId)) {
        throw new MinerError('STORE_ERROR', `${dir}: data dir is sealed for miner id ${toHex(header.digest!)}, not ${toHex(opts.minerId)}; use another --data-dir`);
      }
      const journal = await open(journalPath, 'r+');
      handles.push(journal);
      if (validBytes !== image.length) {
        await journal.truncate(validBytes); // drop a record torn by a crash
        await journal.datasync();
      }
      const table = new LoadTable();
      for (const r of records.slice(1)) replay(table, r);
      const rw = constants.O_RDWR | constants.O_CREAT;
      const raw = await open(join(dir, 'raw.bin'), rw, 0o644);
      handles.push(raw);
      const sealed = await open(join(dir, 'sealed.bin'), rw, 0o644);
      handles.push(sealed);
      const roots = await open(join(dir, 'roots.bin'), rw, 0o644);
      handles.push(roots);
      fsyncDir(dir);
      tree = await PersistedFlowTree.open(join(dir, 'tree'));
      reader = LoadReader.open(join(dir, 'sealed.bin'), { inflight: opts.readInflight ?? DEFAULT_INFLIGHT, direct: opts.direct ?? 'auto' });
      const store = new SealedStore(dir, Uint8Array.from(opts.minerId), { table, journal, journalBytes: validBytes, raw, sealed, roots, reader, unlock, tree });
      const missingRoots = [...table.loads].filter(([, st]) => st.complete && !st.rootsValid).map(([L]) => L);
      await store.#persistRoots(missingRoots);
      return store;
    } catch (e) {
      reader?.close();
      await tree?.close();
      for (const h of handles) await h.close();
      unlock();
      throw e;
    }
  }

  /** Stores raw flow bytes at `startSector` (a multiple of 256 bytes); durable when it resolves. */
  writeFlowData(startSector: bigint, data: Uint8Array): Promise<void> {
    if (data.length === 0 || data.length % BYTES_PER_SECTOR !== 0) throw new RangeError(`writeFlowData: ${data.length} bytes is not a positive multiple of 256`);
    checkSector(startSector);
    const end = startSector + BigInt(data.length / BYTES_PER_SECTOR);
    checkSector(end);
    return this.#serial(async () => {
      const runs = this.#table.unknownRuns(startSector, end);
      if (runs.length === 0) return;
      for (const [from, to] of runs) {
        const bytes = data.subarray(Number(from - startSector) * BYTES_PER_SECTOR, Number(to - startSector) * BYTES_PER_SECTOR);
        await writeAll(this.#raw, bytes, Number(from) * BYTES_PER_SECTOR);
      }
      await this.#raw.datasync();
      await this.#markKnown(runs, RecordType.KNOWN);
    });
  }

  /**
   * Stores a whole load whose roots the caller has already checked against the chain (a peer's
   * load, verified against the flow tree): writes its unknown sectors, marks them known, keeps
   * the given seal roots and records the load root in the flow tree, without hashing it again.
   */
  writeVerifiedLoad(loadIndex: bigint, bytes: Uint8Array, roots: LoadRoots): Promise<void> {
    if (bytes.length !== BYTES_PER_LOAD) throw new RangeError(`writeVerifiedLoad: ${bytes.length} bytes is not one load (${BYTES_PER_LOAD})`);
    if (roots.sealRoots.length !== SEALS_PER_LOAD || roots.loadRoot.length !== ROOT_BYTES || roots.sealRoots.some((r) => r.length !== ROOT_BYTES))
      throw new RangeError('writeVerifiedLoad: roots must be one 32-byte load root and 64 32-byte seal roots');
    const start = loadIndex * SECTORS_PER_LOAD_N;
    checkSector(start + SECTORS_PER_LOAD_N);
    if (start < 0n) throw new RangeError(`writeVerifiedLoad: load ${loadIndex} is negative`);
    return this.#serial(async () => {
      const runs = this.#table.unknownRuns(start, start + SECTORS_PER_LOAD_N);
      if (runs.length === 0) return;
      const known = await this.flowTree.node(LOAD_LEVEL, loadIndex);
      if (known !== null && !equalBytes(known, roots.loadRoot))
        throw new MinerError('STORE_ERROR', `load ${loadIndex}: root ${toHex(roots.loadRoot)} disagrees with the flow tree's ${toHex(known)}; nothing written`);
      for (const [from, to] of runs) {
        const part = bytes.subarray(Number(from - start) * BYTES_PER_SECTOR, Number(to - start) * BYTES_PER_SECTOR);
        await writeAll(this.#raw, part, Number(from) * BYTES_PER_SECTOR);
      }
      await this.#raw.datasync();
      await this.#markKnown(runs, RecordType.KNOWN, new Map([[loadIndex, roots]]));
    });
  }

  /** Marks sectors [startSector, endSector) as zeros (flow gaps, padding) without writing them. */
  markKnownZero(startSector: bigint, endSector: bigint): Promise<void> {
    checkSector(startSector);
    checkSector(endSector);
    if (endSector < startSector) throw new RangeError(`markKnownZero: end ${endSector} < start ${startSector}`);
    return this.#serial(async () => {
      const runs = this.#table.unknownRuns(startSector, endSector);
      if (runs.length > 0) await this.#markKnown(runs, RecordType.ZERO);
    });
  }

  /** True when every sector of [startSector, endSector) is known (data or zeros). */
  sectorsKnown(startSector: bigint, endSector: bigint): boolean {
    return endSector <= startSector || this.#table.unknownRuns(startSector, endSector).length === 0;
  }

  knownSectors(loadIndex: bigint): number {
    return this.#table.get(loadIndex)?.knownCount ?? 0;
  }

  isLoadComplete(loadIndex: bigint): boolean {
    return this.#table.get(loadIndex)?.complete ?? false;
  }

  /** 262144 unsealed bytes of load L; sectors not known (or known zero) read as zeros. */
  readRawLoad(loadIndex: bigint): Promise<Uint8Array> {
    this.#checkOpen();
    return this.#readRawLoad(loadIndex);
  }

  sealedMask(loadIndex: bigint): bigint {
    return this.#table.get(loadIndex)?.sealedMask ?? 0n;
  }

  /** The context digest seal `sealIndex` of load L was sealed with, or null if it is not sealed. */
  sealContext(loadIndex: bigint, sealIndex: number): Uint8Array | null {
    const d = this.#table.get(loadIndex)?.contexts.get(sealIndex);
    return d === undefined ? null : Uint8Array.from(d);
  }

  /**
   * Stores sealed seals of load L and marks them sealed; durable when it resolves. Resealing a
   * sealed seal (new context digest) is allowed. The seals' raw sectors must be known.
   */
  commitSealed(loadIndex: bigint, seals: SealToCommit[]): Promise<void> {
    checkSector(loadIndex * SECTORS_PER_LOAD_N + SECTORS_PER_LOAD_N);
    let mask = 0n;
    for (const s of seals) {
      if (!Number.isInteger(s.sealIndex) || s.sealIndex < 0 || s.sealIndex >= SEALS_PER_LOAD) throw new RangeError(`commitSealed: sealIndex ${s.sealIndex} is not in 0..63`);
      if (s.sealed.length !== BYTES_PER_SEAL) throw new RangeError(`commitSealed: seal ${s.sealIndex} has ${s.sealed.length} bytes, expected 4096`);
      if (s.contextDigest.length !== 32) throw new RangeError(`commitSealed: seal ${s.sealIndex} context digest has ${s.contextDigest.length} bytes, expected 32`);
      const bit = 1n << BigInt(s.sealIndex);
      if (mask & bit) throw new RangeError(`commitSealed: seal ${s.sealIndex} given twice`);
      mask |= bit;
    }
    return this.#serial(async () => {
      if (seals.length === 0) return;
      for (const s of seals) {
        if (!this.#table.sealKnown(loadIndex, s.sealIndex)) {
          throw new MinerError('STORE_ERROR', `load ${loadIndex} seal ${s.sealIndex}: its raw sectors are not all known; write the flow data before sealing`);
        }
      }
      const reseal = this.sealedMask(loadIndex) & mask;
      if (reseal !== 0n) {
        // Retract first: the old record must not vouch for bytes we are about to overwrite.
        await this.#append([{ type: RecordType.UNSEALED, a: loadIndex, b: reseal, digest: null }]);
        this.#table.clearSealed(loadIndex, reseal);
      }
      const sorted = [...seals].sort((x, y) => x.sealIndex - y.sealIndex);
      for (let i = 0; i < sorted.length; ) {
        // Coalesce consecutive seals into one write.
        let j = i + 1;
        while (j < sorted.length && sorted[j]!.sealIndex === sorted[j - 1]!.sealIndex + 1) j++;
        const run = new Uint8Array((j - i) * BYTES_PER_SEAL);
        for (let k = i; k < j; k++) run.set(sorted[k]!.sealed, (k - i) * BYTES_PER_SEAL);
        await writeAll(this.#sealed, run, sealByte(loadIndex, sorted[i]!.sealIndex));
        i = j;
      }
      await this.#sealed.datasync();
      const byDigest = new Map<string, { digest: Uint8Array; mask: bigint }>();
      for (const s of sorted) {
        const key = toHex(s.contextDigest);
        const g = byDigest.get(key) ?? { digest: Uint8Array.from(s.contextDigest), mask: 0n };
        g.mask |= 1n << BigInt(s.sealIndex);
        byDigest.set(key, g);
      }
      const recs: JournalRecord[] = [...byDigest.values()].map((g) => ({ type: RecordType.SEALED, a: loadIndex, b: g.mask, digest: g.digest }));
      await this.#append(recs);
      for (const g of byDigest.values()) this.#table.setSealed(loadIndex, g.mask, g.digest);
    });
  }

  /** The 4096 sealed bytes of a sealed seal. @throws MinerError STORE_ERROR if it is not sealed. */
  readSealedSeal(loadIndex: bigint, sealIndex: number): Promise<Uint8Array> {
    this.#checkOpen();
    if (((this.sealedMask(loadIndex) >> BigInt(sealIndex)) & 1n) === 0n) {
      return Promise.reject(new MinerError('STORE_ERROR', `load ${loadIndex} seal ${sealIndex} is not sealed`));
    }
    return this.#reader.read(sealByte(loadIndex, sealIndex), BYTES_PER_SEAL);
  }

  /** Level-10 root of the unsealed load (leaf 0 = 0x00… for load 0), once the load is complete. */
  loadRoot(loadIndex: bigint): Uint8Array | null {
    const roots = this.sealRoots(loadIndex);
    return roots === null ? null : completeRoot(roots);
  }

  /** The 64 level-4 roots of the unsealed load (proof levels 4..9), once the load is complete. */
  sealRoots(loadIndex: bigint): Uint8Array[] | null {
    this.#checkOpen();
    const st = this.#table.get(loadIndex);
    if (st === undefined || !st.complete || !st.rootsValid) return null;
    const buf = new Uint8Array(ROOTS_PER_LOAD_BYTES);
    const n = readSync(this.#roots.fd, buf, 0, buf.length, Number(loadIndex) * ROOTS_PER_LOAD_BYTES);
    if (n !== buf.length) throw new MinerError('STORE_ERROR', `${this.dir}: roots.bin is short at load ${loadIndex}; the data dir was truncated`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < SEALS_PER_LOAD; i++) out.push(buf.slice(i * ROOT_BYTES, (i + 1) * ROOT_BYTES));
    return out;
  }

  /** Loads whose 1024 sectors are all known, ascending. */
  completeLoads(): bigint[] {
    const out: bigint[] = [];
    for (const [L, st] of this.#table.loads) if (st.complete) out.push(L);
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * The miner's view: availability = sealed mask, except seal 0 of load 0 (its leaf is the flow
   * placeholder, never provable); reads are the 256 KiB sealed loads, O_DIRECT where allowed.
   */
  loadSource(opts: LoadSourceOptions = {}): StoreLoadSource {
    const { minable, metrics } = opts;
    return {
      availability: (loadIndex: bigint): bigint => {
        if (minable !== undefined && !minable(loadIndex)) return 0n;
        const mask = this.sealedMask(loadIndex);
        return loadIndex === 0n ? mask & ~1n : mask;
      },
      read: (loadIndex: bigint): Promise<Uint8Array> => this.#reader.readLoad(loadIndex, metrics),
      readInto: (loadIndex: bigint, target: Uint8Array): Promise<Uint8Array> => {
        if (target.length < BYTES_PER_LOAD) return Promise.reject(new RangeError(`readInto: target has ${target.length} bytes, need ${BYTES_PER_LOAD}`));
        return this.#reader.readLoad(loadIndex, metrics, target.subarray(0, BYTES_PER_LOAD));
      },
      withLoad: <T>(loadIndex: bigint, fn: (view: Uint8Array) => T | Promise<T>): Promise<T> => this.#reader.withLoad(loadIndex, fn, metrics),
    };
  }

  /** Whether mining reads bypass the page cache (O_DIRECT). */
  get directReads(): boolean {
    return this.#reader.direct;
  }

  stats(): StoreStats {
    let knownSectors = 0n;
    let sealedSeals = 0;
    let completeLoads = 0;
    let sealedLoads = 0;
    for (const st of this.#table.loads.values()) {
      knownSectors += BigInt(st.knownCount);
      sealedSeals += st.contexts.size;
      if (st.complete) completeLoads++;
      if (st.sealedMask === FULL_MASK) sealedLoads++;
    }
    return { knownSectors, sealedSectors: BigInt(sealedSeals * SECTORS_PER_SEAL), completeLoads, sealedLoads };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => undefined);
    this.#reader.close();
    await this.flowTree.close();
    for (const h of [this.#journal, this.#raw, this.#sealed, this.#roots]) await h.close();
    this.#unlock();
  }

  #checkOpen(): void {
    if (this.#closed) throw new MinerError('STORE_ERROR', `${this.dir}: store is closed`);
  }

  /** Runs mutations one at a time; after a failed write the store refuses further writes. */
  #serial(fn: () => Promise<void>): Promise<void> {
    this.#checkOpen();
    const run = this.#tail.then(async () => {
      if (this.#failed !== null) throw new MinerError('STORE_ERROR', `${this.dir}: an earlier write failed; restart to recover from the journal`, { cause: this.#failed });
      try {
        await fn();
      } catch (e) {
        if (e instanceof RangeError || e instanceof MinerError) throw e; // refused before any write
        // An I/O error mid-sequence: memory may disagree with disk, and the journal on disk is the truth.
        this.#failed = e;
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        throw new MinerError('STORE_ERROR', `${this.dir}: write failed (${code}); check the disk, then restart to recover from the journal`, { cause: e });
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #markKnown(runs: [bigint, bigint][], type: typeof RecordType.KNOWN | typeof RecordType.ZERO, given?: Map<bigint, LoadRoots>): Promise<void> {
    await this.#append(runs.map(([a, b]) => ({ type, a, b, digest: null })));
    const completed: bigint[] = [];
    for (const [a, b] of runs) completed.push(...this.#table.markKnown(a, b, type === RecordType.ZERO));
    await this.#persistRoots(completed, given);
  }

  /**
   * Stores the seal roots of newly complete loads (hashed once, in wasm, unless `given`) in
   * roots.bin, records each load root in the flow tree (when the tree's events reach that far),
   * then appends the ROOTS records: a ROOTS record implies both are durable.
   */
  async #persistRoots(loads: bigint[], given?: Map<bigint, LoadRoots>): Promise<void> {
    if (loads.length === 0) return;
    const treeLength = this.flowTree.length();
    for (const L of loads) {
      const roots = given?.get(L) ?? hashLoad(L, await this.#readRawLoad(L));
      const buf = new Uint8Array(ROOTS_PER_LOAD_BYTES);
      roots.sealRoots.forEach((r, i) => buf.set(r, i * ROOT_BYTES));
      await writeAll(this.#roots, buf, Number(L) * ROOTS_PER_LOAD_BYTES);
      if ((L + 1n) * SECTORS_PER_LOAD_N <= treeLength) await this.flowTree.recordLoad(L, roots.loadRoot, roots.sealRoots);
    }
    await this.#roots.datasync();
    await this.#append(loads.map((L) => ({ type: RecordType.ROOTS, a: L, b: 0n, digest: null })));
    for (const L of loads) this.#table.get(L)!.rootsValid = true;
  }

  async #readRawLoad(loadIndex: bigint): Promise<Uint8Array> {
    const out = new Uint8Array(BYTES_PER_LOAD);
    const st = this.#table.get(loadIndex);
    if (st === undefined || st.knownCount === 0) return out;
    let done = 0;
    const base = Number(loadIndex) * BYTES_PER_LOAD;
    while (done < out.length) {
      const { bytesRead } = await this.#raw.read(out, done, out.length - done, base + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // Unknown sectors may hold bytes of a write that was torn before its record: never expose them.
    for (let s = 0; s < SECTORS_PER_LOAD; s++) {
      if (!st.isKnown(s) || st.isZero(s)) out.fill(0, s * BYTES_PER_SECTOR, (s + 1) * BYTES_PER_SECTOR);
    }
    return out;
  }

  async #append(records: JournalRecord[]): Promise<void> {
    const buf = new Uint8Array(records.length * RECORD_BYTES);
    records.forEach((r, i) => encodeRecord(r, buf, i * RECORD_BYTES));
    await writeAll(this.#journal, buf, this.#journalBytes);
    await this.#journal.datasync();
    this.#journalBytes += buf.length;
  }
}

function replay(table: LoadTable, r: JournalRecord): void {
  switch (r.type) {
    case RecordType.KNOWN:
    case RecordType.ZERO:
      table.markKnown(r.a, r.b, r.type === RecordType.ZERO);
      break;
    case RecordType.SEALED:
      table.setSealed(r.a, r.b, r.digest!);
      break;
    case RecordType.UNSEALED:
      table.clearSealed(r.a, r.b);
      break;
    case RecordType.ROOTS: {
      const st = table.get(r.a);
      if (st !== undefined) st.rootsValid = true;
      break;
    }
    case RecordType.HEADER:
      break;
  }
}

function sealByte(loadIndex: bigint, sealIndex: number): number {
  return (Number(loadIndex) * SEALS_PER_LOAD + sealIndex) * BYTES_PER_SEAL;
}

/** Byte offsets are JS numbers: 2^53 bytes (8 PiB) is far above any single store. */
function checkSector(sector: bigint): void {
  if (sector < 0n || sector * BigInt(BYTES_PER_SECTOR) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`sector ${sector} is outside 0..2^45`);
  }
}
