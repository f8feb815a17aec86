/**
 * PoRA step 5 (spec §4): mixing a sealed 4 KiB seal with its pad slice and the quality hash.
 */
import { BYTES_PER_SEAL, SEALS_PER_PAD } from '../spec.js';
import { concatBytes, u256be } from '../bytes.js';
import { blake2b512 } from './hash.js';

/** mixed = sealed XOR pad[(sealOffset mod 4)*4096, +4096). */
export function mixSeal(sealed: Uint8Array, pad: Uint8Array, sealOffset: bigint | number): Uint8Array {
  if (sealed.length !== BYTES_PER_SEAL) throw new RangeError(`sealedData: expected 4096 bytes, got ${sealed.length}`);
  const k = Number(BigInt(sealOffset) % BigInt(SEALS_PER_PAD));
  const base = k * BYTES_PER_SEAL;
  const out = new Uint8Array(BYTES_PER_SEAL);
  for (let i = 0; i < BYTES_PER_SEAL; i++) out[i] = sealed[i]! ^ pad[base + i]!;
  return out;
}

/**
 * quality = first 32 bytes of blake2b512(u256be(sealOffset) ‖ padSeed ‖ 0^32 ‖ mixed): the value
 * `PoraMine.pora()` returns (4224-byte preimage).
 */
export function poraOutput(sealOffset: bigint | number, padSeed: Uint8Array, mixed: Uint8Array): Uint8Array {
  return blake2b512(concatBytes(u256be(BigInt(sealOffset)), padSeed, new Uint8Array(32), mixed)).slice(0, 32);
}
