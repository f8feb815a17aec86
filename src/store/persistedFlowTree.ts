/**
 * The flow's Merkle tree (core/flowTree.ts) kept on disk, so it is never rebuilt at start and
 * costs no memory per load: the one FlowTreePort implementation (proofs for answers, checks of
 * peer data, the RPC server).
 *
 * On-disk format, in `<store>/tree/` (integers little-endian):
 *   level-HH.bin  node i of level HH (decimal, 2 digits) at byte 32·i; 32 zero bytes = unknown
 *                 (no real node hashes to zero; the flow's leaf 0, literally zero, is implied).
 *                 Sparse: only known nodes use space.
 *   gaps.bin      16-byte records [start u64, end u64): the zero-sector intervals the tree added
 *                 (alignment and segment padding), in order; only the first `gapCount` count.
 *   meta.bin      two 64-byte slots written alternately, the valid one with the higher `seq` wins:
 *                 magic "ZGFLOWTR" u64, seq u64, length u64 (sectors), nextTxSeq u64, gapCount u64,
 *                 zero, crc32 of bytes [0..60) at 60.
 *
 * Ordering rule: an operation's nodes (and gaps) are written and fdatasync'ed before the meta slot
 * that counts them. A crash before the meta leaves nodes past the recorded length (or unrecorded
 * gap records): the next open ignores them, and re-applying the same events writes the same bytes.
 * A recorded load's nodes are durable before `recordLoad` resolves, and the store appends its ROOTS
 * record only after that, so a ROOTS record implies the tree holds the load.
 *
 * Memory: O(1) (plus open file handles); a proof reads O(height) nodes with 32-byte preads.
 */
import { closeSync, constants, fdatasync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { promisify } from 'node:util';
import { FlowTree, FLOW_LEAF_ZERO, LOAD_LEVEL, treeHeight, type FlowNodeStorage } from '../core/flowTree.js';
import { MinerError } from '../errors.js';
import { toHex } from '../bytes.js';
import type { Bytes32, FlowSubmission } from '../types.js';
import type { FlowTreePort } from '../miner/ports.js';
import { fsyncDir } from './fileOps.js';

const HASH = 32;
const META_SLOT = 64;
const GAP_BYTES = 16;
const META_MAGIC = Buffer.from('ZGFLOWTR', 'latin1').readBigUInt64LE(0);
const fdatasyncAsync = promisify(fdatasync);
/** Nodes per cached page (4 KiB) and pages cached (1 MiB). */
const PAGE_NODES = 128;
const CACHE_PAGES = 256;

function allZero(b: Uint8Array): boolean {
  for (let k = 0; k < b.length; k++) if (b[k] !== 0) return false;
  return true;
}

/** Nodes in one sparse file per level; writes wait in memory until `flush`. */
class FileNodeStorage implements FlowNodeStorage {
  readonly #dir: string;
  readonly #fds: number[] = [];
  /** Nodes set since the last flush, per level (reads see them first). */
  readonly #dirty = new Map<number, Map<number, Uint8Array>>();
  /** Recently read pages by (level, page): a bounded LRU (Map order). */
  readonly #cache = new Map<number, Uint8Array>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  #fd(h: number): number {
    let fd = this.#fds[h];
    if (fd === undefined) {
      const name = join(this.#dir, `level-${String(h).padStart(2, '0')}.bin`);
      fd = openSync(name, constants.O_RDWR | constants.O_CREAT, 0o644);
      this.#fds[h] = fd;
    }
    return fd;
  }

  get(h: number, i: number): Uint8Array | undefined {
    const d = this.#dirty.get(h)?.get(i);
    if (d !== undefined) return d;
    if (h === 0 && i === 0) return FLOW_LEAF_ZERO;
    const page = this.#page(h, Math.floor(i / PAGE_NODES));
    const at = (i % PAGE_NODES) * HASH;
    const v = page.subarray(at, at + HASH);
    return allZero(v) ? undefined : v.slice();
  }

  /** A 4 KiB page of nodes, from a small cache (appends and neighbouring proofs reuse pages). */
  #page(h: number, p: number): Uint8Array {
    const key = h * 2 ** 47 + p;
    let page = this.#cache.get(key);
    if (page !== undefined) {
      this.#cache.delete(key); // most recently used last
      this.#cache.set(key, page);
      return page;
    }
    page = new Uint8Array(PAGE_NODES * HASH);
    readSync(this.#fd(h), page, 0, page.length, p * page.length); // past the end reads as zeros (unknown)
    this.#cache.set(key, page);
    if (this.#cache.size > CACHE_PAGES) this.#cache.delete(this.#cache.keys().next().value!);
    return page;
  }

  set(h: number, i: number, v: Uint8Array): void {
    let level = this.#dirty.get(h);
    if (level === undefined) this.#dirty.set(h, (level = new Map()));
    level.set(i, Uint8Array.from(v));
  }

  get dirty(): boolean {
    return this.#dirty.size > 0;
  }

  /** Writes the pending nodes (runs of adjacent ones coalesced) and fdatasyncs each level touched. */
  async flush(): Promise<void> {
    const touched: number[] = [];
    for (const [h, nodes] of this.#dirty) {
      const fd = this.#fd(h);
      const idx = [...nodes.keys()].sort((a, b) => a - b);
      for (let k = 0; k < idx.length; ) {
        let e = k + 1;
        while (e < idx.length && idx[e] === idx[e - 1]! + 1) e++;
        const run = new Uint8Array((e - k) * HASH);
        for (let m = k; m < e; m++) run.set(nodes.get(idx[m]!)!, (m - k) * HASH);
        let done = 0;
        while (done < run.length) done += writeSync(fd, run, done, run.length - done, idx[k]! * HASH + done);
        // Cached pages now disagree with the file: update them in place.
        for (let m = k; m < e; m++) {
          const page = this.#cache.get(h * 2 ** 47 + Math.floor(idx[m]! / PAGE_NODES));
          if (page !== undefined) page.set(nodes.get(idx[m]!)!, (idx[m]! % PAGE_NODES) * HASH);
        }
        k = e;
      }
      touched.push(fd);
    }
    this.#dirty.clear();
    await Promise.all(touched.map((fd) => fdatasyncAsync(fd)));
  }

  /** Drops unflushed nodes (after a failed operation: disk is the truth). */
  discard(): void {
    this.#dirty.clear();
  }

  close(): void {
    for (const fd of this.#fds) if (fd !== undefined) closeSync(fd);
    this.#fds.length = 0;
  }
}

interface Meta {
  seq: bigint;
  length: bigint;
  nextTxSeq: bigint;
  gapCount: bigint;
}

function encodeMeta(m: Meta): Uint8Array {
  const b = Buffer.alloc(META_SLOT);
  b.writeBigUInt64LE(META_MAGIC, 0);
  b.writeBigUInt64LE(m.seq, 8);
  b.writeBigUInt64LE(m.length, 16);
  b.writeBigUInt64LE(m.nextTxSeq, 24);
  b.writeBigUInt64LE(m.gapCount, 32);
  b.writeUInt32LE(crc32(b.subarray(0, 60)), 60);
  return b;
}

function decodeMeta(b: Buffer): Meta | null {
  if (b.length < META_SLOT || b.readBigUInt64LE(0) !== META_MAGIC || b.readUInt32LE(60) !== crc32(b.subarray(0, 60))) return null;
  return { seq: b.readBigUInt64LE(8), length: b.readBigUInt64LE(16), nextTxSeq: b.readBigUInt64LE(24), gapCount: b.readBigUInt64LE(32) };
}

export class PersistedFlowTree implements FlowTreePort {
  readonly dir: string;
  readonly #nodes: FileNodeStorage;
  readonly #tree: FlowTree;
  readonly #meta: FileHandle;
  readonly #gaps: FileHandle;
  #state: Meta;
  /** Set when an operation failed after changing the in-memory tree: disk is the truth, restart. */
  #failed: unknown = null;
  /** Operations run one at a time, in call order. */
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, nodes: FileNodeStorage, tree: FlowTree, meta: FileHandle, gaps: FileHandle, state: Meta) {
    this.dir = dir;
    this.#nodes = nodes;
    this.#tree = tree;
    this.#meta = meta;
    this.#gaps = gaps;
    this.#state = state;
  }

  /** Opens (or creates) the tree in `dir`: reads the meta slot and the gap records, nothing per node. */
  static async open(dir: string): Promise<PersistedFlowTree> {
    await mkdir(dir, { recursive: true });
    const rw = constants.O_RDWR | constants.O_CREAT;
    const meta = await open(join(dir, 'meta.bin'), rw, 0o644);
    const gaps = await open(join(dir, 'gaps.bin'), rw, 0o644);
    const nodes = new FileNodeStorage(dir);
    try {
      const slots = Buffer.alloc(2 * META_SLOT);
      await meta.read(slots, 0, slots.length, 0);
      const valid = [decodeMeta(slots.subarray(0, META_SLOT)), decodeMeta(slots.subarray(META_SLOT))].filter((m): m is Meta => m !== null);
      const haveMeta = fstatSync(meta.fd).size > 0;
      if (haveMeta && valid.length === 0) throw new MinerError('STORE_ERROR', `${dir}/meta.bin: no valid slot; delete ${dir} to rebuild the flow tree from the chain`);
      const state = valid.sort((a, b) => (a.seq > b.seq ? -1 : 1))[0] ?? null;
      let tree: FlowTree;
      if (state === null) {
        tree = new FlowTree(nodes);
        tree.takeNewGaps();
        fsyncDir(dir);
      } else {
        // Gap records are few (one per padded submission): read them in bounded chunks.
        const list: [number, number][] = [];
        const chunk = Buffer.alloc(GAP_BYTES * 4096);
        for (let k = 0n; k < state.gapCount; ) {
          const n = Number(state.gapCount - k < 4096n ? state.gapCount - k : 4096n);
          const { bytesRead } = await gaps.read(chunk, 0, n * GAP_BYTES, Number(k) * GAP_BYTES);
          if (bytesRead < n * GAP_BYTES) throw new MinerError('STORE_ERROR', `${dir}/gaps.bin is short; delete ${dir} to rebuild the flow tree from the chain`);
          for (let r = 0; r < n; r++) list.push([Number(chunk.readBigUInt64LE(r * GAP_BYTES)), Number(chunk.readBigUInt64LE(r * GAP_BYTES + 8))]);
          k += BigInt(n);
        }
        tree = new FlowTree(nodes, { length: Number(state.length), gaps: list });
      }
      return new PersistedFlowTree(dir, nodes, tree, meta, gaps, state ?? { seq: 0n, length: 1n, nextTxSeq: 0n, gapCount: 0n });
    } catch (e) {
      nodes.close();
      await meta.close();
      await gaps.close();
      throw e;
    }
  }

  length(): bigint {
    return this.#tree.length;
  }

  /** The txSeq of the next Submit event the tree expects. */
  get nextTxSeq(): bigint {
    return this.#state.nextTxSeq;
  }

  addSubmission(sub: FlowSubmission): Promise<{ startSector: bigint; endSector: bigint }> {
    return this.#serial(async () => {
      const range = { startSector: sub.startPos, endSector: sub.startPos + sub.lengthSectors };
      if (sub.txSeq < this.#state.nextTxSeq) return range;
      if (sub.txSeq > this.#state.nextTxSeq)
        throw new MinerError('STORE_ERROR', `flow tree: Submit event txSeq ${sub.txSeq} arrived before txSeq ${this.#state.nextTxSeq}; the event scan skipped one`);
      // From here the in-memory tree changes: any failure leaves it ahead of the disk.
      this.#failed = 'an earlier Submit event failed to apply';
      let got: { startPos: bigint; length: bigint };
      try {
        got = this.#tree.submit(sub.nodes.map((n) => ({ root: n.root, height: n.height })));
      } catch (e) {
        throw new MinerError('STORE_ERROR', `flow tree: Submit event txSeq ${sub.txSeq} cannot be applied: ${(e as Error).message}`, { cause: e });
      }
      if (got.startPos !== sub.startPos || got.length !== sub.lengthSectors)
        throw new MinerError(
          'STORE_ERROR',
          `flow tree: Submit event txSeq ${sub.txSeq} says sectors [${sub.startPos}, +${sub.lengthSectors}), the tree placed it at [${got.startPos}, +${got.length}); the tree disagrees with the chain`
        );
      const newGaps = this.#tree.takeNewGaps();
      await this.#nodes.flush();
      if (newGaps.length > 0) {
        const buf = Buffer.alloc(newGaps.length * GAP_BYTES);
        newGaps.forEach(([a, b], r) => {
          buf.writeBigUInt64LE(BigInt(a), r * GAP_BYTES);
          buf.writeBigUInt64LE(BigInt(b), r * GAP_BYTES + 8);
        });
        await this.#gaps.write(buf, 0, buf.length, Number(this.#state.gapCount) * GAP_BYTES);
        await this.#gaps.datasync();
      }
      await this.#writeMeta({
        seq: this.#state.seq + 1n,
        length: this.#tree.length,
        nextTxSeq: sub.txSeq + 1n,
        gapCount: this.#state.gapCount + BigInt(newGaps.length),
      });
      this.#failed = null;
      return range;
    });
  }

  async rootAt(flowLength: bigint): Promise<Bytes32> {
    return this.#read(() => this.#tree.rootAt(flowLength));
  }

  async node(level: number, index: bigint): Promise<Bytes32 | null> {
    return this.#read(() => this.#tree.completeNode(level, index) ?? null);
  }

  async proof(level: number, index: bigint, flowLength: bigint): Promise<Bytes32[]> {
    return this.#read(() => this.#tree.proofAt(level, index, flowLength));
  }

  recordLoad(loadIndex: bigint, loadRoot: Bytes32, _sealRoots: Bytes32[]): Promise<void> {
    return this.recordLoads([{ loadIndex, loadRoot }]);
  }

  /** recordLoad for many loads with one flush (the store's bulk path); stops at the first refusal. */
  recordLoads(loads: readonly { loadIndex: bigint; loadRoot: Bytes32 }[]): Promise<void> {
    if (loads.length === 0) return Promise.resolve();
    return this.#serial(async () => {
      try {
        for (const { loadIndex, loadRoot } of loads) {
          let ok: boolean;
          try {
            ok = this.#tree.recordNode(LOAD_LEVEL, loadIndex, loadRoot);
          } catch (e) {
            throw new MinerError('STORE_ERROR', `flow tree: load ${loadIndex}: ${(e as Error).message}`, { cause: e });
          }
          if (!ok) throw new MinerError('STORE_ERROR', `flow tree: load ${loadIndex} root ${toHex(loadRoot)} disagrees with the flow tree (the events' roots); the data is not the chain's`);
        }
      } finally {
        // Loads recorded before a refusal are right: keep them.
        if (this.#nodes.dirty) await this.#nodes.flush();
      }
    });
  }

  /**
   * Records a complete node above the loads that a caller proved (a sibling on a sector-proof path
   * that folded, with a verified load root, to a node the events gave): a shard miner keeps the
   * roots of the loads it does not hold this way, so its answer proofs reach the flow root.
   * @throws MinerError if it disagrees with a known node.
   */
  recordNode(level: number, index: bigint, root: Bytes32): Promise<void> {
    return this.#serial(async () => {
      let ok: boolean;
      try {
        ok = this.#tree.recordNode(level, index, root);
      } catch (e) {
        throw new MinerError('STORE_ERROR', `flow tree: node (${level}, ${index}): ${(e as Error).message}`, { cause: e });
      }
      if (!ok) throw new MinerError('STORE_ERROR', `flow tree: node (${level}, ${index}) ${toHex(root)} disagrees with the flow tree`);
      if (this.#nodes.dirty) await this.#nodes.flush();
    });
  }

  /**
   * recordNode for many proven nodes with one flush (peer sync proves the load roots of a whole
   * event node at once). Stops at the first that disagrees; the ones before it are kept.
   * @throws MinerError if one disagrees with a known node.
   */
  recordNodes(nodes: readonly { level: number; index: bigint; root: Bytes32 }[]): Promise<void> {
    if (nodes.length === 0) return Promise.resolve();
    return this.#serial(async () => {
      try {
        for (const { level, index, root } of nodes) {
          let ok: boolean;
          try {
            ok = this.#tree.recordNode(level, index, root);
          } catch (e) {
            throw new MinerError('STORE_ERROR', `flow tree: node (${level}, ${index}): ${(e as Error).message}`, { cause: e });
          }
          if (!ok) throw new MinerError('STORE_ERROR', `flow tree: node (${level}, ${index}) ${toHex(root)} disagrees with the flow tree`);
        }
      } finally {
        if (this.#nodes.dirty) await this.#nodes.flush();
      }
    });
  }

  /** The tree's height at its current length. */
  get height(): number {
    return treeHeight(this.#tree.length);
  }

  async close(): Promise<void> {
    await this.#tail.catch(() => undefined);
    this.#nodes.close();
    await this.#meta.close();
    await this.#gaps.close();
  }

  async #writeMeta(m: Meta): Promise<void> {
    await this.#meta.write(encodeMeta(m), 0, META_SLOT, Number(m.seq % 2n) * META_SLOT);
    await this.#meta.datasync();
    this.#state = m;
  }

  /** A read of the tree: unknown nodes become MinerError (a proof this miner cannot give). */
  #read<T>(fn: () => T): T {
    if (this.#failed !== null) throw new MinerError('STORE_ERROR', `${this.dir}: ${String(this.#failed)}; restart to reopen the flow tree from disk`);
    try {
      return fn();
    } catch (e) {
      if (e instanceof RangeError) throw new MinerError('STORE_ERROR', `flow tree: ${e.message}`, { cause: e });
      throw e;
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(async () => {
      if (this.#failed !== null) throw new MinerError('STORE_ERROR', `${this.dir}: ${String(this.#failed)}; restart to reopen the flow tree from disk`);
      try {
        return await fn();
      } catch (e) {
        // What was not flushed is dropped; if the in-memory tree moved, #failed stops further work.
        this.#nodes.discard();
        throw e;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
