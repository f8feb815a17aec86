/**
 * Per-job constants and the uniform blocks of the scratchpad and pora kernels (layouts of
 * `PadParams` in scratchpad.wgsl and `PoraParams` in pora.wgsl, byte offsets as WGSL lays them out).
 */
import { UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import { concatBytes, u256be } from '../bytes.js';
import { MinerError } from '../errors.js';
import { qualityBound, rangeDigest, targetScaleX64 } from '../core/recallRange.js';
import type { MineJob, NonceRange } from '../backend/backend.js';

export const PAD_PARAMS_BYTES = 208;
export const PORA_PARAMS_BYTES = 48;

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
  const p = new Uint32Array(PAD_PARAMS_BYTES / 4);
  new Uint8Array(p.buffer).set(jc.preimage, 0);
  const put = (at: number, v: bigint) => {
    const [lo, hi] = u64Words(v);
    p[at / 4] = lo;
    p[at / 4 + 1] = hi;
  };
  put(128, start);
  p[136 / 4] = count;
  p[140 / 4] = res ? 1 : 0;
  put(144, jc.n);
  put(152, jc.job.range.shardMask);
  put(160, jc.job.range.shardId);
  if (res) {
    put(168, res.lo);
    put(176, res.hi);
    put(200, res.delta);
  }
  p[184 / 4] = res ? res.perChunk : 1;
  p[188 / 4] = listStride;
  p[192 / 4] = res && res.lo <= res.hi ? 0 : 1;
  return p;
}

/** PoraParams of the pass over work list `chunk`. */
export function poraParams(jc: JobConsts, chunk: number, listStride: number, maskBase: number, hitCap: number): Uint32Array {
  const p = new Uint32Array(PORA_PARAMS_BYTES / 4);
  p.set(jc.boundWords, 0);
  p[8] = chunk;
  p[9] = listStride;
  p[10] = maskBase;
  p[11] = hitCap;
  return p;
}
