/**
 * Where a transaction's file bytes come from (this issue: files the devnet uploaded itself and
 * files imported with `zg-miner import`; a later issue adds remote peers). Every file is checked
 * against the transaction's submission node roots before the miner stores it.
 */
import { open, readdir, writeFile, rename, mkdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTES_PER_SECTOR } from '../spec.js';
import { equalBytes, toHex } from '../bytes.js';
import { completeRoot, sectorLeaves, ZERO_HASHES } from '../core/merkle.js';
import type { Bytes32 } from '../types.js';

export interface DataSource {
  /** The file of transaction `txSeq` (exactly `sizeBytes` long), or null when not available here. */
  fileData(txSeq: bigint, sizeBytes: bigint): Promise<Uint8Array | null>;
  /** Forgets the file once its data is in the store (no second copy of the flow is kept). */
  remove?(txSeq: bigint): Promise<void>;
  /**
   * The transactions whose files are here now. With it the follower retries only those of its
   * pending transactions (work to do), not every one on every poll; without it, all of them.
   */
  available?(): Promise<ReadonlySet<bigint>>;
}

/**
 * The node roots a file of `data` has for the given node heights (largest first, as in a
 * Submission): node i covers the next 2^h_i sectors, zero-padded past the file's end.
 */
export function nodeRootsFor(data: Uint8Array, heights: readonly number[]): Bytes32[] {
  const roots: Bytes32[] = [];
  let sector = 0;
  for (const h of heights) {
    const n = 2 ** h;
    const from = sector * BYTES_PER_SECTOR;
    if (from >= data.length) {
      roots.push(ZERO_HASHES[h]!);
    } else {
      const chunk = new Uint8Array(n * BYTES_PER_SECTOR);
      chunk.set(data.subarray(from, Math.min(data.length, from + chunk.length)));
      roots.push(completeRoot(sectorLeaves(chunk)));
    }
    sector += n;
  }
  return roots;
}

/** Null when `data` matches the submission, else a one-line reason. */
export function checkFileAgainstNodes(data: Uint8Array, sizeBytes: bigint, nodes: readonly { root: Bytes32; height: number }[]): string | null {
  if (BigInt(data.length) !== sizeBytes) return `file is ${data.length} bytes, the transaction says ${sizeBytes}`;
  const roots = nodeRootsFor(data, nodes.map((n) => n.height));
  for (let i = 0; i < nodes.length; i++)
    if (!equalBytes(roots[i]!, nodes[i]!.root))
      return `node ${i} (height ${nodes[i]!.height}) root ${toHex(roots[i]!)} differs from the transaction's ${toHex(nodes[i]!.root)}`;
  return null;
}

/** Files kept as `<dir>/<txSeq>.bin` (written atomically: temp file + rename). */
export class DirDataSource implements DataSource {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  path(txSeq: bigint): string {
    return join(this.dir, `${txSeq}.bin`);
  }
  /** Read into shared memory: the store's hash pool hashes it where it lies (no copy to the workers). */
  async fileData(txSeq: bigint, sizeBytes: bigint): Promise<Uint8Array | null> {
    let fh: FileHandle;
    try {
      fh = await open(this.path(txSeq), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (BigInt(size) !== sizeBytes) return null;
      const out = new Uint8Array(new SharedArrayBuffer(size));
      for (let done = 0; done < size; ) {
        const { bytesRead } = await fh.read(out, done, Math.min(size - done, 16 << 20), done);
        if (bytesRead === 0) return null; // shrunk while read: not the file the transaction names
        done += bytesRead;
      }
      return out;
    } finally {
      await fh.close();
    }
  }
  async available(): Promise<ReadonlySet<bigint>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw e;
    }
    const out = new Set<bigint>();
    for (const n of names) {
      const m = /^(\d{1,20})\.bin$/.exec(n); // temp files (`.bin.tmp-PID`) are not there yet
      if (m) out.add(BigInt(m[1]!));
    }
    return out;
  }
  async remove(txSeq: bigint): Promise<void> {
    await rm(this.path(txSeq), { force: true });
  }
  async put(txSeq: bigint, data: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.path(txSeq)}.tmp-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, this.path(txSeq));
  }
}
