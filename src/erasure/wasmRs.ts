/**
 * The JS side of rs.wasm (src/wasm/rs.ts): one instance per thread, applying a GF(2^8) matrix to
 * shards in column blocks. Each block of every input is copied into wasm memory, multiplied with
 * SIMD, and the outputs copied back; the blocks are sized to stay in the core's L2 cache, so the
 * copies cost little next to the multiply.
 */
import { gfMul } from '../ec/gf256.js';
import { selectRows, type GfMatrix } from '../ec/matrix.js';
import type { Stripe } from '../ec/coder.js';
import { instantiateWasm, projectWasm } from '../wasmModule.js';

interface RsExports {
  memory: { buffer: ArrayBuffer };
  tablePtr(): number;
  bufPtr(): number;
  ensure(bytes: number): number;
  apply(rows: number, cols: number, inStride: number, outOffset: number, outStride: number, len: number): void;
}

/** Working set of one block (inputs + outputs): half an L2 cache on current x86 cores. */
const BLOCK_BUDGET = 256 << 10;

/** Coefficients rs.wasm's table region holds (src/wasm/rs.ts MAX_COEFFICIENTS). */
const MAX_COEFFICIENTS = 16384;
const rowBands = new WeakMap<GfMatrix, { first: number; m: GfMatrix }[]>();

/** The 32-byte split-nibble tables of every coefficient of `m`, as rs.wasm reads them. */
export function nibbleTables(m: GfMatrix): Uint8Array {
  const t = new Uint8Array(m.data.length * 32);
  m.data.forEach((c, i) => {
    for (let x = 0; x < 16; x++) {
      t[i * 32 + x] = gfMul(c, x);
      t[i * 32 + 16 + x] = gfMul(c, x << 4);
    }
  });
  return t;
}

export class WasmRs {
  readonly #x: RsExports;
  #matrix: GfMatrix | null = null;

  constructor() {
    const abort = (): never => {
      throw new Error('rs.wasm aborted');
    };
    this.#x = instantiateWasm(projectWasm('rs.wasm'), { env: { abort } }) as RsExports;
    if (!this.#x.ensure(0)) throw new RangeError('rs.wasm: out of memory');
  }

  #useMatrix(m: GfMatrix): void {
    if (this.#matrix === m) return;
    new Uint8Array(this.#x.memory.buffer, this.#x.tablePtr(), m.data.length * 32).set(nibbleTables(m));
    this.#matrix = m;
  }

  /** Applies `m` to bytes [from, to) of every shard of `stripe`. */
  apply(m: GfMatrix, stripe: Stripe, from = 0, to = stripe.inputs[0]?.length ?? 0): void {
    if (to <= from || m.rows === 0) return;
    if (m.data.length <= MAX_COEFFICIENTS) return this.#apply(m, stripe, from, to);
    // More coefficients than the table region holds (only a generic matrix, never k+m <= 256 RS):
    // a row band at a time.
    let bands = rowBands.get(m);
    if (bands === undefined) {
      const per = Math.max(1, Math.floor(MAX_COEFFICIENTS / m.cols));
      bands = [];
      for (let r = 0; r < m.rows; r += per) {
        const rows = Array.from({ length: Math.min(per, m.rows - r) }, (_, i) => r + i);
        bands.push({ first: r, m: selectRows(m, rows) });
      }
      rowBands.set(m, bands);
    }
    for (const b of bands) this.#apply(b.m, { inputs: stripe.inputs, outputs: stripe.outputs.slice(b.first, b.first + b.m.rows) }, from, to);
  }

  #apply(m: GfMatrix, stripe: Stripe, from: number, to: number): void {
    this.#useMatrix(m);
    const shards = m.rows + m.cols;
    const block = Math.min(Math.max(64, Math.floor(BLOCK_BUDGET / shards / 64) * 64), (to - from + 31) & ~31);
    // A multiple of 32: rs.wasm rounds lengths up to 32, and block r + 1 must not be overrun.
    if (!this.#x.ensure(shards * block)) throw new RangeError('rs.wasm: out of memory');
    const mem = new Uint8Array(this.#x.memory.buffer);
    const buf = this.#x.bufPtr();
    const outOffset = m.cols * block;
    for (let a = from; a < to; a += block) {
      const b = Math.min(to, a + block);
      for (let c = 0; c < m.cols; c++) mem.set(stripe.inputs[c]!.subarray(a, b), buf + c * block);
      this.#x.apply(m.rows, m.cols, block, outOffset, block, b - a);
      for (let r = 0; r < m.rows; r++) stripe.outputs[r]!.set(mem.subarray(buf + outOffset + r * block, buf + outOffset + r * block + (b - a)), a);
    }
  }
}
