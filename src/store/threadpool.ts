/**
 * libuv's thread pool size, which bounds how many async `fs.read` calls really run at once
 * (default 4). libuv reads UV_THREADPOOL_SIZE once, when the pool starts, and under ESM Node 20
 * starts it while loading the entry module (module files are read asynchronously), before any of
 * our code runs. So the variable only counts if it was in the environment at process start:
 * the bin entry should set it before importing ESM (see the store report), and
 * `zg-miner bench loader` re-executes itself with it when it is missing.
 */
export const WANTED_THREADPOOL_SIZE = 64;
const LIBUV_DEFAULT = 4;

const atStart = process.env['UV_THREADPOOL_SIZE'];

/** The pool size this process actually runs with (libuv clamps to 1..1024). */
export const THREADPOOL_SIZE =
  atStart === undefined ? LIBUV_DEFAULT : Math.max(1, Math.min(1024, Number.parseInt(atStart, 10) || LIBUV_DEFAULT));

/** Environment for a child process that should get a pool of at least `size` threads. */
export function envWithThreadpool(size = WANTED_THREADPOOL_SIZE): NodeJS.ProcessEnv {
  return { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(size, WANTED_THREADPOOL_SIZE)) };
}
