/**
 * The flow's transactions as the Submit events told them (txSeq → where the file lies, its size,
 * node roots and data root), for the zgs RPC (`getFileInfo`, downloads, uploads) and for the
 * per-transaction fallback of the sync client. Kept in `<dataDir>/txs.jsonl`, one line per
 * transaction, appended and fdatasync'ed before the follower moves past the event's block, so a
 * crash never loses a transaction the follower thinks it has seen; a torn last line is dropped on
 * open and re-added when the follower re-reads that block.
 *
 * A real flow has millions of transactions, so memory holds them column-wise in growable typed
 * arrays (about 120 bytes per transaction plus 33 per node, against ~3 KB as objects): records
 * are built when asked for, and data roots are found through a hash of their first bytes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dataRootFromNodes } from '../core/fileRoot.js';
import { equalBytes } from '../bytes.js';
import type { Bytes32, FlowSubmission } from '../types.js';

export interface TxRecord extends FlowSubmission {
  dataRoot: Bytes32;
}

interface Line {
  s: string;
  p: string;
  l: string;
  b: string;
  n: [string, number][];
  k: number;
}

const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

/** A Float64Array (or Uint8Array) that doubles when full. */
class Column<T extends Float64Array | Uint8Array | Int32Array> {
  a: T;
  readonly #make: (n: number) => T;
  constructor(make: (n: number) => T) {
    this.#make = make;
    this.a = make(1024);
  }
  ensure(n: number): void {
    if (n <= this.a.length) return;
    let size = this.a.length;
    while (size < n) size *= 2;
    const b = this.#make(size);
    b.set(this.a as never);
    this.a = b;
  }
}

/** 48 bits of a root as a number key (collisions are resolved by comparing whole roots). */
function rootKey(root: Uint8Array): number {
  return root[0]! * 2 ** 40 + root[1]! * 2 ** 32 + ((root[2]! << 24) >>> 0) + (root[3]! << 16) + (root[4]! << 8) + root[5]!;
}

export class TxIndex {
  #n = 0;
  // Per transaction. Sector positions, sizes and txSeqs stay below 2^53 (a flow of 2^53 sectors
  // is 2 EiB), so doubles hold them exactly.
  readonly #seq = new Column((n) => new Float64Array(n));
  readonly #start = new Column((n) => new Float64Array(n));
  readonly #length = new Column((n) => new Float64Array(n));
  readonly #size = new Column((n) => new Float64Array(n));
  readonly #block = new Column((n) => new Float64Array(n));
  /** Index of the transaction's first node; its last is the next transaction's first − 1. */
  readonly #nodeFrom = new Column((n) => new Float64Array(n));
  readonly #dataRoot = new Column((n) => new Uint8Array(n));
  /** The previous transaction whose data root has the same key, or −1. */
  readonly #prevSameKey = new Column((n) => new Int32Array(n));
  // Per node.
  #nodes = 0;
  readonly #nodeRoot = new Column((n) => new Uint8Array(n));
  readonly #nodeHeight = new Column((n) => new Uint8Array(n));
  /** Data-root key → the newest transaction with it. */
  readonly #byKey = new Map<number, number>();
  #fh: FileHandle | null = null;

  private constructor() {}

  /** An index kept in `file` (null: memory only, for tests). */
  static async open(file: string | null): Promise<TxIndex> {
    const ix = new TxIndex();
    if (file === null) return ix;
    // Streamed, line by line: the file grows with the flow, so it is never read whole.
    let good = 0;
    let size = 0;
    let lastTerminated = true;
    try {
      const fh = await open(file, 'r');
      try {
        size = (await fh.stat()).size;
        const lines = createInterface({ input: fh.createReadStream({ autoClose: false }), crlfDelay: Infinity });
        for await (const l of lines) {
          if (l === '') {
            good += 1;
            continue;
          }
          let v: Line;
          try {
            v = JSON.parse(l) as Line;
          } catch {
            break; // a torn tail: the follower re-reads its block
          }
          ix.remember({
            txSeq: BigInt(v.s),
            startPos: BigInt(v.p),
            lengthSectors: BigInt(v.l),
            sizeBytes: BigInt(v.b),
            nodes: v.n.map(([r, h]) => ({ root: unhex(r), height: h })),
            blockNumber: v.k,
          });
          good += Buffer.byteLength(l) + 1;
        }
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (good > size) {
      // The last line parsed but lacks its newline: the next append must not join it.
      good = size;
      lastTerminated = false;
    }
    ix.#fh = await open(file, 'a+');
    if (good < size) await ix.#fh.truncate(good);
    if (!lastTerminated) await ix.#fh.appendFile('\n');
    return ix;
  }

  /** Adds one transaction in memory; false for a repeat (or an older one). */
  private remember(sub: FlowSubmission): boolean {
    // Repeats are ignored; the first may be past 0 when log_sync_start_block_number skips early blocks.
    if (this.#n > 0 && Number(sub.txSeq) <= this.#seq.a[this.#n - 1]!) return false;
    const i = this.#n;
    for (const c of [this.#seq, this.#start, this.#length, this.#size, this.#block, this.#nodeFrom, this.#prevSameKey]) c.ensure(i + 1);
    this.#dataRoot.ensure((i + 1) * 32);
    this.#seq.a[i] = Number(sub.txSeq);
    this.#start.a[i] = Number(sub.startPos);
    this.#length.a[i] = Number(sub.lengthSectors);
    this.#size.a[i] = Number(sub.sizeBytes);
    this.#block.a[i] = sub.blockNumber;
    this.#nodeFrom.a[i] = this.#nodes;
    this.#nodeRoot.ensure((this.#nodes + sub.nodes.length) * 32);
    this.#nodeHeight.ensure(this.#nodes + sub.nodes.length);
    for (const n of sub.nodes) {
      this.#nodeRoot.a.set(n.root, this.#nodes * 32);
      this.#nodeHeight.a[this.#nodes++] = n.height;
    }
    const root = dataRootFromNodes(sub.nodes);
    this.#dataRoot.a.set(root, i * 32);
    const key = rootKey(root);
    this.#prevSameKey.a[i] = this.#byKey.get(key) ?? -1;
    this.#byKey.set(key, i);
    this.#n++;
    return true;
  }

  /** The record of the transaction at position i (0 ≤ i < count). */
  private record(i: number): TxRecord {
    const from = this.#nodeFrom.a[i]!;
    const to = i + 1 < this.#n ? this.#nodeFrom.a[i + 1]! : this.#nodes;
    const nodes: { root: Bytes32; height: number }[] = [];
    for (let k = from; k < to; k++) nodes.push({ root: this.#nodeRoot.a.slice(k * 32, k * 32 + 32), height: this.#nodeHeight.a[k]! });
    return {
      txSeq: BigInt(this.#seq.a[i]!),
      startPos: BigInt(this.#start.a[i]!),
      lengthSectors: BigInt(this.#length.a[i]!),
      sizeBytes: BigInt(this.#size.a[i]!),
      nodes,
      blockNumber: this.#block.a[i]!,
      dataRoot: this.#dataRoot.a.slice(i * 32, i * 32 + 32),
    };
  }

  /** Adds Submit events in txSeq order (repeats ignored); durable when it resolves. */
  async add(subs: readonly FlowSubmission[]): Promise<void> {
    const lines: string[] = [];
    for (const sub of subs) {
      if (!this.remember(sub)) continue;
      const line: Line = {
        s: String(sub.txSeq),
        p: String(sub.startPos),
        l: String(sub.lengthSectors),
        b: String(sub.sizeBytes),
        n: sub.nodes.map((n) => [Buffer.from(n.root).toString('hex'), n.height]),
        k: sub.blockNumber,
      };
      lines.push(JSON.stringify(line));
    }
    if (lines.length === 0 || this.#fh === null) return;
    await this.#fh.appendFile(`${lines.join('\n')}\n`);
    await this.#fh.datasync();
  }

  get count(): number {
    return this.#n;
  }

  /** The txSeq after the last known transaction (the node's `nextTxSeq`). */
  get nextTxSeq(): bigint {
    return this.#n === 0 ? 0n : BigInt(this.#seq.a[this.#n - 1]!) + 1n;
  }

  /** Position of `txSeq` in the index, or −1 (txSeqs are increasing: a binary search). */
  private indexOfSeq(txSeq: bigint): number {
    const t = Number(txSeq);
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#seq.a[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.#n && this.#seq.a[lo] === t ? lo : -1;
  }

  bySeqNo(txSeq: bigint): TxRecord | null {
    const i = this.indexOfSeq(txSeq);
    return i < 0 ? null : this.record(i);
  }

  /** Transactions with this data root, oldest first (the same file can be submitted twice). */
  byDataRoot(root: Bytes32): readonly TxRecord[] {
    const out: TxRecord[] = [];
    if (root.length !== 32) return out;
    for (let i = this.#byKey.get(rootKey(root)) ?? -1; i >= 0; i = this.#prevSameKey.a[i]!)
      if (equalBytes(this.#dataRoot.a.subarray(i * 32, i * 32 + 32), root)) out.push(this.record(i));
    return out.reverse();
  }

  /** Transactions whose sectors overlap [start, end), in order. */
  overlapping(start: bigint, end: bigint): TxRecord[] {
    // Transactions are in flow order: binary search for the first that ends after `start`.
    const s = Number(start);
    const e = Number(end);
    let lo = 0;
    let hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#start.a[mid]! + this.#length.a[mid]! <= s) lo = mid + 1;
      else hi = mid;
    }
    const out: TxRecord[] = [];
    for (let i = lo; i < this.#n && this.#start.a[i]! < e; i++) out.push(this.record(i));
    return out;
  }

  /** Flow ends (sector after each transaction) of up to `limit` transactions, newest first. */
  recentEnds(limit: number): bigint[] {
    const out: bigint[] = [];
    for (let i = this.#n - 1; i >= 0 && out.length < limit; i--) out.push(BigInt(this.#start.a[i]! + this.#length.a[i]!));
    return out;
  }

  /** Flow sector after the last transaction (0 when there is none). */
  get flowEnd(): bigint {
    return this.#n === 0 ? 0n : BigInt(this.#start.a[this.#n - 1]! + this.#length.a[this.#n - 1]!);
  }

  async close(): Promise<void> {
    await this.#fh?.close();
    this.#fh = null;
  }
}
