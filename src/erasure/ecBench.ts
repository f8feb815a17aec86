/**
 * `bench ec` measurements: encode and reconstruct throughput of an ErasureCoder over codewords
 * held in shared memory (GB/s of data: k × shard size per codeword), and the Rust crate's wasm
 * build on the same shape when it is installed.
 */
import { encode, reconstruct, type ErasureCoder } from '../ec/coder.js';
import { reconstructPlan, type RsParams } from '../ec/reedSolomon.js';
import { loadRustCrate } from './rustCrate.js';
import { repeatFor } from '../timing.js';

export interface EcRate {
  /** Data bytes per second (k × shardSize per codeword) over the whole run. */
  bytesPerSecond: number;
  /** The same in the fastest single call (the stable figure on a shared machine). */
  bestBytesPerSecond: number;
  seconds: number;
  codewords: number;
}

/** Deterministic filler: the multiply's speed does not depend on the bytes, but zeros could be special-cased. */
function fill(a: Uint8Array, seed: number): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x & 0xff;
  }
}

export function benchCodewords(p: RsParams, shardSize: number, count: number): Uint8Array[][] {
  return Array.from({ length: count }, (_, s) =>
    Array.from({ length: p.k + p.m }, (_, i) => {
      const a = new Uint8Array(new SharedArrayBuffer(shardSize));
      if (i < p.k) fill(a, s * 257 + i + 1);
      return a;
    })
  );
}

async function timed(seconds: number, dataBytes: number, step: () => Promise<unknown> | unknown): Promise<EcRate> {
  const r = await repeatFor(seconds, step);
  return { bytesPerSecond: (r.runs * dataBytes) / r.seconds, bestBytesPerSecond: dataBytes / r.fastest, seconds: Math.round(r.seconds * 1000) / 1000, codewords: r.runs };
}

/** Encodes all `codewords` per step. */
export function measureEncode(coder: ErasureCoder, p: RsParams, codewords: Uint8Array[][], seconds: number): Promise<EcRate> {
  const data = codewords.length * p.k * (codewords[0]?.[0]?.length ?? 0);
  return timed(seconds, data, () => encode(coder, p, codewords)).then((r) => ({ ...r, codewords: r.codewords * codewords.length }));
}

/**
 * Rebuilds the first min(m, k) data shards of each codeword from the rest per step (the costly
 * case: lost data, not just parity). Checks the first result against the original.
 */
export async function measureReconstruct(coder: ErasureCoder, p: RsParams, codewords: Uint8Array[][], seconds: number): Promise<EcRate> {
  const lost = Math.min(p.m, p.k);
  const size = codewords[0]?.[0]?.length ?? 0;
  const data = codewords.length * p.k * size;
  const first = await reconstruct(coder, p, codewords[0]!.map((s, i) => (i < lost ? null : s)));
  for (let i = 0; i < lost; i++)
    if (Buffer.compare(first[i]!, codewords[0]![i]!) !== 0) throw new Error(`bench ec: reconstructed shard ${i} differs from the original (${coder.info.kind} coder bug)`);
  // One erasure pattern for all codewords: one plan, one apply over every stripe (one GPU batch).
  const present = Array.from({ length: p.k + p.m }, (_, i) => i >= lost);
  const plan = reconstructPlan(p, present, Array.from({ length: lost }, (_, i) => i));
  const spare = codewords.map(() => Array.from({ length: lost }, () => new Uint8Array(new SharedArrayBuffer(size))));
  const stripes = codewords.map((cw, s) => ({ inputs: plan.inputs.map((i) => cw[i]!), outputs: spare[s]! }));
  const r = await timed(seconds, data, () => coder.apply(plan.matrix, stripes));
  return { ...r, codewords: r.codewords * codewords.length };
}

/** The Rust crate's `encode` on one codeword in its own memory, or null when it is not installed. */
export async function measureRustCrate(p: RsParams, shardSize: number, seconds: number): Promise<EcRate | null> {
  const crate = loadRustCrate();
  if (crate === null) return null;
  const cw = crate.resident((p.k + p.m) * shardSize);
  try {
    fill(cw.view().subarray(0, p.k * shardSize), 1);
    return await timed(seconds, p.k * shardSize, () => cw.encode(p.k, p.m));
  } finally {
    cw.free();
  }
}
