/**
 * The Reed-Solomon code of klauspost/reedsolomon `New(k, m)` (default options), Backblaze
 * JavaReedSolomon and Rust reed-solomon-erasure: systematic, over GF(2^8) (gf256.ts), encoding
 * matrix E = V × inv(V[0..k)) with V the (k+m)×k Vandermonde matrix, so E's top k rows are the
 * identity and parity shard j = Σ_i E[k+j][i] · data_i (shared/vectors/README.md, "rs").
 *
 * Everything reduces to one operation, "apply a GF(2^8) matrix to a set of shards", which the
 * coders (reference, wasm SIMD, WGSL) implement; this module only builds the matrices.
 */
import { MinerError } from '../errors.js';
import { invert, multiply, selectRows, vandermonde, type GfMatrix } from './matrix.js';

/** k data shards, m parity shards. */
export interface RsParams {
  readonly k: number;
  readonly m: number;
}

export const MAX_SHARDS = 256;

/** The Rust crate's `TooFewShardsPresent` / klauspost's `ErrTooFewShards`: never a wrong answer. */
export class TooFewShardsError extends MinerError {
  readonly present: number;
  readonly needed: number;
  constructor(present: number, needed: number) {
    super('BAD_INPUT', `too few shards to reconstruct: ${present} intact, ${needed} needed (TooFewShardsPresent)`);
    this.name = 'TooFewShardsError';
    this.present = present;
    this.needed = needed;
  }
}

/** @throws {MinerError} BAD_INPUT unless 1 <= k, 1 <= m, k + m <= 256 (integers). */
export function checkParams(p: RsParams): void {
  const { k, m } = p;
  if (!Number.isInteger(k) || k < 1) throw new MinerError('BAD_INPUT', `data shards must be an integer >= 1 (got ${k})`);
  if (!Number.isInteger(m) || m < 1) throw new MinerError('BAD_INPUT', `parity shards must be an integer >= 1 (got ${m})`);
  if (k + m > MAX_SHARDS) throw new MinerError('BAD_INPUT', `data + parity shards must be at most ${MAX_SHARDS} in GF(2^8) (got ${k} + ${m} = ${k + m})`);
}

const encodingCache = new Map<string, GfMatrix>();

/** E = V × inv(V[0..k)), (k+m) × k. */
export function encodingMatrix(p: RsParams): GfMatrix {
  checkParams(p);
  const key = `${p.k}+${p.m}`;
  let e = encodingCache.get(key);
  if (e === undefined) {
    const v = vandermonde(p.k + p.m, p.k);
    const top = selectRows(v, Array.from({ length: p.k }, (_, i) => i));
    e = multiply(v, invert(top));
    encodingCache.set(key, e);
  }
  return e;
}

/** E[k..k+m): the m × k matrix that turns the data shards into the parity shards. */
export function parityMatrix(p: RsParams): GfMatrix {
  return selectRows(encodingMatrix(p), Array.from({ length: p.m }, (_, j) => p.k + j));
}

/** How to rebuild shards: `outputs` (shard indices) = `matrix` × the shards `inputs` (k indices). */
export interface ReconstructPlan {
  inputs: number[];
  outputs: number[];
  /** outputs.length × k. */
  matrix: GfMatrix;
}

/**
 * The plan that rebuilds `wanted` (shard indices, data or parity) from the intact shards
 * `present` (flags, length k+m): the first k intact shards, inverted. Any k shards of an MDS code
 * determine the codeword, so the choice only matters for speed.
 * @throws {TooFewShardsError} when fewer than k shards are intact.
 */
export function reconstructPlan(p: RsParams, present: readonly boolean[], wanted: readonly number[]): ReconstructPlan {
  checkParams(p);
  const n = p.k + p.m;
  if (present.length !== n) throw new MinerError('BAD_INPUT', `expected ${n} shard flags for ${p.k}+${p.m}, got ${present.length}`);
  for (const w of wanted) if (!Number.isInteger(w) || w < 0 || w >= n) throw new MinerError('BAD_INPUT', `shard index ${w} is outside 0..${n - 1}`);
  const intact = present.flatMap((ok, i) => (ok ? [i] : []));
  if (intact.length < p.k) throw new TooFewShardsError(intact.length, p.k);
  const inputs = intact.slice(0, p.k);
  const e = encodingMatrix(p);
  const decode = invert(selectRows(e, inputs)); // row i: data shard i from `inputs`
  const rows = multiply(selectRows(e, wanted), decode);
  return { inputs, outputs: [...wanted], matrix: rows };
}
