/**
 * One process per data dir: two writers appending to the same journal would interleave records.
 * The lock is a file created with O_EXCL holding the owner's pid; a lock left by a process that no
 * longer exists (kill -9, power loss) is taken over.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MinerError } from '../errors.js';

export const LOCK_FILE = 'LOCK';

export function acquireDirLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MinerError('STORE_ERROR', `${dir}: cannot create the lock file (${(e as NodeJS.ErrnoException).code}); check the --data-dir permissions`, { cause: e });
      }
    }
    const pid = Number.parseInt(readFileSafe(path), 10);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
      throw new MinerError('STORE_ERROR', `${dir}: data dir is in use by process ${pid}; stop it or use another --data-dir`);
    }
    try {
      unlinkSync(path); // stale: its owner is gone
    } catch {
      // Someone else removed it first; the retry decides.
    }
  }
  throw new MinerError('STORE_ERROR', `${dir}: could not take the data dir lock; another zg-miner is starting on it`);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
