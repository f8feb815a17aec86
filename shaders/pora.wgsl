// Kernel `pora`: one workgroup of 64 invocations per work item (nonce × held load); invocation i
// hashes seal i of the load: quality = BLAKE2b-512(u256be(i) ‖ padSeed ‖ 0^32 ‖ sealed_i XOR
// pad slice (i mod 4))[0..32], compared with the 256-bit bound. The first (lowest) meeting seal of
// the load is appended to the hit buffer; the count keeps growing past `hit_cap`, so the host sees
// an overflow and re-runs the pass with a larger buffer. The pad (16 KiB) is staged in workgroup
// memory; its four 4 KiB slices are spaced 1032 words apart so the 4 slices read by one warp fall
// in different banks. Workgroups loop over the (GPU-counted) work list. Needs blake2b, u64.

const PAD_SLICE_STRIDE: u32 = 1032u;
// Measured on an H100: no faster (the kernel is ALU-bound), so the host leaves it off.
override PORA_PREFETCH: bool = false;

struct PoraParams {
  bound: array<vec4<u32>, 2>,  // quality bound as 8 big-endian u32 words (most significant first)
  chunk: u32,                  // which work list / counter this pass consumes
  list_stride: u32,
  mask_base: u32,              // masks[mask_base + slot] is the availability of load slot
  hit_cap: u32,
}

@group(0) @binding(0) var<uniform> PR: PoraParams;
@group(0) @binding(1) var<storage, read> pads: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> pad_seeds: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> items: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> counters: array<u32>;
@group(0) @binding(5) var<storage, read> masks: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> data: array<vec4<u32>>;              // 16384 per 256 KiB load
@group(0) @binding(7) var<storage, read_write> hits: array<atomic<u32>>;      // [0] count, records from 4

var<workgroup> wg_pad: array<u32, 4128>;
var<workgroup> wg_best: atomic<u32>;
var<workgroup> wg_count: u32;

// The first 32 digest bytes as a big-endian integer, compared with the bound (accept iff <=).
// Constant indices only: a dynamic index into `h` could place the chaining value in local memory
// for the whole kernel.
fn quality_meets(h: ptr<function, array<u32, 16>>) -> bool {
  let q = array<u32, 8>(bswap32((*h)[0]), bswap32((*h)[1]), bswap32((*h)[2]), bswap32((*h)[3]),
                        bswap32((*h)[4]), bswap32((*h)[5]), bswap32((*h)[6]), bswap32((*h)[7]));
  let b0 = PR.bound[0];
  let b1 = PR.bound[1];
  let b = array<u32, 8>(b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w);
  // Lexicographic <= from the least significant word up: lt/eq of the suffix.
  var le = q[7] <= b[7];
  le = q[6] < b[6] || (q[6] == b[6] && le);
  le = q[5] < b[5] || (q[5] == b[5] && le);
  le = q[4] < b[4] || (q[4] == b[4] && le);
  le = q[3] < b[3] || (q[3] == b[3] && le);
  le = q[2] < b[2] || (q[2] == b[2] && le);
  le = q[1] < b[1] || (q[1] == b[1] && le);
  le = q[0] < b[0] || (q[0] == b[0] && le);
  return le;
}

// Appends the hit record (nonce, seal, slot, chunk, first 8 digest words) if the buffer has room.
fn append_hit(nonce_idx: u32, lid: u32, slot: u32, h: ptr<function, array<u32, 16>>) {
  let at = atomicAdd(&hits[0], 1u);
  if (at < PR.hit_cap) {
    let r = 4u + at * 12u;
    atomicStore(&hits[r], nonce_idx);
    atomicStore(&hits[r + 1u], lid);
    atomicStore(&hits[r + 2u], slot);
    atomicStore(&hits[r + 3u], PR.chunk);
    atomicStore(&hits[r + 4u], (*h)[0]); atomicStore(&hits[r + 5u], (*h)[1]);
    atomicStore(&hits[r + 6u], (*h)[2]); atomicStore(&hits[r + 7u], (*h)[3]);
    atomicStore(&hits[r + 8u], (*h)[4]); atomicStore(&hits[r + 9u], (*h)[5]);
    atomicStore(&hits[r + 10u], (*h)[6]); atomicStore(&hits[r + 11u], (*h)[7]);
  }
}

// BLAKE2b state after block 0 of seal `lid`: u256be(i) ‖ padSeed ‖ 0^32 (i < 64, so only the
// last byte of the first word is non-zero).
fn first_block(h: ptr<function, array<u32, 16>>, nonce_idx: u32, lid: u32) {
  *h = BLAKE2B_IV;
  (*h)[0] ^= 0x01010040u;
  let s = nonce_idx * 4u;
  let m = array<vec4<u32>, 8>(vec4<u32>(0u), vec4<u32>(0u, 0u, 0u, lid << 24u),
                              pad_seeds[s], pad_seeds[s + 1u], pad_seeds[s + 2u], pad_seeds[s + 3u],
                              vec4<u32>(0u), vec4<u32>(0u));
  blake2b_compress(h, m, 128u, false);
}

// Whether seal `lid` of the load in `slot` is available.
fn seal_held(slot: u32, lid: u32) -> bool {
  let mask = masks[PR.mask_base + slot];
  return (select(mask.x >> lid, mask.y >> (lid - 32u), lid >= 32u) & 1u) == 1u;
}

@compute @workgroup_size(64)
fn pora_main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>) {
  if (lid == 0u) {
    wg_count = counters[2u + PR.chunk];
  }
  let count = workgroupUniformLoad(&wg_count);
  let k = lid % 4u;
  for (var w = wid.x; w < count; w += nwg.x) {
    let item = items[PR.chunk * PR.list_stride + w];
    let nonce_idx = item.x;
    let slot = item.y;
    // Stage the pad: 1024 vec4 per nonce, 16 per invocation, coalesced.
    for (var q = lid; q < 1024u; q += 64u) {
      let v = pads[nonce_idx * 1024u + q];
      let u = q * 4u;
      let o = (u / 1024u) * PAD_SLICE_STRIDE + (u % 1024u);
      wg_pad[o] = v.x; wg_pad[o + 1u] = v.y; wg_pad[o + 2u] = v.z; wg_pad[o + 3u] = v.w;
    }
    if (lid == 0u) {
      atomicStore(&wg_best, 0xffffffffu);
    }
    workgroupBarrier();

    var met = false;
    var h: array<u32, 16>;
    if (seal_held(slot, lid)) {
      first_block(&h, nonce_idx, lid);
      let dbase = slot * 16384u + lid * 256u;
      let pbase = k * PAD_SLICE_STRIDE;
      // With PORA_PREFETCH the next 128-byte block is loaded before the current one is
      // compressed, so the global-memory latency overlaps the 12 BLAKE2b rounds.
      var m: array<vec4<u32>, 8>;
      var nxt: array<vec4<u32>, 8>;
      if (PORA_PREFETCH) {
        for (var j = 0u; j < 8u; j++) { nxt[j] = data[dbase + j]; }
      }
      for (var b = 0u; b < 32u; b++) {
        var cur: array<vec4<u32>, 8>;
        if (PORA_PREFETCH) {
          cur = nxt;
          if (b < 31u) {
            for (var j = 0u; j < 8u; j++) { nxt[j] = data[dbase + (b + 1u) * 8u + j]; }
          }
        } else {
          for (var j = 0u; j < 8u; j++) { cur[j] = data[dbase + b * 8u + j]; }
        }
        for (var j = 0u; j < 8u; j++) {
          let p = pbase + b * 32u + j * 4u;
          m[j] = cur[j] ^ vec4<u32>(wg_pad[p], wg_pad[p + 1u], wg_pad[p + 2u], wg_pad[p + 3u]);
        }
        blake2b_compress(&h, m, 128u * (b + 2u), b == 31u);
      }
      met = quality_meets(&h);
      if (met) {
        atomicMin(&wg_best, lid);
      }
    }
    workgroupBarrier();
    if (met && atomicLoad(&wg_best) == lid) {
      append_hit(nonce_idx, lid, slot, &h);
    }
    // wg_pad and wg_best are rewritten by the next item.
    workgroupBarrier();
  }
}

// The same search without staging: the pad slice is read straight from `pads` (each slice is read
// by 16 invocations of the workgroup, so it is served from L1/L2), which frees 16.5 KiB of
// workgroup memory per workgroup for more resident workgroups.
@compute @workgroup_size(64)
fn pora_gpad_main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(num_workgroups) nwg: vec3<u32>) {
  if (lid == 0u) {
    wg_count = counters[2u + PR.chunk];
  }
  let count = workgroupUniformLoad(&wg_count);
  let k = lid % 4u;
  for (var w = wid.x; w < count; w += nwg.x) {
    let item = items[PR.chunk * PR.list_stride + w];
    let nonce_idx = item.x;
    let slot = item.y;
    if (lid == 0u) {
      atomicStore(&wg_best, 0xffffffffu);
    }
    workgroupBarrier();
    var met = false;
    var h: array<u32, 16>;
    if (seal_held(slot, lid)) {
      first_block(&h, nonce_idx, lid);
      let dbase = slot * 16384u + lid * 256u;
      let pbase = nonce_idx * 1024u + k * 256u;
      var m: array<vec4<u32>, 8>;
      for (var b = 0u; b < 32u; b++) {
        for (var j = 0u; j < 8u; j++) { m[j] = data[dbase + b * 8u + j] ^ pads[pbase + b * 8u + j]; }
        blake2b_compress(&h, m, 128u * (b + 2u), b == 31u);
      }
      met = quality_meets(&h);
      if (met) {
        atomicMin(&wg_best, lid);
      }
    }
    workgroupBarrier();
    if (met && atomicLoad(&wg_best) == lid) {
      append_hit(nonce_idx, lid, slot, &h);
    }
    // wg_best is rewritten by the next item.
    workgroupBarrier();
  }
}
