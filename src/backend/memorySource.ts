/**
 * A LoadSource over loads held in shared memory: the one in-memory data source behind the hashrate
 * bench, the GPU self-check, bench/gpu.ts and the backend tests. The loads sit in
 * SharedArrayBuffer chunks so CPU workers and GPU uploads read them without copying.
 */
import { BYTES_PER_LOAD, UINT64_MAX } from '../spec.js';
import type { LoadSource } from './backend.js';

export interface MemorySourceOptions {
  /** Index of the first load (default 0). */
  firstLoad?: bigint;
  loadCount: number;
  /** Loads per SharedArrayBuffer chunk (the last chunk may hold fewer). */
  loadsPerChunk: number;
  /** Writes the bytes of load `rel` (relative to firstLoad) into `load` (zeros by default). */
  fill?: (load: Uint8Array, rel: number) => void;
  /** The seals of load `rel` that are held (default: all 64). */
  mask?: (rel: number) => bigint;
}

export function memoryLoadSource(opts: MemorySourceOptions): LoadSource {
  const { loadCount, loadsPerChunk } = opts;
  const firstLoad = opts.firstLoad ?? 0n;
  const chunks: SharedArrayBuffer[] = [];
  for (let first = 0; first < loadCount; first += loadsPerChunk) {
    const n = Math.min(loadsPerChunk, loadCount - first);
    const buf = new SharedArrayBuffer(n * BYTES_PER_LOAD);
    if (opts.fill !== undefined) for (let l = 0; l < n; l++) opts.fill(new Uint8Array(buf, l * BYTES_PER_LOAD, BYTES_PER_LOAD), first + l);
    chunks.push(buf);
  }
  const masks = new SharedArrayBuffer(8 * loadCount);
  const mv = new BigUint64Array(masks);
  for (let rel = 0; rel < loadCount; rel++) mv[rel] = opts.mask?.(rel) ?? UINT64_MAX;
  const relOf = (L: bigint): number | null => (L >= firstLoad && L - firstLoad < BigInt(loadCount) ? Number(L - firstLoad) : null);
  return {
    availability: (L) => {
      const rel = relOf(L);
      return rel === null ? 0n : mv[rel]!;
    },
    read: async (L) => {
      const rel = relOf(L);
      if (rel === null) throw new RangeError(`memory source: load ${L} is outside [${firstLoad}, ${firstLoad + BigInt(loadCount)})`);
      return new Uint8Array(chunks[Math.floor(rel / loadsPerChunk)]!, (rel % loadsPerChunk) * BYTES_PER_LOAD, BYTES_PER_LOAD).slice();
    },
    resident: { firstLoad, loadCount, chunks, loadsPerChunk, masks },
  };
}
