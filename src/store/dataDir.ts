/**
 * Claiming the miner's data dir before anything is written or paid for. zg-miner writes only
 * into a folder that is new, empty, or already its own (it marks its folders with MARKER_FILE);
 * a folder holding anything else may be another program's data (the 0G node's `db_dir` when
 * zg-miner is pointed at the node's config) and is refused. The dir is then proven writable with
 * a synced probe file, so an unusable dir fails here, before a registration is sent.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MinerError } from '../errors.js';
import { fsyncDir } from './fileOps.js';

/** The file that marks a folder as a zg-miner data dir. */
export const MARKER_FILE = 'ZG_MINER_DATA_DIR';

/**
 * What zg-miner itself puts in a data dir (a dir from before the marker holds only these):
 * miner_id, the sealed store, imported files, the follower's state.
 */
export const OWN_ENTRIES: readonly string[] = [MARKER_FILE, 'miner_id', 'miner_id.tmp', 'store', 'files', 'follower.json', 'follower.json.tmp'];

export interface DataDirClaim {
  /** Absolute path as given. */
  dir: string;
  /** True when the dir was new or empty (nothing of an earlier run in it). */
  fresh: boolean;
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function fail(dir: string, what: string, e?: unknown): MinerError {
  return new MinerError('STORE_ERROR', `data dir ${dir}: ${what}${e === undefined ? '' : ` (${code(e)})`}`, e === undefined ? {} : { cause: e });
}

/**
 * Makes `dir` zg-miner's data dir or refuses in one line: created if missing, accepted when
 * empty or zg-miner's, refused when it holds other files; then a probe file is written, synced
 * and removed, and the marker is written. Synchronous on purpose: it runs once, before any work.
 * @param opts.requireFresh refuse a dir holding an earlier run's data, with this reason.
 * @throws {MinerError} STORE_ERROR naming the dir and the cause.
 */
export function claimDataDir(dir: string, opts: { requireFresh?: string } = {}): DataDirClaim {
  let isNew = false;
  try {
    if (!statSync(dir).isDirectory()) throw fail(dir, 'is not a directory');
  } catch (e) {
    if (e instanceof MinerError) throw e;
    if (code(e) !== 'ENOENT') throw fail(dir, 'cannot be read', e);
    try {
      makeDirs(dir);
      isNew = true;
    } catch (e2) {
      throw fail(dir, 'cannot be created; set data_dir / --data-dir to a writable folder', e2);
    }
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    throw fail(dir, 'cannot be listed', e);
  }
  const ours = entries.includes(MARKER_FILE);
  // A probe or marker temp file left by a crash of this code is ours too.
  const foreign = entries.filter((n) => !OWN_ENTRIES.includes(n) && !n.startsWith('.zg-miner-probe-') && n !== `${MARKER_FILE}.tmp`);
  if (!ours && foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
    throw fail(
      dir,
      `holds files zg-miner did not write (${shown}) and is not a zg-miner data dir; it may be another program's data (the 0G node's db_dir?), so zg-miner will not write there: set data_dir / --data-dir to a new or empty folder`
    );
  }
  const fresh = isNew || entries.length === 0 || (entries.length === 1 && ours);
  if (!fresh && opts.requireFresh !== undefined) throw fail(dir, opts.requireFresh);
  probeWritable(dir);
  if (!ours) writeMarker(dir);
  return { dir, fresh };
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir spins forever on procfs (a data dir
 * under /proc hung at 90 % CPU), where mkdir answers ENOENT for a parent that exists.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e;
      missing.push(d);
      if (dirname(d) === d) break;
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, 0o755);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
  }
}

/** Writes, syncs and removes a probe file: a read-only, full or odd filesystem fails here. */
function probeWritable(dir: string): void {
  const probe = join(dir, `.zg-miner-probe-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  } catch (e) {
    throw fail(dir, 'is not writable; set data_dir / --data-dir to a writable folder', e);
  }
  try {
    writeSync(fd, 'zg-miner write probe\n');
    fsyncSync(fd);
  } catch (e) {
    throw fail(dir, 'cannot hold data (a write or sync failed)', e);
  } finally {
    closeSync(fd);
    try {
      unlinkSync(probe);
    } catch {
      // Left behind only if the dir changed under us; the next claim overwrites it.
    }
  }
}

function writeMarker(dir: string): void {
  const tmp = join(dir, `${MARKER_FILE}.tmp`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      writeSync(fd, 'This folder is a zg-miner data dir (sealed store, miner id, imported files).\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, MARKER_FILE));
    fsyncDir(dir);
  } catch (e) {
    throw fail(dir, 'cannot write its marker file', e);
  }
}
