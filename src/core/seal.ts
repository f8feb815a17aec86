/**
 * Sealing (spec §5.1): one keccak chain per 4 KiB seal. The first mask is
 * keccak256(minerId ‖ sealContextDigest ‖ u256be(startSector)); each next mask is the hash of the
 * previous *sealed* word, so unsealing word w needs only sealed word w-1.
 */
import { BYTES_PER_SEAL, BYTES_PER_UNIT, UNITS_PER_SEAL } from '../spec.js';
import { concatBytes, u256be } from '../bytes.js';
import { keccak256 } from './hash.js';

/** The first mask of a seal: keccak256(abi.encode(minerId, sealContextDigest, startSector)). */
export function sealSeed(minerId: Uint8Array, sealContextDigest: Uint8Array, startSector: bigint): Uint8Array {
  return keccak256(concatBytes(minerId, sealContextDigest, u256be(startSector)));
}

function checkSeal(data: Uint8Array): void {
  if (data.length !== BYTES_PER_SEAL) throw new RangeError(`seal: expected 4096 bytes, got ${data.length}`);
}

export function seal(data: Uint8Array, minerId: Uint8Array, sealContextDigest: Uint8Array, startSector: bigint): Uint8Array {
  checkSeal(data);
  const out = new Uint8Array(BYTES_PER_SEAL);
  let mask = sealSeed(minerId, sealContextDigest, startSector);
  for (let w = 0; w < UNITS_PER_SEAL; w++) {
    const o = w * BYTES_PER_UNIT;
    for (let i = 0; i < BYTES_PER_UNIT; i++) out[o + i] = data[o + i]! ^ mask[i]!;
    mask = keccak256(out.subarray(o, o + BYTES_PER_UNIT));
  }
  return out;
}

export function unseal(sealed: Uint8Array, minerId: Uint8Array, sealContextDigest: Uint8Array, startSector: bigint): Uint8Array {
  checkSeal(sealed);
  const out = new Uint8Array(BYTES_PER_SEAL);
  let mask = sealSeed(minerId, sealContextDigest, startSector);
  for (let w = 0; w < UNITS_PER_SEAL; w++) {
    const o = w * BYTES_PER_UNIT;
    const word = sealed.subarray(o, o + BYTES_PER_UNIT);
    for (let i = 0; i < BYTES_PER_UNIT; i++) out[o + i] = word[i]! ^ mask[i]!;
    mask = keccak256(word);
  }
  return out;
}
