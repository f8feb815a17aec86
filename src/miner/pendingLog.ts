/**
 * The follower's pending transactions (seen on chain, data not stored yet) as an append-only log:
 * `+{entry}` when one is added, `-txSeq` when it leaves. A real flow has millions of transactions
 * and a fresh miner may wait for most of them, so rewriting the whole list on every change (as a
 * JSON state file would) costs O(pending) per poll; the log costs O(changes) and is compacted
 * when dead lines outnumber live ones. Appends are fdatasync'ed before the follower's state file
 * moves past the events that added them, so no pending transaction is forgotten by a crash; a
 * removal lost to a crash only brings an entry back, and its data is found stored on its retry.
 */
import { open, rename, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface PendingEntry {
  txSeq: string;
  startPos: string;
  lengthSectors: string;
  sizeBytes: string;
  nodes: { root: string; height: number }[];
}

const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^\d+$/.test(v);

/** True when `p` has the shape of a pending entry (roots as 64 hex digits). */
export function isPendingEntry(p: unknown): p is PendingEntry {
  const e = p as PendingEntry;
  return (
    typeof p === 'object' && p !== null && isDecimal(e.txSeq) && isDecimal(e.startPos) && isDecimal(e.lengthSectors) && isDecimal(e.sizeBytes) &&
    Array.isArray(e.nodes) && e.nodes.every((n) => typeof n === 'object' && n !== null && typeof n.root === 'string' && /^[0-9a-f]{64}$/.test(n.root) && Number.isInteger(n.height))
  );
}

/** Compaction starts once this many dead lines are in the file and they outnumber the live ones. */
const COMPACT_MIN_DEAD = 4096;

export class PendingLog {
  readonly file: string;
  #fh: FileHandle;
  #buffered: string[] = [];
  #live: number;
  #dead: number;

  private constructor(file: string, fh: FileHandle, live: number, dead: number) {
    this.file = file;
    this.#fh = fh;
    this.#live = live;
    this.#dead = dead;
  }

  /** Opens (or creates) the log and returns the live entries in the order they were added. */
  static async open(file: string): Promise<{ log: PendingLog; entries: PendingEntry[] }> {
    const live = new Map<string, PendingEntry>();
    let good = 0;
    let lines = 0;
    let size = 0;
    try {
      const fh = await open(file, 'r');
      try {
        size = (await fh.stat()).size;
        for await (const l of createInterface({ input: fh.createReadStream({ autoClose: false }), crlfDelay: Infinity })) {
          const len = Buffer.byteLength(l) + 1;
          if (good + len > size) break; // no newline yet: a torn append
          if (l.startsWith('-') && isDecimal(l.slice(1))) live.delete(l.slice(1));
          else {
            let e: unknown;
            try {
              e = l.startsWith('+') ? JSON.parse(l.slice(1)) : null;
            } catch {
              e = null;
            }
            if (!isPendingEntry(e)) break; // garbage from a torn write: the rest is dropped
            live.delete(e.txSeq); // re-added after a lost removal: it moves to its newest place
            live.set(e.txSeq, e);
          }
          good += len;
          lines++;
        }
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const fh = await open(file, 'a+');
    if (good < size) await fh.truncate(good);
    // Flow order: entries were added in flow order, and a re-added one keeps the order by txSeq.
    const entries = [...live.values()].sort((a, b) => (BigInt(a.txSeq) < BigInt(b.txSeq) ? -1 : BigInt(a.txSeq) > BigInt(b.txSeq) ? 1 : 0));
    return { log: new PendingLog(file, fh, entries.length, lines - entries.length), entries };
  }

  add(e: PendingEntry): void {
    this.#buffered.push(`+${JSON.stringify(e)}`);
    this.#live++;
  }

  remove(txSeq: string): void {
    this.#buffered.push(`-${txSeq}`);
    this.#live--;
    this.#dead += 2; // its `+` line and this one
  }

  /** Makes every add and remove so far durable; compacts into `entries` when the dead lines dominate. */
  async flush(entries: () => readonly PendingEntry[]): Promise<void> {
    if (this.#buffered.length === 0) return;
    if (this.#dead >= COMPACT_MIN_DEAD && this.#dead > this.#live) {
      await this.rewrite(entries());
      return;
    }
    const text = `${this.#buffered.join('\n')}\n`;
    this.#buffered = [];
    await this.#fh.appendFile(text);
    await this.#fh.datasync();
  }

  /** Replaces the log by exactly `entries` (temp file, fsync, rename: a crash leaves the old or the new). */
  async rewrite(entries: readonly PendingEntry[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      const CHUNK = 4096;
      for (let i = 0; i < entries.length; i += CHUNK)
        await fh.appendFile(entries.slice(i, i + CHUNK).map((e) => `+${JSON.stringify(e)}\n`).join(''));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    const dir = await open(this.file.slice(0, Math.max(1, this.file.lastIndexOf('/'))), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    await this.#fh.close();
    this.#fh = await open(this.file, 'a+');
    this.#buffered = [];
    this.#live = entries.length;
    this.#dead = 0;
  }

  get liveCount(): number {
    return this.#live;
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}
