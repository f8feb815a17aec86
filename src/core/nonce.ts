/**
 * Nonce batches as the Rust miner forms them (spec §4 step 6, `batch_iteration`):
 * nonce_i = base with bytes [0..8) XORed with the 8 little-endian bytes of i (i = 0 is the base).
 */

/** Writes nonce `i` of the batch based at `base` into `out` (32 bytes). */
export function batchNonceInto(base: Uint8Array, i: bigint, out: Uint8Array): Uint8Array {
  out.set(base.subarray(0, 32));
  let x = i;
  for (let b = 0; b < 8; b++) {
    out[b] = out[b]! ^ Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function batchNonce(base: Uint8Array, i: bigint): Uint8Array {
  return batchNonceInto(base, i, new Uint8Array(32));
}
