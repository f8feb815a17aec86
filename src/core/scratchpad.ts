/**
 * PoRA steps 1–3 (spec §4): pad seed, the 256-round keccak scratch pad, recall seed.
 */
import { BHASHES_PER_PAD, BYTES_PER_BHASH, BYTES_PER_PAD } from '../spec.js';
import type { RecallRange } from '../types.js';
import { concatBytes } from '../bytes.js';
import { blake2b512, keccak256 } from './hash.js';
import { rangeDigest } from './recallRange.js';

/** padSeed = blake2b512(minerId ‖ nonce ‖ subtaskDigest ‖ rangeDigest): 64 bytes. */
export function computePadSeed(minerId: Uint8Array, nonce: Uint8Array, subtaskDigest: Uint8Array, range: RecallRange): Uint8Array {
  return blake2b512(concatBytes(minerId, nonce, subtaskDigest, rangeDigest(range)));
}

export interface ScratchPad {
  /** 16 KiB: 256 cells of 64 bytes. */
  pad: Uint8Array;
  /** The chain state after the last round (= cell 255). */
  padDigest: Uint8Array;
  /** keccak256(padDigest). */
  recallSeed: Uint8Array;
}

/**
 * Runs the pad chain: each round hashes the full 64-byte state into its first half, then hashes
 * the full state again (whose first half was just replaced) into its second half.
 */
export function computeScratchPad(padSeed: Uint8Array): ScratchPad {
  if (padSeed.length !== BYTES_PER_BHASH) throw new RangeError(`padSeed: expected 64 bytes, got ${padSeed.length}`);
  const pad = new Uint8Array(BYTES_PER_PAD);
  const d = Uint8Array.from(padSeed);
  for (let j = 0; j < BHASHES_PER_PAD; j++) {
    d.set(keccak256(d), 0);
    d.set(keccak256(d), 32);
    pad.set(d, j * BYTES_PER_BHASH);
  }
  return { pad, padDigest: d, recallSeed: keccak256(d) };
}
