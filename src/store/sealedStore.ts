/**
 * The sealed store: flow data this miner holds, raw and sealed, in flat files under `--data-dir`,
 * built to survive `kill -9` or power loss at any instant, and to open in time proportional to the
 * changes since its last checkpoint (not to its size).
 *
 * On-disk format 3 (all integers little-endian):
 *   LOCK            pid of the process that has the dir open (dirLock.ts).
 *   journal.bin     fixed 64-byte checksummed records (journal.ts): HEADER (format version, miner
 *                   id), EPOCH (this journal's epoch e), then KNOWN/ZERO/SEALED/UNSEALED/ROOTS/
 *                   FORGET records. With checkpoint.bin it is the only source of truth about what is known
 *                   or sealed; the data files say nothing by themselves.
 *   checkpoint.bin  the load table (loadTable.ts: a flag byte and a 64-bit sealed mask per load,
 *                   bitmaps of partly known loads) as of the end of journal epoch E (checkpoint.ts).
 *                   Written (temp + rename) when the journal passes `checkpointBytes` and on close;
 *                   then the journal is replaced by an empty one of epoch E+1 (temp + rename).
 *                   Open = read the checkpoint + replay the journal, streamed, only if e = E+1
 *                   (e ≤ E: the crash hit between the two renames; those records are in the checkpoint).
 *   raw.bin         unsealed flow bytes, sector s at byte 256*s (sparse: only held loads use space;
 *                   known-zero sectors are never written and read as zeros).
 *                   Never written by sealing, so a crash while sealing cannot damage raw data.
 *   sealed.bin      sealed bytes, seal 64*L+i at byte 4096*(64*L+i) (= load L at 256 KiB * L, so a
 *                   load is one aligned 256 KiB read for the miner).
 *   contexts.bin    the context digest seal 64*L+i was sealed with, at byte 32*(64*L+i); written with
 *                   the sealed bytes, before the SEALED record that vouches for both.
 *   roots.bin       the 64 level-4 seal roots (32 bytes each) of complete load L at byte 2048*L
 *                   (not written for an all-zero load: its roots are ZERO_HASHES[4]).
 *   tree/           the flow's Merkle tree (persistedFlowTree.ts).
 *
 * Ordering rule: data bytes are written and fdatasync'ed *before* the journal record that vouches
 * for them is appended and fdatasync'ed. So after a crash a record either survived (its data is
 * durable) or it did not (its bytes are ignored and rewritten later). Known sectors are never
 * rewritten (flow data is immutable), and a sealed seal is rewritten only after an UNSEALED record
 * retracts it, so no record ever vouches for bytes that are being overwritten. A torn journal tail
 * is dropped on open; roots of a load completed just before a crash (its ROOTS record missing) are
 * recomputed on open, and such loads are recorded in the flow tree again.
 *
 * FORGET (format 3) retracts a load whose raw bytes failed their check (store/scrub.ts): its
 * sectors other than known zeros become unknown, its seals and roots are retracted and the load is
 * flagged FORGOTTEN (loadTable.ts) until it is complete again. Its bytes stay in raw.bin and
 * sealed.bin, vouched for by nothing, and are rewritten when the data comes back (import, a peer).
 * Format 2 is format 3 without FORGET: its journal is replayed, then rotated to a format-3 one.
 *
 * Format 1 (journal only, contexts in memory) is migrated on open: its journal is replayed, the
 * contexts written to contexts.bin, a checkpoint written and the journal rotated to format 2.
 *
 * Flow sector 0 is the placeholder leaf (no data): it counts as a known zero sector from the start,
 * and its Merkle leaf is 0x00…00 (spec §6.1).
 */
import { constants, readSync, writeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTES_PER_LOAD, BYTES_PER_SEAL, BYTES_PER_SECTOR, SEALS_PER_LOAD, SECTORS_PER_LOAD, SECTORS_PER_SEAL, SECTORS_PER_LOAD_N, BYTES_PER_SECTOR_N } from '../spec.js';
import { MinerError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import type { LoadSource } from '../backend/backend.js';
import { completeRoot, ZERO_HASHES } from '../core/merkle.js';
import { LOAD_LEVEL, type LoadRoots } from '../core/flowTree.js';
import { hashLoad, rootsAt } from './loadHash.js';
import { sharedHashPool, type HashPool } from './hashPool.js';
import { PersistedFlowTree } from './persistedFlowTree.js';
import { acquireDirLock } from './dirLock.js';
import { RECORD_BYTES, RecordType, encodeRecord, isHeader, streamJournal, FORMAT_VERSION, FORMAT_V2, FORMAT_V1, type JournalRecord } from './journal.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { createJournal, exists, fsyncDir, writeAll } from './fileOps.js';
import { LoadTable } from './loadTable.js';
import { DEFAULT_INFLIGHT, LoadReader, type ReadAt, type ReadMetrics } from './loader.js';

const ROOT_BYTES = 32;
const ROOTS_PER_LOAD_BYTES = SEALS_PER_LOAD * ROOT_BYTES;
/** Loads read back and hashed at once when a write completes loads whose roots were not given (16 MiB). */
const REHASH_WINDOW = 64;
/** Journal size that triggers a checkpoint (64 MiB = 1 M records: an open replays at most that). */
const DEFAULT_CHECKPOINT_BYTES = 64 << 20;

export interface SealedStoreOptions {
  minerId: Uint8Array;
  /** Mining reads kept in flight (default 32). */
  readInflight?: number;
  /** O_DIRECT for mining reads: 'auto' (default) uses it where the filesystem allows. */
  direct?: boolean | 'auto';
  /** Loads the sealer will seal (this miner's shard); the others never wait in its queue. Default: all. */
  sealable?: (loadIndex: bigint) => boolean;
  /** Journal size that triggers a checkpoint (default 64 MiB). */
  checkpointBytes?: number;
  /** Where stored data is hashed (default: the process's pool, one worker per core). */
  hashPool?: HashPool;
  /** The positional read of sealed.bin without O_DIRECT (default: the file's); tests inject media errors. */
  sealedReadAt?: ReadAt;
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
  /**
   * Called when a read of load L found sealed seals missing from sealed.bin (the file ends before
   * them: truncated) or could not read it (a media error such as EIO: the load reads as zeros), so
   * the store's check can look at L now (store/scrub.ts Scrubber.suspect). Without it a media
   * error rejects the read.
   */
  onDamagedRead?: (loadIndex: bigint, why: string) => void;
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
  /** Loads whose raw data failed its check and was forgotten, not yet complete again. */
  forgottenLoads: number;
}

export class SealedStore {
  readonly dir: string;
  readonly minerId: Uint8Array;
  readonly #table: LoadTable;
  #journal: FileHandle;
  #journalBytes: number;
  /** Epoch of journal.bin (the checkpoint holds every earlier one). */
  #epoch: bigint;
  readonly #checkpointBytes: number;
  readonly #raw: FileHandle;
  readonly #sealed: FileHandle;
  readonly #contexts: FileHandle;
  readonly #roots: FileHandle;
  readonly #reader: LoadReader;
  readonly #hashPool: HashPool;
  readonly #unlock: () => void;
  /** The flow's Merkle tree, in `<dir>/tree/` (persistedFlowTree.ts); complete loads are recorded in it. */
  readonly flowTree: PersistedFlowTree;
  /** Mutations run one at a time, in call order. */
  #tail: Promise<unknown> = Promise.resolve();
  #failed: unknown = null;
  #closed = false;
  /** Loads forgotten since open: a change tells a reader that loads it saw complete may be missing again. */
  #forgets = 0;
  /** Where reads that found sealed bytes missing are reported (the load source's `onDamagedRead`). */
  #onDamagedRead: ((loadIndex: bigint, why: string) => void) | null = null;

  private constructor(
    dir: string,
    minerId: Uint8Array,
    parts: {
      table: LoadTable;
      journal: FileHandle;
      journalBytes: number;
      epoch: bigint;
      checkpointBytes: number;
      raw: FileHandle;
      sealed: FileHandle;
      contexts: FileHandle;
      roots: FileHandle;
      reader: LoadReader;
      hashPool: HashPool;
      unlock: () => void;
      tree: PersistedFlowTree;
    }
  ) {
    this.flowTree = parts.tree;
    this.dir = dir;
    this.minerId = minerId;
    this.#table = parts.table;
    this.#journal = parts.journal;
    this.#journalBytes = parts.journalBytes;
    this.#epoch = parts.epoch;
    this.#checkpointBytes = parts.checkpointBytes;
    this.#raw = parts.raw;
    this.#sealed = parts.sealed;
    this.#contexts = parts.contexts;
    this.#roots = parts.roots;
    this.#reader = parts.reader;
    this.#hashPool = parts.hashPool;
    this.#unlock = parts.unlock;
  }

  /**
   * Opens (or creates) the store in `dir`: reads checkpoint.bin and replays the journal since it,
   * streamed (format 1 stores are migrated).
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
      if (!(await exists(journalPath))) {
        if (await exists(join(dir, 'checkpoint.bin'))) throw new MinerError('STORE_ERROR', `${dir}: journal.bin is missing beside checkpoint.bin; restore the data dir from a backup or delete it to resync`);
        await createJournal(dir, opts.minerId);
      }
      const rw = constants.O_RDWR | constants.O_CREAT;
      const open_ = async (name: string): Promise<FileHandle> => {
        const h = await open(join(dir, name), rw, 0o644);
        handles.push(h);
        return h;
      };
      const journal = await open_('journal.bin');
      const raw = await open_('raw.bin');
      const sealed = await open_('sealed.bin');
      const contexts = await open_('contexts.bin');
      const roots = await open_('roots.bin');
      const checkpoint = await readCheckpoint(dir, opts.minerId);
      const sealable = opts.sealable ?? null;
      const table = checkpoint === null ? new LoadTable(sealable) : new LoadTable(sealable, checkpoint.image);
      const size = (await journal.stat()).size;

      // Replay, streamed. The first record must be our header; format 1 journals have no EPOCH
      // record and keep contexts only in their SEALED records (written to contexts.bin here).
      let header: JournalRecord | null = null;
      let epoch: bigint | null = null;
      let apply = true;
      /** Loads completed by replayed records whose ROOTS record is missing: roots recomputed below. */
      const completed = new Set<number>();
      const ctxBuf = new Uint8Array(32);
      const validBytes = await streamJournal(journal, size, journalPath, (r) => {
        if (header === null) {
          header = r;
          if (!isHeader(r) || (r.a !== FORMAT_VERSION && r.a !== FORMAT_V2 && r.a !== FORMAT_V1))
            throw new MinerError('STORE_ERROR', `${dir}: journal.bin is not a zg-miner store (format ${FORMAT_V1} to ${FORMAT_VERSION}); use an empty --data-dir`);
          if (!equalBytes(r.digest!, opts.minerId))
            throw new MinerError('STORE_ERROR', `${dir}: data dir is sealed for miner id ${toHex(r.digest!)}, not ${toHex(opts.minerId)}; use another --data-dir`);
          if (r.a === FORMAT_V1) epoch = 0n;
          return;
        }
        if (epoch === null) {
          if (r.type !== RecordType.EPOCH) throw new MinerError('STORE_ERROR', `${journalPath}: format-2 journal without its EPOCH record; restore the data dir from a backup or delete it to resync`);
          epoch = r.a;
          const E = checkpoint?.epoch ?? null;
          if (E === null && epoch !== 0n) throw new MinerError('STORE_ERROR', `${journalPath}: journal epoch ${epoch} but no checkpoint.bin; restore the data dir from a backup or delete it to resync`);
          if (E !== null && epoch > E + 1n) throw new MinerError('STORE_ERROR', `${journalPath}: journal epoch ${epoch} is ahead of checkpoint epoch ${E}; restore the data dir from a backup or delete it to resync`);
          // epoch ≤ E: a crash between the checkpoint's rename and the journal's rotation; the checkpoint has it all.
          apply = E === null || epoch === E + 1n;
          return;
        }
        if (!apply) return;
        if (header!.a === FORMAT_V1 && r.type === RecordType.SEALED) {
          ctxBuf.set(r.digest!);
          for (let i = 0; i < SEALS_PER_LOAD; i++) if ((r.b >> BigInt(i)) & 1n) writeSync(contexts.fd, ctxBuf, 0, 32, contextByte(r.a, i));
        }
        replay(table, r, completed);
      });
      if (header === null) throw new MinerError('STORE_ERROR', `${dir}: journal.bin is empty or torn at its header; restore the data dir from a backup or delete it to resync`);
      const v1 = (header as JournalRecord).a === FORMAT_V1;
      const v2 = (header as JournalRecord).a === FORMAT_V2;
      if (validBytes !== size) {
        await journal.truncate(validBytes); // drop a record torn by a crash
        await journal.datasync();
      }
      if (v1) await contexts.datasync();
      fsyncDir(dir);
      tree = await PersistedFlowTree.open(join(dir, 'tree'));
      // The store is assigned below; a short read can only happen once reads start, after open.
      let self: SealedStore | null = null;
      reader = LoadReader.open(join(dir, 'sealed.bin'), {
        inflight: opts.readInflight ?? DEFAULT_INFLIGHT,
        direct: opts.direct ?? 'auto',
        onShortRead: (position, got, length) => {
          if (self !== null) self.#shortRead(position, got, length);
        },
        onMediaError: (position, length, code) => self !== null && self.#mediaError(position, length, code),
        ...(opts.sealedReadAt !== undefined ? { readAt: opts.sealedReadAt } : {}),
      });
      const store = new SealedStore(dir, Uint8Array.from(opts.minerId), {
        table,
        journal,
        journalBytes: validBytes,
        epoch: epoch ?? 0n,
        checkpointBytes: opts.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES,
        raw,
        sealed,
        contexts,
        roots,
        reader,
        hashPool: opts.hashPool ?? sharedHashPool(),
        unlock,
        tree,
      });
      self = store;
      await store.#persistRoots([...completed].sort((a, b) => a - b).map(BigInt));
      // A format-1 store, or a journal whose records the checkpoint already holds: start a fresh epoch.
      if (v1 || !apply) await store.#checkpoint(v1 ? 0n : checkpoint!.epoch);
      // A format-2 journal: its records go into a checkpoint, and FORGET records into a format-3 journal.
      else if (v2) await store.#checkpoint(epoch ?? 0n);
      return store;
    } catch (e) {
      reader?.close();
      await tree?.close();
      for (const h of handles) await h.close().catch(() => undefined);
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
      // Whole loads none of whose bytes are known yet are hashed from `data` itself (no read back),
      // on the hash pool while the data is written here.
      const firstLoad = (startSector + SECTORS_PER_LOAD_N - 1n) / SECTORS_PER_LOAD_N;
      const endLoad = end / SECTORS_PER_LOAD_N;
      const off = (L: bigint): number => Number(L * SECTORS_PER_LOAD_N - startSector) * BYTES_PER_SECTOR;
      const hashing = endLoad > firstLoad ? this.#hashPool.hashLoads(data.subarray(off(firstLoad), off(endLoad)), firstLoad === 0n) : null;
      hashing?.catch(() => undefined); // awaited below; a failure while writing must not go unhandled
      for (const [from, to] of runs) {
        const bytes = data.subarray(Number(from - startSector) * BYTES_PER_SECTOR, Number(to - startSector) * BYTES_PER_SECTOR);
        await writeAll(this.#raw, bytes, Number(from) * BYTES_PER_SECTOR);
      }
      await this.#raw.datasync();
      const given = new Map<bigint, LoadRoots>();
      if (hashing !== null) {
        const out = await hashing.catch((e: unknown) => {
          throw new BeforeRecord(e);
        });
        for (let L = firstLoad; L < endLoad; L++)
          if (this.#table.knownCount(Number(L)) === 0) given.set(L, rootsAt(out, Number(L - firstLoad))); // other bytes of it may already be known
      }
      await this.#markKnown(runs, RecordType.KNOWN, given);
    });
  }

  /**
   * Stores one submission's file at `startSector`: its bytes (the last sector zero-padded) and
   * sectors [start + ⌈size/256⌉, endSector) as known zeros (the node padding), in one durable
   * step. `roots` (by flow load index, e.g. from loadHash.ts hashFile, which checked the file
   * against the Submit nodes) are used for loads it completes instead of hashing them again.
   * They may still be on their way (a promise): the data is written and fdatasync'ed meanwhile,
   * and nothing is recorded when the promise rejects (e.g. the file failed its check), so the
   * written bytes stay unknown, never exposed, and are overwritten by the next write there.
   */
  writeSubmission(startSector: bigint, endSector: bigint, data: Uint8Array, roots?: Map<bigint, LoadRoots> | Promise<Map<bigint, LoadRoots> | undefined>): Promise<void> {
    const sectors = BigInt(Math.ceil(data.length / BYTES_PER_SECTOR));
    checkSector(startSector);
    checkSector(endSector);
    if (data.length === 0 || startSector + sectors > endSector) throw new RangeError(`writeSubmission: ${data.length} bytes do not fit sectors [${startSector}, ${endSector})`);
    const dataEnd = startSector + sectors;
    const rootsReady = Promise.resolve(roots);
    rootsReady.catch(() => undefined); // awaited after the writes; a rejection meanwhile is not unhandled
    return this.#serial(async () => {
      const runs = this.#table.unknownRuns(startSector, dataEnd);
      const full = Math.floor(data.length / BYTES_PER_SECTOR);
      for (const [from, to] of runs) {
        const a = Number(from - startSector);
        const b = Number(to - startSector);
        if (b <= full) await writeAll(this.#raw, data.subarray(a * BYTES_PER_SECTOR, b * BYTES_PER_SECTOR), Number(from) * BYTES_PER_SECTOR);
        else {
          // The run ends in the file's last, partial sector: write it zero-padded (256 bytes, not a copy of the file).
          if (b - 1 > a) await writeAll(this.#raw, data.subarray(a * BYTES_PER_SECTOR, (b - 1) * BYTES_PER_SECTOR), Number(from) * BYTES_PER_SECTOR);
          const last = new Uint8Array(BYTES_PER_SECTOR);
          last.set(data.subarray(full * BYTES_PER_SECTOR));
          await writeAll(this.#raw, last, Number(to - 1n) * BYTES_PER_SECTOR);
        }
      }
      if (runs.length > 0) await this.#raw.datasync();
      const given = await rootsReady.catch((e: unknown) => {
        throw new BeforeRecord(e);
      });
      const zeros = this.#table.unknownRuns(dataEnd, endSector);
      const records: JournalRecord[] = [
        ...runs.map(([a, b]) => ({ type: RecordType.KNOWN, a, b, digest: null })),
        ...zeros.map(([a, b]) => ({ type: RecordType.ZERO, a, b, digest: null })),
      ];
      if (records.length === 0) return;
      await this.#append(records);
      const completed: bigint[] = [];
      for (const [a, b] of runs) completed.push(...this.#table.markKnown(a, b, false));
      for (const [a, b] of zeros) completed.push(...this.#table.markKnown(a, b, true));
      await this.#persistRoots(completed, given);
    });
  }

  /**
   * Stores a whole load whose roots the caller has already checked against the chain (a peer's
   * load, verified against the flow tree): writes its unknown sectors, marks them known, keeps
   * the given seal roots and records the load root in the flow tree, without hashing it again.
   */
  writeVerifiedLoad(loadIndex: bigint, bytes: Uint8Array, roots: LoadRoots): Promise<void> {
    return this.writeVerifiedLoads([{ loadIndex, bytes, roots }]);
  }

  /**
   * `writeVerifiedLoad` for several loads with one group commit: all data, one fdatasync, then
   * one journal append (peer sync writes what arrived while the previous batch was syncing).
   * Nothing is written when any load disagrees with the flow tree.
   */
  writeVerifiedLoads(items: readonly { loadIndex: bigint; bytes: Uint8Array; roots: LoadRoots }[]): Promise<void> {
    for (const { loadIndex, bytes, roots } of items) {
      if (bytes.length !== BYTES_PER_LOAD) throw new RangeError(`writeVerifiedLoad: ${bytes.length} bytes is not one load (${BYTES_PER_LOAD})`);
      if (roots.sealRoots.length !== SEALS_PER_LOAD || roots.loadRoot.length !== ROOT_BYTES || roots.sealRoots.some((r) => r.length !== ROOT_BYTES))
        throw new RangeError('writeVerifiedLoad: roots must be one 32-byte load root and 64 32-byte seal roots');
      if (loadIndex < 0n) throw new RangeError(`writeVerifiedLoad: load ${loadIndex} is negative`);
      checkSector(loadIndex * SECTORS_PER_LOAD_N + SECTORS_PER_LOAD_N);
    }
    return this.#serial(async () => {
      const allRuns: [bigint, bigint][] = [];
      const given = new Map<bigint, LoadRoots>();
      const writes: { part: Uint8Array; at: number }[] = [];
      for (const { loadIndex, bytes, roots } of items) {
        const start = loadIndex * SECTORS_PER_LOAD_N;
        const runs = this.#table.unknownRuns(start, start + SECTORS_PER_LOAD_N);
        if (runs.length === 0 || given.has(loadIndex)) continue;
        const known = await this.flowTree.node(LOAD_LEVEL, loadIndex);
        if (known !== null && !equalBytes(known, roots.loadRoot))
          throw new MinerError('STORE_ERROR', `load ${loadIndex}: root ${toHex(roots.loadRoot)} disagrees with the flow tree's ${toHex(known)}; nothing written`);
        for (const [from, to] of runs) writes.push({ part: bytes.subarray(Number(from - start) * BYTES_PER_SECTOR, Number(to - start) * BYTES_PER_SECTOR), at: Number(from) * BYTES_PER_SECTOR });
        allRuns.push(...runs);
        given.set(loadIndex, roots);
      }
      if (allRuns.length === 0) return;
      for (const w of writes) await writeAll(this.#raw, w.part, w.at);
      await this.#raw.datasync();
      await this.#markKnown(allRuns, RecordType.KNOWN, given);
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

  knownSectors(loadIndex: bigint): number {
    return this.#table.knownCount(Number(loadIndex));
  }

  rangeKnown(start: bigint, end: bigint): boolean {
    return this.#table.unknownRuns(start, end).length === 0;
  }

  isLoadComplete(loadIndex: bigint): boolean {
    return this.#table.isComplete(Number(loadIndex));
  }

  /** 262144 unsealed bytes of load L; sectors not known (or known zero) read as zeros. */
  readRawLoad(loadIndex: bigint): Promise<Uint8Array> {
    this.#checkOpen();
    return this.#readRawLoad(loadIndex);
  }

  sealedMask(loadIndex: bigint): bigint {
    return this.#table.sealedMask(Number(loadIndex));
  }

  /** The context digest seal `sealIndex` of load L was sealed with, or null if it is not sealed. */
  sealContext(loadIndex: bigint, sealIndex: number): Uint8Array | null {
    this.#checkOpen();
    if (((this.sealedMask(loadIndex) >> BigInt(sealIndex)) & 1n) === 0n) return null;
    const buf = new Uint8Array(32);
    const n = readSync(this.#contexts.fd, buf, 0, 32, contextByte(loadIndex, sealIndex));
    if (n !== 32) throw new MinerError('STORE_ERROR', `${this.dir}: contexts.bin is short at load ${loadIndex}; the data dir was truncated`);
    return buf;
  }

  /**
   * Stores sealed seals of load L and marks them sealed; durable when it resolves. Resealing a
   * sealed seal (new context digest) is allowed. The seals' raw sectors must be known.
   */
  commitSealed(loadIndex: bigint, seals: SealToCommit[]): Promise<void> {
    return this.commitSealedMany([{ loadIndex, seals }]);
  }

  /**
   * `commitSealed` for several loads with one group commit: all sealed bytes and contexts, one
   * fdatasync of each file, then one journal append (the sealer commits what it sealed while the
   * previous commit ran). Nothing is written when any load is refused.
   */
  commitSealedMany(items: readonly { loadIndex: bigint; seals: SealToCommit[] }[]): Promise<void> {
    const masks: bigint[] = [];
    const loads = new Set<bigint>();
    for (const { loadIndex, seals } of items) {
      checkSector(loadIndex * SECTORS_PER_LOAD_N + SECTORS_PER_LOAD_N);
      if (loads.has(loadIndex)) throw new RangeError(`commitSealed: load ${loadIndex} given twice`);
      loads.add(loadIndex);
      let mask = 0n;
      for (const s of seals) {
        if (!Number.isInteger(s.sealIndex) || s.sealIndex < 0 || s.sealIndex >= SEALS_PER_LOAD) throw new RangeError(`commitSealed: sealIndex ${s.sealIndex} is not in 0..63`);
        if (s.sealed.length !== BYTES_PER_SEAL) throw new RangeError(`commitSealed: seal ${s.sealIndex} has ${s.sealed.length} bytes, expected 4096`);
        if (s.contextDigest.length !== 32) throw new RangeError(`commitSealed: seal ${s.sealIndex} context digest has ${s.contextDigest.length} bytes, expected 32`);
        const bit = 1n << BigInt(s.sealIndex);
        if (mask & bit) throw new RangeError(`commitSealed: seal ${s.sealIndex} given twice`);
        mask |= bit;
      }
      masks.push(mask);
    }
    return this.#serial(async () => {
      const todo = items.map((it, k) => ({ ...it, mask: masks[k]!, L: Number(it.loadIndex) })).filter((it) => it.seals.length > 0);
      if (todo.length === 0) return;
      for (const { loadIndex, seals, L } of todo) {
        for (const s of seals) {
          if (!this.#table.sealKnown(L, s.sealIndex)) {
            throw new MinerError('STORE_ERROR', `load ${loadIndex} seal ${s.sealIndex}: its raw sectors are not all known; write the flow data before sealing`);
          }
        }
      }
      const retract: JournalRecord[] = [];
      for (const { loadIndex, mask } of todo) {
        const reseal = this.sealedMask(loadIndex) & mask;
        if (reseal !== 0n) retract.push({ type: RecordType.UNSEALED, a: loadIndex, b: reseal, digest: null });
      }
      if (retract.length > 0) {
        // Retract first: the old records must not vouch for bytes we are about to overwrite.
        await this.#append(retract);
        for (const r of retract) this.#table.clearSealed(Number(r.a), r.b);
      }
      const recs: JournalRecord[] = [];
      for (const { loadIndex, seals } of todo) {
        const sorted = [...seals].sort((x, y) => x.sealIndex - y.sealIndex);
        for (let i = 0; i < sorted.length; ) {
          // Coalesce consecutive seals into one write (sealed bytes and their context digests).
          let j = i + 1;
          while (j < sorted.length && sorted[j]!.sealIndex === sorted[j - 1]!.sealIndex + 1) j++;
          // Seals that already lie back to back in one buffer (a backend's batch) are written from it, uncopied.
          const first = sorted[i]!.sealed;
          let adjacent = true;
          for (let k = i + 1; k < j && adjacent; k++) {
            const x = sorted[k]!.sealed;
            adjacent = x.buffer === first.buffer && x.byteOffset === first.byteOffset + (k - i) * BYTES_PER_SEAL;
          }
          const run = adjacent ? new Uint8Array(first.buffer, first.byteOffset, (j - i) * BYTES_PER_SEAL) : new Uint8Array((j - i) * BYTES_PER_SEAL);
          const ctx = new Uint8Array((j - i) * 32);
          for (let k = i; k < j; k++) {
            if (!adjacent) run.set(sorted[k]!.sealed, (k - i) * BYTES_PER_SEAL);
            ctx.set(sorted[k]!.contextDigest, (k - i) * 32);
          }
          await writeAll(this.#sealed, run, sealByte(loadIndex, sorted[i]!.sealIndex));
          await writeAll(this.#contexts, ctx, contextByte(loadIndex, sorted[i]!.sealIndex));
          i = j;
        }
        const byDigest = new Map<string, { digest: Uint8Array; mask: bigint }>();
        for (const s of sorted) {
          const key = toHex(s.contextDigest);
          const g = byDigest.get(key) ?? { digest: Uint8Array.from(s.contextDigest), mask: 0n };
          g.mask |= 1n << BigInt(s.sealIndex);
          byDigest.set(key, g);
        }
        for (const g of byDigest.values()) recs.push({ type: RecordType.SEALED, a: loadIndex, b: g.mask, digest: g.digest });
      }
      await Promise.all([this.#sealed.datasync(), this.#contexts.datasync()]);
      await this.#append(recs);
      for (const r of recs) this.#table.setSealed(Number(r.a), r.b);
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
    const L = Number(loadIndex);
    if (!this.#table.isComplete(L) || !this.#table.rootsValid(L)) return null;
    if (this.#table.isZeroLoad(L) && L !== 0) return Array.from({ length: SEALS_PER_LOAD }, () => ZERO_HASHES[4]!.slice());
    const buf = new Uint8Array(ROOTS_PER_LOAD_BYTES);
    const n = readSync(this.#roots.fd, buf, 0, buf.length, L * ROOTS_PER_LOAD_BYTES);
    if (n !== buf.length) throw new MinerError('STORE_ERROR', `${this.dir}: roots.bin is short at load ${loadIndex}; the data dir was truncated`);
    const out: Uint8Array[] = [];
    for (let i = 0; i < SEALS_PER_LOAD; i++) out.push(buf.slice(i * ROOT_BYTES, (i + 1) * ROOT_BYTES));
    return out;
  }

  /**
   * Retracts seals of load L (an UNSEALED record): they are no longer mined, served or submitted,
   * and the sealer seals them again. For seals that failed their check (store/scrub.ts).
   */
  retractSeals(loadIndex: bigint, mask: bigint): Promise<void> {
    return this.#serial(async () => {
      const m = this.sealedMask(loadIndex) & mask;
      if (m === 0n) return;
      await this.#append([{ type: RecordType.UNSEALED, a: loadIndex, b: m, digest: null }]);
      this.#table.clearSealed(Number(loadIndex), m);
    });
  }

  /**
   * Forgets load L (a FORGET record): its raw data failed its check against the flow's load root,
   * so it is no longer known (not served, not sealed, not mined: every seal is retracted) until
   * the data comes back through `zg-miner import` or a peer. Known zero sectors stay known.
   * Durable when it resolves; a load with nothing to forget is left as is.
   */
  forgetLoad(loadIndex: bigint): Promise<void> {
    return this.#serial(async () => {
      const L = Number(loadIndex);
      if (this.#table.isZeroLoad(L) || (this.#table.knownCount(L) === 0 && this.#table.sealedMask(L) === 0n)) return;
      await this.#append([{ type: RecordType.FORGET, a: loadIndex, b: 0n, digest: null }]);
      if (this.#table.forget(L)) this.#forgets++;
    });
  }

  /** Loads forgotten (their raw data failed its check) and not complete again, ascending. */
  forgottenLoads(): bigint[] {
    return this.#table.forgottenLoads().map(BigInt);
  }

  /** Loads forgotten since open: when it changes, loads once complete may be missing again (O(1)). */
  get forgets(): number {
    return this.#forgets;
  }

  /**
   * Re-derives the seal roots of complete load L from its raw bytes and rewrites them in roots.bin
   * (a damaged or deleted roots.bin); returns them (null for a load that is not complete).
   */
  rederiveRoots(loadIndex: bigint): Promise<LoadRoots | null> {
    let out: LoadRoots | null = null;
    return this.#serial(async () => {
      const L = Number(loadIndex);
      if (!this.#table.isComplete(L)) return;
      const roots = hashLoad(loadIndex, await this.#readRawLoad(loadIndex));
      out = roots;
      if (this.#table.isZeroLoad(L) && L !== 0) return;
      const buf = new Uint8Array(ROOTS_PER_LOAD_BYTES);
      roots.sealRoots.forEach((r, i) => buf.set(r, i * ROOT_BYTES));
      await writeAll(this.#roots, buf, L * ROOTS_PER_LOAD_BYTES);
      await this.#roots.datasync();
      if (!this.#table.rootsValid(L)) {
        await this.#append([{ type: RecordType.ROOTS, a: loadIndex, b: 0n, digest: null }]);
        this.#table.setRootsValid(L);
      }
    }).then(() => out);
  }

  /** Complete loads whose roots.bin entry lies past the file's end (cheap start-up check). */
  async loadsMissingRoots(): Promise<bigint[]> {
    const size = (await this.#roots.stat()).size;
    const out: bigint[] = [];
    for (let i = 0; i < this.#table.loads; i++) {
      if (this.#table.isComplete(i) && this.#table.rootsValid(i) && !(this.#table.isZeroLoad(i) && i !== 0) && (i + 1) * ROOTS_PER_LOAD_BYTES > size) out.push(BigInt(i));
    }
    return out;
  }

  /** One past the highest load index the store has touched (the scrub's range). */
  get loadCount(): bigint {
    return BigInt(this.#table.loads);
  }

  /** The lowest complete load ≥ `from` that is sealable and not fully sealed, or null; O(1) when none is. */
  nextUnsealedLoad(from: bigint): bigint | null {
    const L = this.#table.nextPending(Number(from));
    return L < 0 ? null : BigInt(L);
  }

  /**
   * The miner's view: availability = sealed mask, except seal 0 of load 0 (its leaf is the flow
   * placeholder, never provable); reads are the 256 KiB sealed loads, O_DIRECT where allowed.
   */
  loadSource(opts: LoadSourceOptions = {}): StoreLoadSource {
    const { minable, metrics } = opts;
    if (opts.onDamagedRead !== undefined) this.#onDamagedRead = opts.onDamagedRead;
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

  /** Counters kept up to date on every change: O(1). */
  stats(): StoreStats {
    const t = this.#table;
    return { knownSectors: BigInt(t.knownSectors), sealedSectors: BigInt(t.sealedSeals * SECTORS_PER_SEAL), completeLoads: t.completeLoads, sealedLoads: t.sealedLoads, forgottenLoads: t.forgottenCount };
  }

  /** Writes a checkpoint now (the next open replays nothing). */
  checkpoint(): Promise<void> {
    return this.#serial(() => this.#checkpoint(this.#epoch));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#tail.catch(() => undefined);
    // A checkpoint on close: the next open reads it and replays nothing.
    if (this.#failed === null && this.#journalBytes > 2 * RECORD_BYTES) await this.#checkpoint(this.#epoch).catch(() => undefined);
    this.#closed = true;
    this.#reader.close();
    await this.flowTree.close();
    for (const h of [this.#journal, this.#raw, this.#sealed, this.#contexts, this.#roots]) await h.close();
    this.#unlock();
  }

  /**
   * A read of sealed.bin [position, position + length) got only `got` bytes: the seals from there
   * on read as zeros. Only sealed seals (a SEALED record vouches that their bytes were written and
   * synced) are damage; the unsealed tail of the last load is simply not written yet. Only
   * whole-load reads (the miner's) are reported: single seals are read by the scrub and the hit
   * gate, which judge the bytes themselves.
   */
  #shortRead(position: number, got: number, length: number): void {
    const hook = this.#onDamagedRead;
    if (hook === null || length !== BYTES_PER_LOAD) return;
    const from = Math.floor((position + got) / BYTES_PER_SEAL);
    const to = (position + length) / BYTES_PER_SEAL;
    const L = Math.floor(position / BYTES_PER_LOAD);
    let missing = 0n;
    for (let k = from; k < to; k++) missing |= 1n << BigInt(k - L * SEALS_PER_LOAD);
    if ((this.sealedMask(BigInt(L)) & missing) !== 0n) hook(BigInt(L), `sealed.bin ends inside load ${L}: its sealed seals read as zeros (truncated)`);
  }

  /**
   * A read of sealed.bin failed with a media error (a bad disk block). A whole-load read (the
   * miner's) with a damage hook gets zeros and reports the load, so one unreadable load does not
   * stop the search: hits on its zeros fail the hit gate, whose own read fails too, and the store
   * check retracts the unreadable seals, which the sealer then writes again (a rewrite is how a
   * disk remaps a bad block). Single-seal reads (the scrub, the gate) throw: they judge the error.
   */
  #mediaError(position: number, length: number, code: string): boolean {
    const hook = this.#onDamagedRead;
    if (hook === null || length !== BYTES_PER_LOAD) return false;
    const L = BigInt(Math.floor(position / BYTES_PER_LOAD));
    hook(L, `sealed.bin: reading load ${L} failed (${code}, a disk or file-system error): it reads as zeros until checked`);
    return true;
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
        if (this.#journalBytes >= this.#checkpointBytes) await this.#checkpoint(this.#epoch);
      } catch (e) {
        if (e instanceof BeforeRecord) throw e.error; // raw bytes at unknown sectors at most: memory and disk agree
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

  /**
   * The table as of now becomes checkpoint epoch `epoch` (the current journal's), then the journal
   * is replaced by an empty one of epoch+1. A crash between the two renames leaves a journal of
   * epoch ≤ the checkpoint's, which the next open skips (its records are in the checkpoint).
   */
  async #checkpoint(epoch: bigint): Promise<void> {
    await writeCheckpoint(this.dir, this.minerId, epoch, this.#table.image());
    await createJournal(this.dir, this.minerId, epoch + 1n);
    const fresh = await open(join(this.dir, 'journal.bin'), 'r+');
    await this.#journal.close();
    this.#journal = fresh;
    this.#journalBytes = 2 * RECORD_BYTES;
    this.#epoch = epoch + 1n;
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
   * then appends the ROOTS records: a ROOTS record implies both are durable. An all-zero load
   * needs no roots.bin entry and no record (its roots are ZERO_HASHES); it is still recorded in
   * the tree, which knows it already when it lies in a gap of the flow.
   */
  async #persistRoots(loads: bigint[], given?: Map<bigint, LoadRoots>): Promise<void> {
    if (loads.length === 0) return;
    const treeLength = this.flowTree.length();
    const recorded: bigint[] = [];
    const tree: { loadIndex: bigint; loadRoot: Uint8Array }[] = [];
    // Loads completed without their roots at hand (by several writes, or found on open) are read
    // back and hashed on the pool, a window of them at a time: every core, bounded memory.
    const need = loads.filter((L) => given?.get(L) === undefined && !(this.#table.isZeroLoad(Number(L)) && L !== 0n));
    const hashed = new Map<bigint, LoadRoots>();
    for (let i = 0; i < need.length; i += REHASH_WINDOW) {
      const part = need.slice(i, i + REHASH_WINDOW);
      const raws: Uint8Array[] = [];
      for (const L of part) raws.push(await this.#readRawLoad(L));
      const roots = await Promise.all(part.map((L, k) => this.#hashPool.hashLoads(raws[k]!, L === 0n)));
      part.forEach((L, k) => hashed.set(L, rootsAt(roots[k]!, 0)));
    }
    let run: Uint8Array[][] = [];
    let runStart = 0n;
    const flushRun = async (): Promise<void> => {
      if (run.length === 0) return;
      const buf = new Uint8Array(run.length * ROOTS_PER_LOAD_BYTES);
      run.forEach((sealRoots, k) => sealRoots.forEach((r, i) => buf.set(r, k * ROOTS_PER_LOAD_BYTES + i * ROOT_BYTES)));
      await writeAll(this.#roots, buf, Number(runStart) * ROOTS_PER_LOAD_BYTES);
      run = [];
    };
    for (const L of loads) {
      const inTree = (L + 1n) * SECTORS_PER_LOAD_N <= treeLength;
      if (this.#table.isZeroLoad(Number(L)) && L !== 0n) {
        this.#table.setRootsValid(Number(L));
        if (inTree) tree.push({ loadIndex: L, loadRoot: ZERO_HASHES[LOAD_LEVEL]! });
        continue;
      }
      const roots = given?.get(L) ?? hashed.get(L)!;
      // Consecutive loads' roots go out in one write.
      if (run.length > 0 && L !== runStart + BigInt(run.length)) await flushRun();
      if (run.length === 0) runStart = L;
      run.push(roots.sealRoots);
      if (inTree) tree.push({ loadIndex: L, loadRoot: roots.loadRoot });
      recorded.push(L);
    }
    await flushRun();
    if (recorded.length > 0) await this.#roots.datasync();
    await this.flowTree.recordLoads(tree);
    if (recorded.length === 0) return;
    await this.#append(recorded.map((L) => ({ type: RecordType.ROOTS, a: L, b: 0n, digest: null })));
    for (const L of recorded) this.#table.setRootsValid(Number(L));
  }

  async #readRawLoad(loadIndex: bigint): Promise<Uint8Array> {
    const out = new Uint8Array(BYTES_PER_LOAD);
    const L = Number(loadIndex);
    const known = this.#table.knownCount(L);
    if (known === 0 || this.#table.isZeroLoad(L)) return out;
    let done = 0;
    const base = L * BYTES_PER_LOAD;
    while (done < out.length) {
      const { bytesRead } = await this.#raw.read(out, done, out.length - done, base + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // Unknown sectors may hold bytes of a write that was torn before its record: never expose them.
    if (known < SECTORS_PER_LOAD || this.#table.hasZeros(L)) {
      for (let s = 0; s < SECTORS_PER_LOAD; s++) {
        if (!this.#table.isKnown(L, s) || this.#table.isZero(L, s)) out.fill(0, s * BYTES_PER_SECTOR, (s + 1) * BYTES_PER_SECTOR);
      }
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

/**
 * A failure after raw bytes were written but before any record vouches for them (the hashing
 * failed, or the file failed its check): those bytes stay unknown, so the store is still sound and
 * takes further writes; the caller gets `error` itself.
 */
class BeforeRecord {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/** Applies one journal record to the table; `completed` collects loads completed without their ROOTS record yet. */
function replay(table: LoadTable, r: JournalRecord, completed: Set<number>): void {
  switch (r.type) {
    case RecordType.KNOWN:
    case RecordType.ZERO:
      for (const L of table.markKnown(r.a, r.b, r.type === RecordType.ZERO)) completed.add(Number(L));
      break;
    case RecordType.SEALED:
      table.setSealed(Number(r.a), r.b);
      break;
    case RecordType.UNSEALED:
      table.clearSealed(Number(r.a), r.b);
      break;
    case RecordType.ROOTS:
      if (table.isComplete(Number(r.a))) {
        table.setRootsValid(Number(r.a));
        completed.delete(Number(r.a));
      }
      break;
    case RecordType.FORGET:
      table.forget(Number(r.a));
      completed.delete(Number(r.a));
      break;
    case RecordType.HEADER:
    case RecordType.EPOCH:
      break;
  }
}

function sealByte(loadIndex: bigint, sealIndex: number): number {
  return (Number(loadIndex) * SEALS_PER_LOAD + sealIndex) * BYTES_PER_SEAL;
}

function contextByte(loadIndex: bigint, sealIndex: number): number {
  return (Number(loadIndex) * SEALS_PER_LOAD + sealIndex) * 32;
}

/** Byte offsets are JS numbers: 2^53 bytes (8 PiB) is far above any single store. */
function checkSector(sector: bigint): void {
  if (sector < 0n || sector * BYTES_PER_SECTOR_N > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`sector ${sector} is outside 0..2^45`);
  }
}
