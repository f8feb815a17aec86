/**
 * Sealed loads resident in GPU memory. A WGSL storage binding may not exceed
 * maxStorageBufferBindingSize (128 MiB on lavapipe, a few GiB on real GPUs), so the loads are
 * split into GPU chunks of whole loads, one buffer per chunk; the scratchpad kernel appends each
 * held nonce to its chunk's work list and the pora kernel runs once per chunk.
 */
import { BYTES_PER_LOAD } from '../spec.js';
import type { ResidentLoads } from '../backend/backend.js';
import type { GpuContext } from './device.js';
import { makeBuffer, STORAGE, uploadBytes } from './kernels.js';

export interface GpuResidency {
  readonly source: ResidentLoads;
  readonly loadsPerChunk: number;
  readonly chunks: GPUBuffer[];
  /** loadCount u64 availability masks, re-uploaded by every search (sealing moves on). */
  readonly masks: GPUBuffer;
  destroy(): void;
}

/** Loads that fit in one binding. */
export function loadsPerBinding(ctx: GpuContext): number {
  const maxBinding = Math.min(ctx.limits.maxStorageBufferBindingSize ?? 0, ctx.limits.maxBufferSize ?? 0);
  return Math.floor(maxBinding / BYTES_PER_LOAD);
}

/** The 262144 bytes of resident load `rel` (relative to firstLoad), viewed in its shared chunk. */
export function hostLoad(src: ResidentLoads, rel: number): Uint8Array {
  const chunk = src.chunks[Math.floor(rel / src.loadsPerChunk)];
  if (!chunk) throw new RangeError(`resident load ${rel} is outside the ${src.loadCount} resident loads`);
  return new Uint8Array(chunk, (rel % src.loadsPerChunk) * BYTES_PER_LOAD, BYTES_PER_LOAD);
}

export function uploadResidency(ctx: GpuContext, src: ResidentLoads, perChunk: number): GpuResidency {
  if (perChunk < 1) throw new RangeError('loadsPerChunk must be at least 1');
  const chunks: GPUBuffer[] = [];
  for (let first = 0; first < src.loadCount; first += perChunk) {
    const n = Math.min(perChunk, src.loadCount - first);
    const buf = makeBuffer(ctx, `resident loads ${first}+${n}`, n * BYTES_PER_LOAD, STORAGE);
    // Copy runs of loads that are contiguous in one shared source chunk.
    let rel = first;
    while (rel < first + n) {
      const inSrc = rel % src.loadsPerChunk;
      const run = Math.min(first + n - rel, src.loadsPerChunk - inSrc);
      const sab = src.chunks[Math.floor(rel / src.loadsPerChunk)]!;
      uploadBytes(ctx, buf, (rel - first) * BYTES_PER_LOAD, new Uint8Array(sab, inSrc * BYTES_PER_LOAD, run * BYTES_PER_LOAD));
      rel += run;
    }
    chunks.push(buf);
  }
  const masks = makeBuffer(ctx, 'resident masks', Math.max(1, src.loadCount) * 8, STORAGE);
  return {
    source: src,
    loadsPerChunk: perChunk,
    chunks,
    masks,
    destroy() {
      for (const b of chunks) b.destroy();
      masks.destroy();
    },
  };
}

export function uploadMasks(ctx: GpuContext, r: GpuResidency): void {
  if (r.source.loadCount === 0) return;
  uploadBytes(ctx, r.masks, 0, new Uint8Array(r.source.masks, 0, r.source.loadCount * 8));
}
