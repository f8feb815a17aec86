/**
 * The one interface every erasure-coding engine implements (reference JS, wasm SIMD worker pool,
 * WebGPU), and the codec operations built on it. An engine only applies a GF(2^8) matrix to
 * shards; encode, verify and reconstruct pick the matrix (reedSolomon.ts).
 */
import { MinerError } from '../errors.js';
import { equalBytes } from '../bytes.js';
import type { GfMatrix } from './matrix.js';
import { checkParams, parityMatrix, reconstructPlan, type RsParams } from './reedSolomon.js';

/** One codeword's worth of work: outputs[r] = Σ_c M[r][c] · inputs[c], byte by byte. */
export interface Stripe {
  readonly inputs: readonly Uint8Array[];
  readonly outputs: readonly Uint8Array[];
}

export interface CoderInfo {
  kind: 'reference' | 'cpu' | 'gpu';
  /** CPU model or GPU adapter. */
  device: string;
  threads: number;
}

export interface ErasureCoder {
  readonly info: CoderInfo;
  /**
   * Applies `m` (rows = outputs per stripe, cols = inputs per stripe) to every stripe. Every
   * shard of one call has the same length; outputs must not alias inputs.
   */
  apply(m: GfMatrix, stripes: readonly Stripe[]): Promise<void>;
  dispose(): Promise<void>;
}

/** @throws {MinerError} BAD_INPUT when a stripe's shape or shard lengths disagree with `m`. */
export function checkStripes(m: GfMatrix, stripes: readonly Stripe[]): number {
  let size = -1;
  for (const [s, st] of stripes.entries()) {
    if (st.inputs.length !== m.cols || st.outputs.length !== m.rows)
      throw new MinerError('BAD_INPUT', `stripe ${s}: ${st.inputs.length} inputs and ${st.outputs.length} outputs for a ${m.rows}x${m.cols} matrix`);
    for (const x of [...st.inputs, ...st.outputs]) {
      if (size < 0) size = x.length;
      if (x.length !== size) throw new MinerError('BAD_INPUT', `shards of different sizes (${size} and ${x.length} bytes)`);
    }
  }
  return Math.max(0, size);
}

function shardSizeOf(p: RsParams, shards: readonly (Uint8Array | null)[]): number {
  checkParams(p);
  if (shards.length !== p.k + p.m) throw new MinerError('BAD_INPUT', `expected ${p.k + p.m} shards for ${p.k}+${p.m}, got ${shards.length}`);
  let size = -1;
  for (const s of shards) {
    if (s === null) continue;
    if (size < 0) size = s.length;
    if (s.length !== size) throw new MinerError('BAD_INPUT', `shards of different sizes (${size} and ${s.length} bytes)`);
  }
  if (size === 0) throw new MinerError('BAD_INPUT', 'empty shards: a shard holds at least one byte');
  return size;
}

/** Fills the m parity shards of each codeword (k data shards followed by m parity shards). */
export async function encode(coder: ErasureCoder, p: RsParams, codewords: readonly (readonly Uint8Array[])[]): Promise<void> {
  for (const cw of codewords) if (shardSizeOf(p, cw) < 0) throw new MinerError('BAD_INPUT', 'no shards');
  await coder.apply(
    parityMatrix(p),
    codewords.map((cw) => ({ inputs: cw.slice(0, p.k), outputs: cw.slice(p.k) }))
  );
}

/** True when every parity shard equals the parity of the data shards. */
export async function verify(coder: ErasureCoder, p: RsParams, shards: readonly Uint8Array[]): Promise<boolean> {
  const size = shardSizeOf(p, shards);
  const parity = Array.from({ length: p.m }, () => new Uint8Array(size));
  await coder.apply(parityMatrix(p), [{ inputs: shards.slice(0, p.k), outputs: parity }]);
  return parity.every((x, j) => equalBytes(x, shards[p.k + j]!));
}

/**
 * Rebuilds every missing (null) shard, data and parity, from the intact ones; returns the whole
 * codeword (intact shards as given, rebuilt ones new).
 * @throws {TooFewShardsError} with more than m missing: nothing is returned, never wrong data.
 */
export async function reconstruct(coder: ErasureCoder, p: RsParams, shards: readonly (Uint8Array | null)[]): Promise<Uint8Array[]> {
  const present = shards.map((s) => s !== null);
  const wanted = present.flatMap((ok, i) => (ok ? [] : [i]));
  const plan = reconstructPlan(p, present, wanted);
  const size = shardSizeOf(p, shards);
  const out = shards.slice();
  if (wanted.length > 0) {
    const rebuilt = wanted.map(() => new Uint8Array(size));
    await coder.apply(plan.matrix, [{ inputs: plan.inputs.map((i) => shards[i]!), outputs: rebuilt }]);
    wanted.forEach((w, j) => (out[w] = rebuilt[j]!));
  }
  return out as Uint8Array[];
}
