/**
 * Process-start settings the loader needs, and why they cannot be applied later.
 *
 * UV_THREADPOOL_SIZE: async `fs.read` runs on libuv's pool (default 4 threads), so at most that many
 * reads reach the disk at once. libuv reads the variable once, when the pool starts, and under ESM
 * Node 20 starts it while loading the entry module (module files are read asynchronously), before
 * any of our code runs. So only the environment at process start counts.
 *
 * MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_: every load handed to the miner is a fresh 256 KiB
 * array. glibc serves such sizes with a new mmap (and trims freed heap), so each read pays 64 page
 * faults: measured at about 40 % of the loader's throughput on a 2-vCPU VM. With the thresholds
 * raised, freed arrays are reused from the heap. glibc reads these only at process start, too.
 *
 * So the bin entry should start node with loaderEnv() (see the store report), and
 * `zg-miner bench loader` re-executes itself with it when it is missing.
 */
import { spawn } from 'node:child_process';

export const WANTED_THREADPOOL_SIZE = 128;
const LIBUV_DEFAULT = 4;
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(4 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20) };

const atStart = process.env['UV_THREADPOOL_SIZE'];

/** The pool size this process actually runs with (libuv clamps to 1..1024). */
export const THREADPOOL_SIZE =
  atStart === undefined ? LIBUV_DEFAULT : Math.max(1, Math.min(1024, Number.parseInt(atStart, 10) || LIBUV_DEFAULT));

/** True when glibc was started with thresholds that keep 256 KiB arrays on the heap. */
export const MALLOC_TUNED = process.env['MALLOC_MMAP_THRESHOLD_'] !== undefined;

/** Environment for a child process whose pool has at least `threads` threads and tuned malloc. */
export function loaderEnv(threads = WANTED_THREADPOOL_SIZE): NodeJS.ProcessEnv {
  return { ...MALLOC_ENV, ...process.env, UV_THREADPOOL_SIZE: String(Math.max(threads, WANTED_THREADPOOL_SIZE)) };
}

/** Whether this process lacks the start-up environment for `inflight` concurrent reads. */
export function needsLoaderEnv(inflight: number): boolean {
  return THREADPOOL_SIZE < inflight || !MALLOC_TUNED;
}

/**
 * Runs this same command line again in a child started with loaderEnv() (stdio shared, SIGTERM passed on).
 * Resolves with the child's exit code, or null when this process already has the environment and
 * the caller should go on in-process. For long-running commands (mine) and the loader bench.
 */
export async function reexecWithLoaderEnv(inflight: number): Promise<number | null> {
  if (!needsLoaderEnv(inflight)) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: loaderEnv(inflight), stdio: 'inherit' });
  // Ctrl+C reaches the whole process group, child included: the parent only waits for it (a second
  // copy would read as "force exit" to the child). SIGTERM from a supervisor reaches only us: pass it on.
  const ignore = (): void => undefined;
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
  }
}
