/**
 * The two hash primitives of PoRA, in one place so every core module uses the same ones:
 * Ethereum keccak256 (padding 0x01, not SHA3) and unkeyed BLAKE2b with a 64-byte digest
 * (parameter block 0x01010040; never "blake2b-256", whose IV differs).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { blake2b } from '@noble/hashes/blake2.js';

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

export function blake2b512(data: Uint8Array): Uint8Array {
  return blake2b(data, { dkLen: 64 });
}
