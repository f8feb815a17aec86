// pora.wasm: the PoRA inner loop of one nonce over WebAssembly memory (spec §4, steps 1, 2 and 5).
// AssemblyScript source, compiled by `npm run build` to dist/wasm/pora.wasm (runtime stub: no GC,
// every buffer is a fixed region, so the JS side addresses memory directly).
//
// Memory: small static regions (context, state, bound), then one 256 KiB load region, then
// `slots`: one per nonce in flight (its 16 KiB scratch pad, pad seed, pad digest, recall seed).
// The quality hash XORs the pad slice into the message words as it loads them, so the mixed
// 4 KiB seal is never materialised (that XOR pass alone cost as much as a fifth of a nonce).
import { keccak256of64 } from './keccakF';
import { blake2bCompress, blake2bQuality } from './blake2b';

const BYTES_PER_PAD: usize = 16384;
const BYTES_PER_SEAL: usize = 4096;
const BYTES_PER_LOAD: usize = 262144;
const SEALS_PER_PAD: u32 = 4;

/** Slot layout: pad | padSeed (64) | padDigest (64) | recallSeed (32, padded to 64). */
const SLOT_PAD_SEED: usize = 16384;
const SLOT_PAD_DIGEST: usize = 16448;
const SLOT_RECALL_SEED: usize = 16512;
const SLOT_BYTES: usize = 16576;

const RC: usize = memory.data<u64>([
  0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000, 0x000000000000808b,
  0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008a, 0x0000000000000088,
  0x0000000080008009, 0x000000008000000a, 0x000000008000808b, 0x800000000000008b, 0x8000000000008089,
  0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
  0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]);
/** BLAKE2b-512 initial state: IV with IV[0] ^= 0x01010040 (64-byte digest, no key). */
const H0: usize = memory.data<u64>([
  0x6a09e667f2bdc948, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
  0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
]);
const ZERO: usize = memory.data(128, 16);
const H: usize = memory.data(64, 16);
/** Pad-seed preimage minerId ‖ nonce ‖ subtaskDigest ‖ rangeDigest; the host rewrites the nonce. */
const CTX: usize = memory.data(128, 16);
/** First quality block: u256be(sealOffset) ‖ padSeed ‖ 0^32. */
const HDR: usize = memory.data(128, 16);
/** Quality bound as 4 u64 words, most significant first. */
const BOUND: usize = memory.data(32, 16);
/** Quality (32 bytes, as hashed) of the last sealQuality / the hit of the last scanLoad. */
const QUAL: usize = memory.data(32, 16);

const LOAD: usize = (__heap_base + 63) & ~(<usize>63);
const SLOTS: usize = LOAD + BYTES_PER_LOAD;

/** BLAKE2b hashes done by the last scanLoad (the host's sealHashes counter). */
let hashesDone: u32 = 0;

export function ctxPtr(): usize { return CTX; }
export function boundPtr(): usize { return BOUND; }
export function qualityPtr(): usize { return QUAL; }
export function loadPtr(): usize { return LOAD; }
export function slotPtr(slot: u32): usize { return SLOTS + <usize>slot * SLOT_BYTES; }
export function slotBytes(): usize { return SLOT_BYTES; }
export function lastHashes(): u32 { return hashesDone; }

/** Grows memory so slots 0..n-1 exist; false when the engine refuses to grow. */
export function ensureSlots(n: u32): bool {
  const end = SLOTS + <usize>n * SLOT_BYTES;
  const pages = <i32>((end + 0xffff) >> 16);
  const have = memory.size();
  if (have >= pages) return true;
  return memory.grow(pages - have) >= 0;
}

/** keccak256 of the 64 bytes at `src` into the 32 bytes at `dst` (one keccak-f: 64 < rate 136). */
// @ts-ignore: decorator
@inline function keccak64(src: usize, dst: usize): void {
  keccak256of64(src, dst, RC);
}

/**
 * Steps 1–2 for the nonce in CTX: padSeed = blake2b512(CTX), then 256 rounds of the chain
 * (d[0..32] = keccak(d); d[32..64] = keccak(d); cell j = d), padDigest = d, recallSeed = keccak(d).
 */
export function scratchPad(slot: u32): void {
  const s = slotPtr(slot);
  memory.copy(H, H0, 64);
  blake2bCompress(H, CTX, ZERO, 128, true);
  memory.copy(s + SLOT_PAD_SEED, H, 64);
  padChain(s);
}

/** The pad chain from the pad seed already in the slot (step 2). */
export function padChain(s: usize): void {
  let prev = s + SLOT_PAD_SEED;
  for (let j: usize = 0; j < 256; j++) {
    const cell = s + j * 64;
    keccak64(prev, cell);
    // the second half hashes the new first half with the old second half
    store<u64>(cell, load<u64>(prev, 32), 32);
    store<u64>(cell, load<u64>(prev, 40), 40);
    store<u64>(cell, load<u64>(prev, 48), 48);
    store<u64>(cell, load<u64>(prev, 56), 56);
    keccak64(cell, cell + 32);
    prev = cell;
  }
  memory.copy(s + SLOT_PAD_DIGEST, prev, 64);
  keccak64(prev, s + SLOT_RECALL_SEED);
}

/** Step 5 for one seal: quality hash of `seal` (4096 sealed bytes) at sealOffset; its first 32 bytes into H. */
// @ts-ignore: decorator
@inline function qualityInto(s: usize, offLo: u32, offHi: u32, seal: usize): void {
  store<u64>(HDR, 0, 0);
  store<u64>(HDR, 0, 8);
  store<u64>(HDR, 0, 16);
  store<u64>(HDR, bswap<u64>((<u64>offHi << 32) | <u64>offLo), 24);
  memory.copy(HDR + 32, s + SLOT_PAD_SEED, 64);
  blake2bQuality(HDR, ZERO, seal, s + <usize>(offLo % SEALS_PER_PAD) * BYTES_PER_SEAL, H);
}

/** Quality of one seal (sealOffset = offHi·2^32 + offLo) into QUAL. */
export function sealQuality(slot: u32, offLo: u32, offHi: u32, seal: usize): void {
  qualityInto(slotPtr(slot), offLo, offHi, seal);
  memory.copy(QUAL, H, 32);
}

/**
 * Step 5 over a recalled load at `loadBase` (64 seals): hashes the seals whose availability bit
 * is set, in ascending order, and returns the first index whose quality meets BOUND (its quality
 * in QUAL), or -1. lastHashes() tells how many seals were hashed.
 *
 * One seal at a time on purpose: a two-lane i64x2 BLAKE2b (two seals per compression) measured
 * ~15% slower than this scalar one on the AMD EPYC target, since wasm SIMD has no 64-bit rotate
 * (each becomes shift+shift+or on the few vector shift ports) while scalar i64.rotr is one op.
 */
export function scanLoad(slot: u32, loadBase: usize, maskLo: u32, maskHi: u32): i32 {
  const s = slotPtr(slot);
  let mask: u64 = (<u64>maskHi << 32) | <u64>maskLo;
  let n: u32 = 0;
  while (mask != 0) {
    const i = <u32>ctz<u64>(mask);
    mask &= mask - 1;
    qualityInto(s, i, 0, loadBase + <usize>i * BYTES_PER_SEAL);
    n++;
    if (meetsBound()) {
      memory.copy(QUAL, H, 32);
      hashesDone = n;
      return <i32>i;
    }
  }
  hashesDone = n;
  return -1;
}

/** uint256(quality in H, read big-endian) <= BOUND. */
function meetsBound(): bool {
  for (let w: usize = 0; w < 4; w++) {
    const q = bswap<u64>(load<u64>(H + 8 * w));
    const b = load<u64>(BOUND + 8 * w);
    if (q != b) return q < b;
  }
  return true;
}
