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
 * So `mine`, `devnet` and `bench loader` re-execute themselves with loaderEnv() when it is
 * missing (reexecWithLoaderEnv), and the Docker image sets it as ENV (no re-exec there).
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

/** Set in the child that reexecWithLoaderEnv starts, so it knows a launcher waits on it. */
const CHILD_MARK = 'ZGMINER_LOADER_CHILD';

/**
 * Runs this same command line again in a child started with loaderEnv() and resolves with the
 * child's exit code, or resolves null when this process already has the environment and the
 * caller should go on in-process. For long-running commands (mine, devnet) and the loader bench.
 *
 * Signals: the child runs in its own process group, so a terminal's Ctrl+C reaches only this
 * launcher, which passes every SIGINT, SIGTERM and SIGHUP on: the child sees each Ctrl+C exactly
 * once (first = clean stop, second = forced exit), whether it came from a terminal or from `kill`.
 * If the launcher dies without passing anything on (kill -9), the child kills itself the same way
 * (it watches the IPC channel), so no miner is left running unseen.
 */
export async function reexecWithLoaderEnv(inflight: number): Promise<number | null> {
  if (!needsLoaderEnv(inflight)) {
    followLauncher();
    return null;
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env: { ...loaderEnv(inflight), [CHILD_MARK]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2))));
    });
  } finally {
    for (const sig of signals) process.off(sig, forward);
  }
}

/** In a child of reexecWithLoaderEnv: die with the launcher (its IPC channel closes when it does). */
function followLauncher(): void {
  if (process.env[CHILD_MARK] !== '1' || !process.channel) return;
  // The channel must not keep this process alive on its own.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
