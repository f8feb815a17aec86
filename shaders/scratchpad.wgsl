// Kernel `scratchpad`: one invocation per nonce of a batch. Computes the pad seed (BLAKE2b-512 of
// minerId ‖ nonce ‖ subtaskDigest ‖ rangeDigest), the 256-round keccak scratch pad (written to
// `pads` for the pora kernel), the recall seed and the recalled load chunk offset. With resident
// data it also runs the recall prefilter: a nonce whose recalled load is in bound, resident and
// has any sealed seal is appended to the work list of the GPU chunk holding that load, so the
// pora kernel hashes only held loads. Needs u64, blake2b, keccak_f, keccak256.

override SCRATCHPAD_WG: u32 = 64u;

struct PadParams {
  // The 128-byte pad-seed preimage with the batch's base nonce in words 8..15.
  preimage: array<vec4<u32>, 8>,
  start: vec2<u32>,         // index of nonce 0 of this batch (nonce_i = base ^ u64le(start + i))
  count: u32,               // nonces in this batch
  resident: u32,            // 1: run the prefilter against `masks`
  n: vec2<u32>,             // mineLength / 1024 (> 0)
  shard_mask: vec2<u32>,
  shard_id: vec2<u32>,
  rel_lo: vec2<u32>,        // chunk offsets [rel_lo, rel_hi] map to resident loads 0.. (see host)
  rel_hi: vec2<u32>,
  loads_per_chunk: u32,     // loads per GPU data binding
  list_stride: u32,         // work-list entries per chunk (= batch capacity)
  resident_empty: u32,      // 1: no chunk offset maps to a resident load
  _pad0: u32,
  delta: vec2<u32>,         // (startPosition / 1024 - firstLoad) mod 2^64
}

@group(0) @binding(0) var<uniform> PP: PadParams;
@group(0) @binding(1) var<storage, read_write> pad_seeds: array<vec4<u32>>;   // 4 per nonce
@group(0) @binding(2) var<storage, read_write> pads: array<vec4<u32>>;        // 1024 per nonce
@group(0) @binding(3) var<storage, read_write> recall: array<vec4<u32>>;      // (offset lo, hi, inBound, 0)
@group(0) @binding(4) var<storage, read_write> items: array<vec2<u32>>;       // (nonce index, load slot)
@group(0) @binding(5) var<storage, read_write> counters: array<atomic<u32>>;  // held, sealHashes, per-chunk counts
@group(0) @binding(6) var<storage, read> masks: array<vec2<u32>>;             // u64 availability per resident load

@compute @workgroup_size(SCRATCHPAD_WG)
fn scratchpad_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * SCRATCHPAD_WG;
  if (i >= PP.count) {
    return;
  }
  // Pad seed: one BLAKE2b block (t = 128, final).
  var m: array<vec4<u32>, 8>;
  for (var q = 0u; q < 8u; q++) { m[q] = PP.preimage[q]; }
  let idx = u64_add(PP.start, vec2<u32>(i, 0u));
  m[2] = m[2] ^ vec4<u32>(idx.x, idx.y, 0u, 0u);
  var h: array<u32, 16>;
  for (var q = 0u; q < 16u; q++) { h[q] = BLAKE2B_IV[q]; }
  h[0] ^= 0x01010040u;
  blake2b_compress(&h, m, 128u, true);
  let sbase = i * 4u;
  for (var q = 0u; q < 4u; q++) {
    pad_seeds[sbase + q] = vec4<u32>(h[4u * q], h[4u * q + 1u], h[4u * q + 2u], h[4u * q + 3u]);
  }

  // Scratch pad: d[0..32] = keccak(d); d[32..64] = keccak(d); store d; 256 times.
  var d = h;
  let pbase = i * 1024u;
  for (var j = 0u; j < 256u; j++) {
    let a = keccak256_64(d);
    for (var q = 0u; q < 8u; q++) { d[q] = a[q]; }
    let b = keccak256_64(d);
    for (var q = 0u; q < 8u; q++) { d[8u + q] = b[q]; }
    let c = pbase + j * 4u;
    pads[c] = vec4<u32>(d[0], d[1], d[2], d[3]);
    pads[c + 1u] = vec4<u32>(d[4], d[5], d[6], d[7]);
    pads[c + 2u] = vec4<u32>(d[8], d[9], d[10], d[11]);
    pads[c + 3u] = vec4<u32>(d[12], d[13], d[14], d[15]);
  }
  let seed = keccak256_64(d);

  // Recall: chunkOffset and the contract's bound check chunkOffset * 1024 <= mineLength,
  // which for an integer chunkOffset is chunkOffset <= floor(mineLength / 1024) = n.
  let co = recall_chunk_offset(seed, PP.n, PP.shard_mask, PP.shard_id);
  let in_bound = u64_le(co, PP.n);
  recall[i] = vec4<u32>(co.x, co.y, select(0u, 1u, in_bound), 0u);

  if (PP.resident == 0u || PP.resident_empty != 0u || !in_bound) {
    return;
  }
  if (u64_lt(co, PP.rel_lo) || u64_lt(PP.rel_hi, co)) {
    return;
  }
  let rel = u64_add(co, PP.delta).x;
  let mask = masks[rel];
  if ((mask.x | mask.y) == 0u) {
    return;
  }
  let chunk = rel / PP.loads_per_chunk;
  let slot = rel % PP.loads_per_chunk;
  let at = atomicAdd(&counters[2u + chunk], 1u);
  items[chunk * PP.list_stride + at] = vec2<u32>(i, slot);
  atomicAdd(&counters[0], 1u);
  atomicAdd(&counters[1], countOneBits(mask.x) + countOneBits(mask.y));
}
