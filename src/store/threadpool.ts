/**
 * Raises libuv's thread pool before it starts. Async `fs.read` runs on that pool (default 4
 * threads), so at most 4 reads would be in flight; the loader wants >= 32 to keep an NVMe queue
 * (or a virtio disk) busy. libuv reads UV_THREADPOOL_SIZE once, when the pool first starts (the
 * first async fs/dns/crypto call), so this module must be evaluated before any such call: the
 * loader imports it first, and module evaluation precedes the first async operation. A value the
 * user set is kept.
 */
export const WANTED_THREADPOOL_SIZE = 64;

if (process.env['UV_THREADPOOL_SIZE'] === undefined) {
  process.env['UV_THREADPOOL_SIZE'] = String(WANTED_THREADPOOL_SIZE);
}

/** The pool size libuv will use (libuv caps it at 1024). */
export const THREADPOOL_SIZE = Math.max(1, Math.min(1024, Number(process.env['UV_THREADPOOL_SIZE']) || 4));
