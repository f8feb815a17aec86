// keccak256 (Ethereum padding 0x01 .. 0x80, rate 136 bytes) of the fixed-size messages PoRA
// uses: 32 bytes (seal chain), 64 bytes (scratch-pad step, recall seed), 96 bytes (seal seed).
// Each fits in one block, so the padding is two constant XORs. Needs keccak_f from one of the
// keccak_*.wgsl layouts. Words are little-endian u32 of the bytes, in order.

fn keccak_digest(st: ptr<function, array<u32, 50>>) -> array<u32, 8> {
  keccak_f(st);
  return array<u32, 8>((*st)[0], (*st)[1], (*st)[2], (*st)[3], (*st)[4], (*st)[5], (*st)[6], (*st)[7]);
}

fn keccak256_32(x: array<u32, 8>) -> array<u32, 8> {
  var st: array<u32, 50>;
  for (var i = 0u; i < 8u; i++) { st[i] = x[i]; }
  st[8] = 1u;             // byte 32: 0x01
  st[33] = 0x80000000u;   // byte 135: 0x80 (lane 16, high word)
  return keccak_digest(&st);
}

fn keccak256_64(x: array<u32, 16>) -> array<u32, 8> {
  var st: array<u32, 50>;
  for (var i = 0u; i < 16u; i++) { st[i] = x[i]; }
  st[16] = 1u;
  st[33] = 0x80000000u;
  return keccak_digest(&st);
}

fn keccak256_96(x: array<u32, 24>) -> array<u32, 8> {
  var st: array<u32, 50>;
  for (var i = 0u; i < 24u; i++) { st[i] = x[i]; }
  st[24] = 1u;
  st[33] = 0x80000000u;
  return keccak_digest(&st);
}
