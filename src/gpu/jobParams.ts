/**
 * Per-job constants and the uniform blocks of the scratchpad and pora kernels (`PadParams` in
 * scratchpad.wgsl and `PoraParams` in pora.wgsl; offsets come from those struct definitions).
 */
import { UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import { concatBytes, u256be } from '../bytes.js';
import { MinerError } from '../errors.js';
import { qualityBound, rangeDigest, targetScaleX64 } from '../core/recallRange.js';
import type { MineJob, NonceRange } from '../backend/backend.js';
import { packUniform, uniformLayout } from './uniforms.js';

export const PAD_PARAMS = uniformLayout('scratchpad.wgsl', 'PadParams');
export const PORA_PARAMS = uniformLayout('pora.wgsl', 'PoraParams');

export interface JobConsts {
  job: MineJob;
  bound: bigint;
  boundWords: Uint32Array;
  preimage: Uint8Array;
  n: bigint;
  startLoad: bigint;
}

/** Which chunk offsets recall a resident load, and how to turn one into a resident index. */
export interface ResidentWindow {
  lo: bigint;
  hi: bigint;
  delta: bigint;
  perChunk: number;
}

export function u64Words(x: bigint): [number, number] {
  const v = x & UINT64_MAX;
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

export function jobConsts(job: MineJob, nonces: NonceRange): JobConsts {
  const n = job.range.mineLength / SECTORS_PER_LOAD_N;
  if (n === 0n) throw new MinerError('BAD_INPUT', 'mineLength / 1024 is 0: nothing can be recalled (the contract panics); fix the range');
  if (n > UINT64_MAX) throw new MinerError('BAD_INPUT', 'mineLength / 1024 exceeds 2^64: not a valid mining range');
  const bound = qualityBound(job.poraTarget, targetScaleX64(job.range, job.flowLength));
  const be = u256be(bound);
  const boundWords = new Uint32Array(8);
  for (let w = 0; w < 8; w++) boundWords[w] = ((be[4 * w]! << 24) | (be[4 * w + 1]! << 16) | (be[4 * w + 2]! << 8) | be[4 * w + 3]!) >>> 0;
  return {
    job,
    bound,
    boundWords,
    preimage: concatBytes(job.minerId, nonces.base.subarray(0, 32), job.subtaskDigest, rangeDigest(job.range)),
    n,
    startLoad: job.range.startPosition / SECTORS_PER_LOAD_N,
  };
}

/** PadParams for one batch; `res` null = no prefilter (streaming, or no resident load recallable). */
export function padParams(jc: JobConsts, start: bigint, count: number, listStride: number, res: ResidentWindow | null): Uint32Array {
  return packUniform(PAD_PARAMS, {
    preimage: jc.preimage,
    start,
    count,
    resident: res ? 1 : 0,
    n: jc.n,
    shard_mask: jc.job.range.shardMask,
    shard_id: jc.job.range.shardId,
    rel_lo: res ? res.lo : 0n,
    rel_hi: res ? res.hi : 0n,
    loads_per_chunk: res ? res.perChunk : 1,
    list_stride: listStride,
    resident_empty: res && res.lo <= res.hi ? 0 : 1,
    delta: res ? res.delta : 0n,
  });
}

/** PoraParams of the pass over work list `chunk`. */
export function poraParams(jc: JobConsts, chunk: number, listStride: number, maskBase: number, hitCap: number): Uint32Array {
  return packUniform(PORA_PARAMS, { bound: jc.boundWords, chunk, list_stride: listStride, mask_base: maskBase, hit_cap: hitCap });
}
