// Kernel `seal`: one invocation per 4 KiB seal, sealing or unsealing in place. mask_0 =
// keccak256(minerId ‖ sealContextDigest ‖ u256be(startSector)) (the 96-byte seed comes from the
// host); word w: out = in ^ mask; the next mask hashes the *sealed* word (out when sealing, in when
// unsealing), so both directions are the same 128-step keccak chain. Needs keccak_f, keccak256.

override SEAL_WG: u32 = 64u;

struct SealParams {
  count: u32,
  unseal: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> SP: SealParams;
@group(0) @binding(1) var<storage, read> seal_seeds: array<vec4<u32>>;   // 6 per seal (96 bytes)
@group(0) @binding(2) var<storage, read_write> seal_data: array<vec4<u32>>;  // 256 per seal

@compute @workgroup_size(SEAL_WG)
fn seal_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * SEAL_WG;
  if (i >= SP.count) {
    return;
  }
  var seed: array<u32, 24>;
  for (var q = 0u; q < 6u; q++) {
    let v = seal_seeds[i * 6u + q];
    seed[4u * q] = v.x; seed[4u * q + 1u] = v.y; seed[4u * q + 2u] = v.z; seed[4u * q + 3u] = v.w;
  }
  var mask = keccak256_96(seed);
  let base = i * 256u;
  for (var w = 0u; w < 128u; w++) {
    let a = seal_data[base + 2u * w];
    let b = seal_data[base + 2u * w + 1u];
    let x = array<u32, 8>(a.x ^ mask[0], a.y ^ mask[1], a.z ^ mask[2], a.w ^ mask[3],
                          b.x ^ mask[4], b.y ^ mask[5], b.z ^ mask[6], b.w ^ mask[7]);
    seal_data[base + 2u * w] = vec4<u32>(x[0], x[1], x[2], x[3]);
    seal_data[base + 2u * w + 1u] = vec4<u32>(x[4], x[5], x[6], x[7]);
    if (SP.unseal != 0u) {
      mask = keccak256_32(array<u32, 8>(a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w));
    } else {
      mask = keccak256_32(x);
    }
  }
}
