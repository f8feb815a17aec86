/**
 * GF(2^8) with the field polynomial 0x11D (x^8 + x^4 + x^3 + x^2 + 1) and generator 2: the field of
 * Backblaze JavaReedSolomon, Go klauspost/reedsolomon and Rust reed-solomon-erasure (galois_8), so
 * matrices built here give the same parity bytes as those libraries.
 */

export const GF_POLY = 0x11d;

/** EXP[i] = 2^i, doubled so EXP[LOG[a] + LOG[b]] needs no modulo. */
export const EXP = new Uint8Array(512);
/** LOG[a] for a != 0 (LOG[0] is unused). */
export const LOG = new Uint8Array(256);

{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF_POLY;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('GF(2^8): 0 has no inverse');
  return EXP[255 - LOG[a]!]!;
}

/** a^n with 0^0 = 1 (the Vandermonde convention of the libraries above). */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a]! * n) % 255]!;
}

/** The 256-entry table x -> c·x. */
export function mulTable(c: number): Uint8Array {
  const t = new Uint8Array(256);
  if (c !== 0) for (let x = 1; x < 256; x++) t[x] = EXP[LOG[c]! + LOG[x]!]!;
  return t;
}
