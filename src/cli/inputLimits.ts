/**
 * Bounds on numeric flags, checked before anything is allocated or started, so a typo is one
 * line (`zg-miner: …`) instead of a process that grows until the kernel kills it.
 */
import { availableParallelism, totalmem } from 'node:os';
import { UsageError } from '../errors.js';

/**
 * Worker threads per core allowed. Every worker runs a CPU-bound wasm loop, so past one per core
 * they only take turns on the cores; two per core still leaves room to hide a worker that waits
 * on a read. More adds nothing but memory (each worker has its own heap and wasm instance).
 */
export const THREADS_PER_CORE = 2;

/** Share of host memory `bench --range-mib` may fill (the rest is for the OS, the worker heaps and the GPU staging buffers). */
export const BENCH_MEMORY_SHARE = 0.75;

const MIB = 1 << 20;

/** @throws {UsageError} unless `threads` is an integer in 1..cores×THREADS_PER_CORE. */
export function checkThreads(threads: number | undefined, cores: number = availableParallelism(), flag = '--threads'): void {
  if (threads === undefined) return;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`${flag}: expected a positive integer, got ${threads}`);
  const max = cores * THREADS_PER_CORE;
  if (threads > max)
    throw new UsageError(
      `${flag} ${threads}: at most ${max} on this machine (${cores} cores × ${THREADS_PER_CORE}); each worker is a CPU-bound loop, so more only share the same cores and add memory`
    );
}

/** @throws {UsageError} unless `rangeMiB` is positive and fits in BENCH_MEMORY_SHARE of host memory. */
export function checkBenchRangeMiB(rangeMiB: number, hostBytes: number = totalmem()): void {
  if (!(Number.isFinite(rangeMiB) && rangeMiB > 0)) throw new UsageError(`--range-mib: expected a positive number of MiB, got ${rangeMiB}`);
  const max = Math.floor((hostBytes * BENCH_MEMORY_SHARE) / MIB);
  if (rangeMiB > max)
    throw new UsageError(
      `--range-mib ${rangeMiB}: the bench holds its data in host memory and this machine has ${Math.floor(hostBytes / MIB)} MiB; at most ${max} MiB (${BENCH_MEMORY_SHARE * 100} %)`
    );
}
