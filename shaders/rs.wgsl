// Kernel `rs_apply`: a GF(2^8) (poly 0x11D) matrix applied to many stripes per dispatch:
// out[s][r] = XOR over c of M[r][c] · in[s][c], for every 16-byte column of every stripe. It is
// Reed-Solomon encode (M = parity rows) and reconstruct (M = decode rows) alike; the host builds M.
//
// Multiplication without tables: the invocation computes x·2^i for i = 0..7 once per input
// vector (xtime on four packed bytes per u32), then each output XORs the powers its coefficient's
// bits select. The coefficients are the same for every invocation, so the bit tests branch
// uniformly and no lookup table, workgroup memory or bank conflict is involved.

override RS_WG: u32 = 256u;
/** Output rows kept in registers per pass over the inputs. */
const RS_ROWS: u32 = 4u;

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

fn gf_mul_powers(p: ptr<function, array<vec4<u32>, 8>>, c: u32) -> vec4<u32> {
  var acc = vec4<u32>(0u);
  for (var b = 0u; b < 8u; b++) {
    if (((c >> b) & 1u) != 0u) {
      acc ^= (*p)[b];
    }
  }
  return acc;
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
  var p: array<vec4<u32>, 8>;
  for (var r0 = 0u; r0 < RP.rows; r0 += RS_ROWS) {
    var acc: array<vec4<u32>, RS_ROWS>;
    for (var g = 0u; g < RS_ROWS; g++) {
      acc[g] = vec4<u32>(0u);
    }
    let n = min(RS_ROWS, RP.rows - r0);
    for (var c = 0u; c < RP.cols; c++) {
      p[0] = rs_in[inBase + c * RP.vecs];
      for (var b = 1u; b < 8u; b++) {
        p[b] = xtime4(p[b - 1u]);
      }
      for (var g = 0u; g < n; g++) {
        acc[g] ^= gf_mul_powers(&p, rs_coef[(r0 + g) * RP.cols + c]);
      }
    }
    for (var g = 0u; g < n; g++) {
      rs_out[outBase + (r0 + g) * RP.vecs] = acc[g];
    }
  }
}
