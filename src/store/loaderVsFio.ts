/**
 * The loader against fio on the same file (`zg-miner bench loader`, bench/loader.ts): random 256 KiB
 * load reads through the miner's loader next to fio's random-read figure
 * (`--rw=randread --bs=256k --iodepth=32 --ioengine=libaio --direct=1`), so an operator sees whether
 * the loader gets what the disk can give. When fio is missing, a one-line error says how to
 * install it (nothing is installed unasked).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { MinerError } from '../errors.js';
import { gitCommit } from '../buildInfo.js';
import { runLoaderBench } from './loaderBench.js';
import { aioUnavailableReason } from './aio.js';
import { MALLOC_TUNED, THREADPOOL_SIZE } from './threadpool.js';

export interface BenchLoaderArgs {
  file: string;
  seconds: number;
  inflight: number;
  json: boolean;
  fio: boolean;
  rounds: number;
  path: 'read' | 'borrowed';
}

export interface LoaderBenchReport {
  loaderMBps: number;
  fioMBps: number | null;
  ratio: number | null;
  file: string;
  fileBytes: number;
  direct: boolean;
  /** 'aio': native Linux AIO addon; 'libuv': fs.read on libuv's pool (addon missing or page cache). */
  engine: 'aio' | 'libuv';
  /** Why the AIO engine is not in use, when it is not. */
  aioUnavailable: string | null;
  /** The kernel's transparent huge page mode ([always], [madvise] or [never]); the AIO engine's buffers use them when not never. */
  transparentHugePages: string | null;
  inflight: number;
  seconds: number;
  node: string;
  commit: string;
  /** libuv pool threads in the measuring process (reads really in flight = min(inflight, this)). */
  threadpool: number;
  /** glibc thresholds keep the fresh 256 KiB arrays on the heap (threadpool.ts). */
  mallocTuned: boolean;
  /** 'read' = owned arrays (LoadSource.read); 'borrowed' = zero-copy views (withLoad). */
  path: 'read' | 'borrowed';
  fioIodepth: number;
  /** Alternating loader/fio slices the time was split into. */
  rounds: number;
  loaderReads: number;
  loaderMeanMs: number;
  loaderP99Ms: number;
  /** 1, 5 and 15 minute load averages when the run ended (other work on the host skews both figures). */
  loadAverage: number[];
}

/** fio's queue depth, fixed as in the reference command; the loader's own depth is --inflight. */
export const FIO_IODEPTH = 32;
const FIO_CANDIDATES = ['/usr/bin/fio', '/usr/local/bin/fio'];

/** Where fio is looked for: fixed paths, then each PATH entry (tests pass their own). */
export interface FioSearch {
  candidates: string[];
  path: string;
}

function findFio(where: FioSearch): string | null {
  for (const p of where.candidates) if (existsSync(p)) return p;
  for (const dir of where.path.split(':')) {
    if (dir !== '' && existsSync(join(dir, 'fio'))) return join(dir, 'fio');
  }
  return null;
}

/**
 * fio's path. zg-miner never installs software on its own: when fio is missing, one line says how
 * to install it (or to skip it).
 * @throws {MinerError} BAD_INPUT when fio is not on the PATH.
 */
export function ensureFio(where: FioSearch = { candidates: FIO_CANDIDATES, path: process.env['PATH'] ?? '' }): string {
  const found = findFio(where);
  if (found !== null) return found;
  throw new MinerError('BAD_INPUT', 'fio is not installed: install it (Debian/Ubuntu: `sudo apt-get install -y fio`), or pass --no-fio');
}

/** fio random-read bandwidth on `file` in 10^6 bytes per second. */
export async function runFio(file: string, seconds: number, iodepth = FIO_IODEPTH): Promise<number> {
  const fio = ensureFio();
  const args = ['--name=rr', `--filename=${file}`, '--rw=randread', '--bs=256k', `--iodepth=${iodepth}`, '--ioengine=libaio', '--direct=1',
    `--runtime=${seconds}`, '--time_based', '--output-format=json'];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(fio, args, { maxBuffer: 16 << 20 }, (err, out, errOut) => {
      if (err) reject(new MinerError('BAD_INPUT', `fio failed on ${file}: ${(errOut || err.message).trim().split('\n')[0]}`, { cause: err }));
      else resolve(out);
    });
  });
  // fio may print notes before the JSON document.
  const doc = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs?: { read?: { bw_bytes?: number } }[] };
  const bw = doc.jobs?.[0]?.read?.bw_bytes;
  if (typeof bw !== 'number') throw new MinerError('BAD_INPUT', `fio on ${file}: no read bandwidth in its JSON output`);
  return bw / 1e6;
}

/**
 * Cloud and consumer disks drift (burst credits, throttling) by tens of percent within a minute, so
 * the two measurements alternate in `rounds` slices (loader, fio, loader, fio, ...) and each total
 * is bytes over time summed across its slices: both see the same disk conditions.
 */
export async function benchLoader(args: Omit<BenchLoaderArgs, 'json'>): Promise<LoaderBenchReport> {
  const rounds = args.fio ? Math.max(1, Math.min(args.rounds, Math.floor(args.seconds))) : 1;
  const slice = args.seconds / rounds;
  let loaderBytes = 0;
  let loaderSeconds = 0;
  let loaderReads = 0;
  let fioBytes = 0;
  let meanMsSum = 0;
  let p99Ms = 0;
  let direct = false;
  let engine: 'aio' | 'libuv' = 'libuv';
  let fileBytes = 0;
  for (let r = 0; r < rounds; r++) {
    const loader = await runLoaderBench({ file: args.file, seconds: slice, inflight: args.inflight, path: args.path });
    loaderBytes += loader.bytes;
    loaderSeconds += loader.seconds;
    loaderReads += loader.reads;
    meanMsSum += loader.meanMs * loader.reads;
    p99Ms = Math.max(p99Ms, loader.p99Ms);
    direct = loader.direct;
    engine = loader.engine;
    fileBytes = loader.fileBytes;
    if (args.fio) fioBytes += (await runFio(args.file, Math.max(1, Math.round(slice)))) * 1e6 * Math.max(1, Math.round(slice));
  }
  const loaderMBps = loaderBytes / loaderSeconds / 1e6;
  const fioMBps = args.fio ? fioBytes / (rounds * Math.max(1, Math.round(slice))) / 1e6 : null;
  return {
    loaderMBps: round(loaderMBps),
    fioMBps: fioMBps === null ? null : round(fioMBps),
    ratio: fioMBps === null ? null : round(loaderMBps / fioMBps, 3),
    file: args.file,
    fileBytes,
    direct,
    engine,
    aioUnavailable: engine === 'aio' ? null : (aioUnavailableReason ?? (direct ? null : 'AIO is used only with O_DIRECT')),
    transparentHugePages: thpMode(),
    inflight: args.inflight,
    seconds: args.seconds,
    node: process.version,
    commit: gitCommit(),
    threadpool: THREADPOOL_SIZE,
    mallocTuned: MALLOC_TUNED,
    path: args.path,
    fioIodepth: FIO_IODEPTH,
    rounds,
    loaderReads,
    loaderMeanMs: round(meanMsSum / Math.max(1, loaderReads), 3),
    loaderP99Ms: round(p99Ms, 3),
    loadAverage: loadavg().map((x) => round(x, 2)),
  };
}

function thpMode(): string | null {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
