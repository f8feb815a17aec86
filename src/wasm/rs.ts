// rs.wasm: GF(2^8) matrix × shards with WebAssembly SIMD, the split-nibble table multiply the fast
// native Reed-Solomon libraries use (klauspost's AVX2 galMulSlices, ISA-L): for a coefficient c,
// c·x = LO_c[x & 15] ^ HI_c[x >> 4], two 16-entry tables looked up 16 bytes at a time with
// i8x16.swizzle. AssemblyScript source, compiled by `npm run build` (runtime stub, SIMD on).
//
// Memory: TABLES (32 bytes per coefficient: LO then HI, row-major, written by the host), then BUF,
// the host's work area: `cols` input blocks at a stride, `rows` output blocks at a stride.
// Lengths are rounded up to 32 bytes: the bytes past `len` are scratch (never read back).

const MAX_COEFFICIENTS: usize = 16384; // k·m <= 128·128 when k + m <= 256
const TABLES: usize = (__heap_base + 63) & ~(<usize>63);
const BUF: usize = TABLES + MAX_COEFFICIENTS * 32;

export function tablePtr(): usize { return TABLES; }
export function bufPtr(): usize { return BUF; }

/** Grows memory so BUF holds `bytes`; false when the engine refuses. */
export function ensure(bytes: usize): bool {
  const pages = <i32>((BUF + bytes + 0xffff) >> 16);
  const have = memory.size();
  if (have >= pages) return true;
  return memory.grow(pages - have) >= 0;
}

// @ts-ignore: decorator
@inline function mul(t: usize, lo: v128, hi: v128): v128 {
  return v128.xor(i8x16.swizzle(v128.load(t), lo), i8x16.swizzle(v128.load(t, 16), hi));
}

/**
 * out_r = Σ_c T[r][c] · in_c for r in [r0, r0 + 4), 32 bytes per step: four outputs share each
 * input load and its nibble split, and both 16-byte halves share each table load, which is most
 * of the work for the usual m <= 4 parity rows. `len` is a multiple of 32 here.
 */
function rows4(r0: u32, cols: u32, inStride: usize, out: usize, outStride: usize, len: usize): void {
  const mask = i8x16.splat(0x0f);
  const rowBytes = <usize>cols * 32;
  const t0 = TABLES + <usize>r0 * rowBytes;
  for (let off: usize = 0; off < len; off += 32) {
    let a0 = i8x16.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let b0 = a0;
    let b1 = a0;
    let b2 = a0;
    let b3 = a0;
    let src = BUF + off;
    let t = t0;
    for (let c: u32 = 0; c < cols; c++) {
      const x = v128.load(src);
      const y = v128.load(src, 16);
      const xl = v128.and(x, mask);
      const xh = v128.and(i16x8.shr_u(x, 4), mask);
      const yl = v128.and(y, mask);
      const yh = v128.and(i16x8.shr_u(y, 4), mask);
      let lo = v128.load(t);
      let hi = v128.load(t, 16);
      a0 = v128.xor(a0, v128.xor(i8x16.swizzle(lo, xl), i8x16.swizzle(hi, xh)));
      b0 = v128.xor(b0, v128.xor(i8x16.swizzle(lo, yl), i8x16.swizzle(hi, yh)));
      lo = v128.load(t + rowBytes);
      hi = v128.load(t + rowBytes, 16);
      a1 = v128.xor(a1, v128.xor(i8x16.swizzle(lo, xl), i8x16.swizzle(hi, xh)));
      b1 = v128.xor(b1, v128.xor(i8x16.swizzle(lo, yl), i8x16.swizzle(hi, yh)));
      lo = v128.load(t + 2 * rowBytes);
      hi = v128.load(t + 2 * rowBytes, 16);
      a2 = v128.xor(a2, v128.xor(i8x16.swizzle(lo, xl), i8x16.swizzle(hi, xh)));
      b2 = v128.xor(b2, v128.xor(i8x16.swizzle(lo, yl), i8x16.swizzle(hi, yh)));
      lo = v128.load(t + 3 * rowBytes);
      hi = v128.load(t + 3 * rowBytes, 16);
      a3 = v128.xor(a3, v128.xor(i8x16.swizzle(lo, xl), i8x16.swizzle(hi, xh)));
      b3 = v128.xor(b3, v128.xor(i8x16.swizzle(lo, yl), i8x16.swizzle(hi, yh)));
      src += inStride;
      t += 32;
    }
    const dst = out + <usize>r0 * outStride + off;
    v128.store(dst, a0);
    v128.store(dst, b0, 16);
    v128.store(dst + outStride, a1);
    v128.store(dst + outStride, b1, 16);
    v128.store(dst + 2 * outStride, a2);
    v128.store(dst + 2 * outStride, b2, 16);
    v128.store(dst + 3 * outStride, a3);
    v128.store(dst + 3 * outStride, b3, 16);
  }
}

function rows1(r: u32, cols: u32, inStride: usize, out: usize, outStride: usize, len: usize): void {
  const mask = i8x16.splat(0x0f);
  const t0 = TABLES + <usize>r * <usize>cols * 32;
  for (let off: usize = 0; off < len; off += 16) {
    let a = i8x16.splat(0);
    let src = BUF + off;
    let t = t0;
    for (let c: u32 = 0; c < cols; c++) {
      const x = v128.load(src);
      a = v128.xor(a, mul(t, v128.and(x, mask), v128.and(i16x8.shr_u(x, 4), mask)));
      src += inStride;
      t += 32;
    }
    v128.store(out + <usize>r * outStride + off, a);
  }
}

/**
 * Output block r (at BUF + outOffset + r·outStride) = Σ_c coefficient(r, c) · input block c
 * (at BUF + c·inStride), `len` bytes each (rounded up to 16).
 */
export function apply(rows: u32, cols: u32, inStride: usize, outOffset: usize, outStride: usize, len: usize): void {
  const out = BUF + outOffset;
  const n = (len + 31) & ~(<usize>31);
  let r: u32 = 0;
  for (; r + 4 <= rows; r += 4) rows4(r, cols, inStride, out, outStride, n);
  for (; r < rows; r++) rows1(r, cols, inStride, out, outStride, n);
}
