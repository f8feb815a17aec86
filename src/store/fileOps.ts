/**
 * Small durable-file helpers for the sealed store: full positional writes, directory fsync (so a
 * created or renamed file survives power loss), and the atomic creation of a new journal.
 */
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORD_BYTES, RecordType, encodeRecord, headerRecord } from './journal.js';

/**
 * Writes a journal holding only its header and EPOCH record to a temp file, syncs it, and renames
 * it into place (a new store, or the journal's rotation after a checkpoint), so a half-written
 * journal never exists.
 */
export async function createJournal(dir: string, minerId: Uint8Array, epoch = 0n): Promise<void> {
  const tmp = join(dir, 'journal.bin.tmp');
  const h = await open(tmp, 'w', 0o644);
  try {
    const buf = new Uint8Array(2 * RECORD_BYTES);
    encodeRecord(headerRecord(minerId), buf, 0);
    encodeRecord({ type: RecordType.EPOCH, a: epoch, b: 0n, digest: null }, buf, RECORD_BYTES);
    await writeAll(h, buf, 0);
    await h.datasync();
  } finally {
    await h.close();
  }
  await rename(tmp, join(dir, 'journal.bin'));
  fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export async function writeAll(h: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await h.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
