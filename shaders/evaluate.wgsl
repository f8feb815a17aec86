// Kernel `evaluate`: one invocation per PoraInput (selftest, known-answer self-check, tests):
// every PoRA value on the GPU, each input with its own miner id, nonce, range and sealOffset
// (any u64, so the contract-only sealOffset >= 64 cases run here too). The range digest is a
// single-block keccak (128 bytes < rate 136). Needs u64, blake2b, keccak_f, keccak256.

override EVAL_WG: u32 = 64u;

struct EvalParams {
  count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> EP: EvalParams;
// 16 vec4 per input: minerId, nonce, subtaskDigest (2 each), abi.encode(range) (8),
// (sealOffset lo, hi, n lo, n hi), (shardMask lo, hi, shardId lo, hi).
@group(0) @binding(1) var<storage, read> eval_in: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> eval_sealed: array<vec4<u32>>;        // 256 per input
@group(0) @binding(3) var<storage, read_write> eval_pads: array<vec4<u32>>;    // 1024 per input (scratch)
// 16 vec4 per input: padSeed (4), padDigest (4), recallSeed (2), quality (2), (co lo, hi, inBound, 0), 3 unused.
@group(0) @binding(4) var<storage, read_write> eval_out: array<vec4<u32>>;

fn keccak256_128(x: array<u32, 32>) -> array<u32, 8> {
  var st: array<u32, 50>;
  for (var i = 0u; i < 32u; i++) { st[i] = x[i]; }
  st[32] = 1u;
  st[33] ^= 0x80000000u;
  return keccak_digest(&st);
}

@compute @workgroup_size(EVAL_WG)
fn evaluate_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= EP.count) {
    return;
  }
  let ib = i * 16u;
  var rng: array<u32, 32>;
  for (var q = 0u; q < 8u; q++) {
    let v = eval_in[ib + 6u + q];
    rng[4u * q] = v.x; rng[4u * q + 1u] = v.y; rng[4u * q + 2u] = v.z; rng[4u * q + 3u] = v.w;
  }
  let rd = keccak256_128(rng);
  var m = array<vec4<u32>, 8>(eval_in[ib], eval_in[ib + 1u], eval_in[ib + 2u], eval_in[ib + 3u],
                              eval_in[ib + 4u], eval_in[ib + 5u],
                              vec4<u32>(rd[0], rd[1], rd[2], rd[3]), vec4<u32>(rd[4], rd[5], rd[6], rd[7]));
  var h: array<u32, 16>;
  for (var q = 0u; q < 16u; q++) { h[q] = BLAKE2B_IV[q]; }
  h[0] ^= 0x01010040u;
  blake2b_compress(&h, m, 128u, true);
  let seed = h;

  var d = h;
  let pbase = i * 1024u;
  for (var j = 0u; j < 256u; j++) {
    let a = keccak256_64(d);
    for (var q = 0u; q < 8u; q++) { d[q] = a[q]; }
    let b = keccak256_64(d);
    for (var q = 0u; q < 8u; q++) { d[8u + q] = b[q]; }
    let c = pbase + j * 4u;
    eval_pads[c] = vec4<u32>(d[0], d[1], d[2], d[3]);
    eval_pads[c + 1u] = vec4<u32>(d[4], d[5], d[6], d[7]);
    eval_pads[c + 2u] = vec4<u32>(d[8], d[9], d[10], d[11]);
    eval_pads[c + 3u] = vec4<u32>(d[12], d[13], d[14], d[15]);
  }
  let rs = keccak256_64(d);

  let so = eval_in[ib + 14u];
  let sh = eval_in[ib + 15u];
  let n = so.zw;
  var co = vec2<u32>(0u, 0u);
  var in_bound = 2u;  // 2: n == 0, the contract panics (division by zero); the host decides
  if ((n.x | n.y) != 0u) {
    co = recall_chunk_offset(rs, n, sh.xy, sh.zw);
    in_bound = select(0u, 1u, u64_le(co, n));
  }

  // Quality: block 0 = u256be(sealOffset) ‖ padSeed ‖ 0^32; then sealed XOR pad slice (sealOffset mod 4).
  var hq: array<u32, 16>;
  for (var q = 0u; q < 16u; q++) { hq[q] = BLAKE2B_IV[q]; }
  hq[0] ^= 0x01010040u;
  m = array<vec4<u32>, 8>(vec4<u32>(0u), vec4<u32>(0u, 0u, bswap32(so.y), bswap32(so.x)),
                          vec4<u32>(seed[0], seed[1], seed[2], seed[3]), vec4<u32>(seed[4], seed[5], seed[6], seed[7]),
                          vec4<u32>(seed[8], seed[9], seed[10], seed[11]), vec4<u32>(seed[12], seed[13], seed[14], seed[15]),
                          vec4<u32>(0u), vec4<u32>(0u));
  blake2b_compress(&hq, m, 128u, false);
  let k = so.x % 4u;
  let sbase = i * 256u;
  let slice = pbase + k * 256u;
  for (var b = 0u; b < 32u; b++) {
    for (var j = 0u; j < 8u; j++) {
      m[j] = eval_sealed[sbase + b * 8u + j] ^ eval_pads[slice + b * 8u + j];
    }
    blake2b_compress(&hq, m, 128u * (b + 2u), b == 31u);
  }

  let ob = i * 16u;
  for (var q = 0u; q < 4u; q++) {
    eval_out[ob + q] = vec4<u32>(seed[4u * q], seed[4u * q + 1u], seed[4u * q + 2u], seed[4u * q + 3u]);
    eval_out[ob + 4u + q] = vec4<u32>(d[4u * q], d[4u * q + 1u], d[4u * q + 2u], d[4u * q + 3u]);
  }
  eval_out[ob + 8u] = vec4<u32>(rs[0], rs[1], rs[2], rs[3]);
  eval_out[ob + 9u] = vec4<u32>(rs[4], rs[5], rs[6], rs[7]);
  eval_out[ob + 10u] = vec4<u32>(hq[0], hq[1], hq[2], hq[3]);
  eval_out[ob + 11u] = vec4<u32>(hq[4], hq[5], hq[6], hq[7]);
  eval_out[ob + 12u] = vec4<u32>(co.x, co.y, in_bound, 0u);
}
