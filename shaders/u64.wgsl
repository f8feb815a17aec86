// u64 helpers: WGSL has no 64-bit integers, so a u64 is vec2<u32>(low 32 bits, high 32 bits).
// Used for nonce indices, the recall chunk arithmetic (positions above 2^53) and shard masks.

fn u64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// Wrapping a - b.
fn u64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

fn u64_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}

fn u64_le(a: vec2<u32>, b: vec2<u32>) -> bool {
  return !u64_lt(b, a);
}

fn bswap32(x: u32) -> u32 {
  return (x << 24u) | ((x & 0xff00u) << 8u) | ((x >> 8u) & 0xff00u) | (x >> 24u);
}

// uint256(seed) mod n, for a 32-byte seed given as the 8 little-endian u32 words of its bytes
// (the keccak output as stored) read as a big-endian integer, and 0 < n < 2^64. Restoring binary
// long division: r < n is kept invariant; 2r + bit can reach 2^65 - 1, so the bit shifted out of
// r (carry) forces the subtraction, whose wrapping result is then the true remainder.
fn u256_mod_u64(seed: array<u32, 8>, n: vec2<u32>) -> vec2<u32> {
  var r = vec2<u32>(0u, 0u);
  for (var w = 0u; w < 8u; w++) {
    let word = bswap32(seed[w]);
    for (var b = 0u; b < 32u; b++) {
      let bit = (word >> (31u - b)) & 1u;
      let carry = r.y >> 31u;
      r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
      if (carry != 0u || !u64_lt(r, n)) {
        r = u64_sub(r, n);
      }
    }
  }
  return r;
}

// RecallRangeLib.recallChunk without the start: (seed mod n) & shardMask | shardId.
fn recall_chunk_offset(seed: array<u32, 8>, n: vec2<u32>, shard_mask: vec2<u32>, shard_id: vec2<u32>) -> vec2<u32> {
  return (u256_mod_u64(seed, n) & shard_mask) | shard_id;
}
