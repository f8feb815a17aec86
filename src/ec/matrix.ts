/**
 * Dense matrices over GF(2^8), row-major in one Uint8Array. Only what Reed-Solomon needs:
 * Vandermonde, product, a selection of rows, and Gauss-Jordan inversion.
 */
import { gfInv, gfMul, gfPow, mulTable } from './gf256.js';

export interface GfMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows * cols entries, row-major. */
  readonly data: Uint8Array;
}

export function matrix(rows: number, cols: number, data: Uint8Array = new Uint8Array(rows * cols)): GfMatrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix ${rows}x${cols} needs ${rows * cols} entries, got ${data.length}`);
  return { rows, cols, data };
}

/** V[r][c] = r^c, 0^0 = 1. */
export function vandermonde(rows: number, cols: number): GfMatrix {
  const m = matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.data[r * cols + c] = gfPow(r, c);
  return m;
}

export function multiply(a: GfMatrix, b: GfMatrix): GfMatrix {
  if (a.cols !== b.rows) throw new RangeError(`cannot multiply ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const out = matrix(a.rows, b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let k = 0; k < a.cols; k++) {
      const x = a.data[r * a.cols + k]!;
      if (x === 0) continue;
      const t = mulTable(x);
      for (let c = 0; c < b.cols; c++) out.data[r * b.cols + c]! ^= t[b.data[k * b.cols + c]!]!;
    }
  }
  return out;
}

/** The rows `which` of `m`, in that order. */
export function selectRows(m: GfMatrix, which: readonly number[]): GfMatrix {
  const out = matrix(which.length, m.cols);
  which.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

/** The inverse of a square matrix; throws RangeError when it is singular. */
export function invert(m: GfMatrix): GfMatrix {
  const n = m.rows;
  if (m.cols !== n) throw new RangeError(`only a square matrix has an inverse (got ${m.rows}x${m.cols})`);
  // Gauss-Jordan on [m | I].
  const w = 2 * n;
  const a = new Uint8Array(n * w);
  for (let r = 0; r < n; r++) {
    a.set(m.data.subarray(r * n, (r + 1) * n), r * w);
    a[r * w + n + r] = 1;
  }
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot * w + col] === 0) pivot++;
    if (pivot === n) throw new RangeError('singular matrix');
    if (pivot !== col) {
      const tmp = a.slice(col * w, (col + 1) * w);
      a.copyWithin(col * w, pivot * w, (pivot + 1) * w);
      a.set(tmp, pivot * w);
    }
    const inv = gfInv(a[col * w + col]!);
    if (inv !== 1) for (let c = 0; c < w; c++) a[col * w + c] = gfMul(a[col * w + c]!, inv);
    for (let r = 0; r < n; r++) {
      const f = a[r * w + col]!;
      if (r === col || f === 0) continue;
      const t = mulTable(f);
      for (let c = 0; c < w; c++) a[r * w + c]! ^= t[a[col * w + c]!]!;
    }
  }
  const out = matrix(n, n);
  for (let r = 0; r < n; r++) out.data.set(a.subarray(r * w + n, (r + 1) * w), r * n);
  return out;
}
