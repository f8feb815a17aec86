// Kernel `rs_apply`: a GF(2^8) (poly 0x11D) matrix applied to many stripes per dispatch:
// out[s][r] = XOR over c of M[r][c] · in[s][c], for every 16-byte column of every stripe. It is
// Reed-Solomon encode (M = parity rows) and reconstruct (M = decode rows) alike; the host builds M.
//
// Multiplication without tables: the invocation computes x·2^i for i = 0..7 once per input
// vector (xtime on four packed bytes per u32), then each output XORs the powers its coefficient's
// bits select. The coefficients are the same for every invocation, so the bit tests branch
// uniformly and no lookup table, workgroup memory or bank conflict is involved.

override RS_WG: u32 = 256u;
struct RsParams {
  rows: u32,
  cols: u32,
  /** 16-byte vectors per shard (shards padded to 16 bytes). */
  vecs: u32,
  stripes: u32,
}

@group(0) @binding(0) var<uniform> RP: RsParams;
@group(0) @binding(1) var<storage, read> rs_coef: array<u32>;                 // rows * cols, one per u32
@group(0) @binding(2) var<storage, read> rs_in: array<vec4<u32>>;             // [stripe][col][vec]
@group(0) @binding(3) var<storage, read_write> rs_out: array<vec4<u32>>;      // [stripe][row][vec]

fn xtime4(x: vec4<u32>) -> vec4<u32> {
  let hi = (x >> vec4<u32>(7u)) & vec4<u32>(0x01010101u);
  return ((x << vec4<u32>(1u)) & vec4<u32>(0xfefefefeu)) ^ (hi * 0x1du);
}

// c·x from the powers x·2^0..x·2^7. Plain parameters and explicit branches keep everything in
// registers (a dynamically indexed array would live in local memory on some compilers).
fn gf_mul(c: u32, p0: vec4<u32>, p1: vec4<u32>, p2: vec4<u32>, p3: vec4<u32>,
          p4: vec4<u32>, p5: vec4<u32>, p6: vec4<u32>, p7: vec4<u32>) -> vec4<u32> {
  var a = vec4<u32>(0u);
  if ((c & 0x01u) != 0u) { a ^= p0; }
  if ((c & 0x02u) != 0u) { a ^= p1; }
  if ((c & 0x04u) != 0u) { a ^= p2; }
  if ((c & 0x08u) != 0u) { a ^= p3; }
  if ((c & 0x10u) != 0u) { a ^= p4; }
  if ((c & 0x20u) != 0u) { a ^= p5; }
  if ((c & 0x40u) != 0u) { a ^= p6; }
  if ((c & 0x80u) != 0u) { a ^= p7; }
  return a;
}

@compute @workgroup_size(RS_WG)
fn rs_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * RS_WG;
  if (i >= RP.vecs * RP.stripes) {
    return;
  }
  let s = i / RP.vecs;
  let v = i % RP.vecs;
  let inBase = s * RP.cols * RP.vecs + v;
  let outBase = s * RP.rows * RP.vecs + v;
  // Four output rows per pass over the inputs: the powers of each input vector serve all four.
  for (var r0 = 0u; r0 < RP.rows; r0 += 4u) {
    let n = min(4u, RP.rows - r0);
    var a0 = vec4<u32>(0u);
    var a1 = vec4<u32>(0u);
    var a2 = vec4<u32>(0u);
    var a3 = vec4<u32>(0u);
    for (var c = 0u; c < RP.cols; c++) {
      let p0 = rs_in[inBase + c * RP.vecs];
      let p1 = xtime4(p0);
      let p2 = xtime4(p1);
      let p3 = xtime4(p2);
      let p4 = xtime4(p3);
      let p5 = xtime4(p4);
      let p6 = xtime4(p5);
      let p7 = xtime4(p6);
      let k = r0 * RP.cols + c;
      a0 ^= gf_mul(rs_coef[k], p0, p1, p2, p3, p4, p5, p6, p7);
      if (n > 1u) { a1 ^= gf_mul(rs_coef[k + RP.cols], p0, p1, p2, p3, p4, p5, p6, p7); }
      if (n > 2u) { a2 ^= gf_mul(rs_coef[k + 2u * RP.cols], p0, p1, p2, p3, p4, p5, p6, p7); }
      if (n > 3u) { a3 ^= gf_mul(rs_coef[k + 3u * RP.cols], p0, p1, p2, p3, p4, p5, p6, p7); }
    }
    let o = outBase + r0 * RP.vecs;
    rs_out[o] = a0;
    if (n > 1u) { rs_out[o + RP.vecs] = a1; }
    if (n > 2u) { rs_out[o + 2u * RP.vecs] = a2; }
    if (n > 3u) { rs_out[o + 3u * RP.vecs] = a3; }
  }
}
