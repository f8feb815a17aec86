/**
 * The flow's transactions as the Submit events told them (txSeq → where the file lies, its size,
 * node roots and data root), for the zgs RPC (`getFileInfo`, downloads, uploads) and for the
 * per-transaction fallback of the sync client. Kept in `<dataDir>/txs.jsonl`, one line per
 * transaction, appended and fdatasync'ed before the follower moves past the event's block, so a
 * crash never loses a transaction the follower thinks it has seen; a torn last line is dropped on
 * open and re-added when the follower re-reads that block.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dataRootFromNodes } from '../core/fileRoot.js';
import { toHex } from '../bytes.js';
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

export class TxIndex {
  private readonly bySeq: TxRecord[] = [];
  private readonly seqMap = new Map<bigint, TxRecord>();
  private readonly byRoot = new Map<string, TxRecord[]>();
  private fh: FileHandle | null = null;

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
    ix.fh = await open(file, 'a+');
    if (good < size) await ix.fh.truncate(good);
    if (!lastTerminated) await ix.fh.appendFile('\n');
    return ix;
  }

  private remember(sub: FlowSubmission): TxRecord | null {
    // Repeats are ignored; the first may be past 0 when log_sync_start_block_number skips early blocks.
    const last = this.bySeq[this.bySeq.length - 1];
    if (last !== undefined && sub.txSeq <= last.txSeq) return null;
    const rec: TxRecord = { ...sub, dataRoot: dataRootFromNodes(sub.nodes) };
    this.bySeq.push(rec);
    this.seqMap.set(rec.txSeq, rec);
    const key = toHex(rec.dataRoot);
    const list = this.byRoot.get(key);
    if (list) list.push(rec);
    else this.byRoot.set(key, [rec]);
    return rec;
  }

  /** Adds Submit events in txSeq order (repeats ignored); durable when it resolves. */
  async add(subs: readonly FlowSubmission[]): Promise<void> {
    const lines: string[] = [];
    for (const sub of subs) {
      const rec = this.remember(sub);
      if (rec === null) continue;
      const line: Line = {
        s: String(rec.txSeq),
        p: String(rec.startPos),
        l: String(rec.lengthSectors),
        b: String(rec.sizeBytes),
        n: rec.nodes.map((n) => [toHex(n.root), n.height]),
        k: rec.blockNumber,
      };
      lines.push(JSON.stringify(line));
    }
    if (lines.length === 0 || this.fh === null) return;
    await this.fh.appendFile(`${lines.join('\n')}\n`);
    await this.fh.datasync();
  }

  get count(): number {
    return this.bySeq.length;
  }

  /** The txSeq after the last known transaction (the node's `nextTxSeq`). */
  get nextTxSeq(): bigint {
    const t = this.bySeq[this.bySeq.length - 1];
    return t === undefined ? 0n : t.txSeq + 1n;
  }

  bySeqNo(txSeq: bigint): TxRecord | null {
    return this.seqMap.get(txSeq) ?? null;
  }

  /** Transactions with this data root, oldest first (the same file can be submitted twice). */
  byDataRoot(root: Bytes32): readonly TxRecord[] {
    return this.byRoot.get(toHex(root)) ?? [];
  }

  /** Transactions whose sectors overlap [start, end), in order. */
  overlapping(start: bigint, end: bigint): TxRecord[] {
    // Transactions are in flow order: binary search for the first that ends after `start`.
    let lo = 0;
    let hi = this.bySeq.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const t = this.bySeq[mid]!;
      if (t.startPos + t.lengthSectors <= start) lo = mid + 1;
      else hi = mid;
    }
    const out: TxRecord[] = [];
    for (let i = lo; i < this.bySeq.length; i++) {
      const t = this.bySeq[i]!;
      if (t.startPos >= end) break;
      out.push(t);
    }
    return out;
  }

  /** Flow sector after the last transaction (0 when there is none). */
  get flowEnd(): bigint {
    const t = this.bySeq[this.bySeq.length - 1];
    return t === undefined ? 0n : t.startPos + t.lengthSectors;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
  }
}
