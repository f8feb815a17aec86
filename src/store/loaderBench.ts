/**
 * Loader throughput measurement: random 256 KiB loads from a file, `inflight` reads outstanding,
 * each read copied into a fresh array exactly as `SealedStore.loadSource().read` hands loads to the
 * mining loop (on the AIO engine the load is read straight into that fresh array). Used by `zg-miner bench loader` and bench/loader.ts.
 */
import { stat } from 'node:fs/promises';
import { BYTES_PER_LOAD } from '../spec.js';
import { MinerError } from '../errors.js';
import { DEFAULT_INFLIGHT, LoadReader } from './loader.js';

export interface LoaderBenchOptions {
  file: string;
  seconds: number;
  inflight?: number;
  direct?: boolean | 'auto';
  /**
   * 'read': owned fresh arrays, as LoadSource.read gives the mining loop (default);
   * 'borrowed': zero-copy views (StoreLoadSource.withLoad).
   */
  path?: 'read' | 'borrowed';
  /** Random source in [0, 1) (tests pass a seeded one). */
  random?: () => number;
}

export interface LoaderBenchResult {
  /** 10^6 bytes per second. */
  MBps: number;
  bytes: number;
  reads: number;
  seconds: number;
  fileBytes: number;
  direct: boolean;
  /** 'aio' (native Linux AIO) or 'libuv' (thread-pool reads), see LoadReader.engine. */
  engine: 'aio' | 'libuv';
  inflight: number;
  peakInflight: number;
  /** Mean and 99th percentile read latency, milliseconds. */
  meanMs: number;
  p99Ms: number;
}

export async function runLoaderBench(opts: LoaderBenchOptions): Promise<LoaderBenchResult> {
  const fileBytes = (await stat(opts.file).catch((e: NodeJS.ErrnoException) => {
    throw new MinerError('BAD_INPUT', `--file ${opts.file}: ${e.code ?? e.message}; give an existing file of at least 256 KiB`);
  })).size;
  const loads = Math.floor(fileBytes / BYTES_PER_LOAD);
  if (loads < 1) throw new MinerError('BAD_INPUT', `--file ${opts.file}: ${fileBytes} bytes is less than one 256 KiB load`);
  const inflight = opts.inflight ?? DEFAULT_INFLIGHT;
  const random = opts.random ?? Math.random;
  const borrowed = opts.path === 'borrowed';
  const reader = LoadReader.open(opts.file, { inflight, direct: opts.direct ?? 'auto' });
  const latencies: number[] = [];
  const metrics = { recordRead: (_bytes: number, seconds: number) => latencies.push(seconds) };
  let reads = 0;
  const t0 = performance.now();
  const end = t0 + opts.seconds * 1000;
  try {
    const lane = async (): Promise<void> => {
      while (performance.now() < end) {
        const L = BigInt(Math.floor(random() * loads));
        if (borrowed) await reader.withLoad(L, (view) => view[0], metrics);
        else await reader.readLoad(L, metrics);
        reads++;
      }
    };
    await Promise.all(Array.from({ length: inflight }, lane));
  } finally {
    reader.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const bytes = reads * BYTES_PER_LOAD;
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length);
  return {
    MBps: bytes / seconds / 1e6,
    bytes,
    reads,
    seconds,
    fileBytes,
    direct: reader.direct,
    engine: reader.engine,
    inflight,
    peakInflight: reader.peakInflight,
    meanMs: mean * 1000,
    p99Ms: (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0) * 1000,
  };
}
