// Test-only entry points for the primitives (test/gpu/primitives.test.ts): generic keccak256 and
// BLAKE2b-512 over host-prepared blocks, the fixed-size keccak helpers, and the recall chunk
// arithmetic. Needs u64, blake2b, keccak_f, keccak256. Never used by the miner.

struct TestParams {
  count: u32,    // messages / cases
  blocks: u32,   // blocks per message (keccak: 136-byte blocks, padded by the host; blake: 128-byte)
  len: u32,      // blake: message length in bytes; keccak_fixed: 32, 64 or 96
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> TP: TestParams;
@group(0) @binding(1) var<storage, read> t_in: array<u32>;
@group(0) @binding(2) var<storage, read_write> t_out: array<u32>;

@compute @workgroup_size(64)
fn keccak_test(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= TP.count) { return; }
  var st: array<u32, 50>;
  let base = i * TP.blocks * 34u;
  for (var b = 0u; b < TP.blocks; b++) {
    for (var q = 0u; q < 34u; q++) { st[q] ^= t_in[base + b * 34u + q]; }
    keccak_f(&st);
  }
  for (var q = 0u; q < 8u; q++) { t_out[i * 8u + q] = st[q]; }
}

@compute @workgroup_size(64)
fn keccak_fixed_test(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= TP.count) { return; }
  let base = i * 24u;
  var r: array<u32, 8>;
  if (TP.len == 32u) {
    var x: array<u32, 8>;
    for (var q = 0u; q < 8u; q++) { x[q] = t_in[base + q]; }
    r = keccak256_32(x);
  } else if (TP.len == 64u) {
    var x: array<u32, 16>;
    for (var q = 0u; q < 16u; q++) { x[q] = t_in[base + q]; }
    r = keccak256_64(x);
  } else {
    var x: array<u32, 24>;
    for (var q = 0u; q < 24u; q++) { x[q] = t_in[base + q]; }
    r = keccak256_96(x);
  }
  for (var q = 0u; q < 8u; q++) { t_out[i * 8u + q] = r[q]; }
}

@compute @workgroup_size(64)
fn blake_test(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= TP.count) { return; }
  var h: array<u32, 16>;
  for (var q = 0u; q < 16u; q++) { h[q] = BLAKE2B_IV[q]; }
  h[0] ^= 0x01010040u;
  let base = i * TP.blocks * 32u;
  for (var b = 0u; b < TP.blocks; b++) {
    var m: array<vec4<u32>, 8>;
    for (var j = 0u; j < 8u; j++) {
      let o = base + b * 32u + j * 4u;
      m[j] = vec4<u32>(t_in[o], t_in[o + 1u], t_in[o + 2u], t_in[o + 3u]);
    }
    let last = b + 1u == TP.blocks;
    blake2b_compress(&h, m, select(128u * (b + 1u), TP.len, last), last);
  }
  for (var q = 0u; q < 16u; q++) { t_out[i * 16u + q] = h[q]; }
}

// Case: seed (8 words, keccak output order), n, shardMask, shardId (u64 pairs) = 14 words.
// Out: chunk offset (2 words), inBound (chunkOffset <= n).
@compute @workgroup_size(64)
fn recall_test(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= TP.count) { return; }
  let b = i * 14u;
  var seed: array<u32, 8>;
  for (var q = 0u; q < 8u; q++) { seed[q] = t_in[b + q]; }
  let n = vec2<u32>(t_in[b + 8u], t_in[b + 9u]);
  let co = recall_chunk_offset(seed, n, vec2<u32>(t_in[b + 10u], t_in[b + 11u]), vec2<u32>(t_in[b + 12u], t_in[b + 13u]));
  t_out[i * 4u] = co.x;
  t_out[i * 4u + 1u] = co.y;
  t_out[i * 4u + 2u] = select(0u, 1u, u64_le(co, n));
}
