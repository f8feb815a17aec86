/**
 * The plain-JavaScript engine: table multiply, one byte at a time. Slow and obviously right, so
 * it is the oracle the wasm and WGSL engines are tested against.
 */
import { mulTable } from './gf256.js';
import type { GfMatrix } from './matrix.js';
import { checkStripes, type ErasureCoder, type Stripe } from './coder.js';

export function applyReference(m: GfMatrix, stripe: Stripe): void {
  for (let r = 0; r < m.rows; r++) {
    const out = stripe.outputs[r]!;
    out.fill(0);
    for (let c = 0; c < m.cols; c++) {
      const coef = m.data[r * m.cols + c]!;
      if (coef === 0) continue;
      const t = mulTable(coef);
      const x = stripe.inputs[c]!;
      for (let b = 0; b < out.length; b++) out[b]! ^= t[x[b]!]!;
    }
  }
}

export function createReferenceCoder(): ErasureCoder {
  return {
    info: { kind: 'reference', device: 'JavaScript', threads: 1 },
    async apply(m, stripes) {
      checkStripes(m, stripes);
      for (const s of stripes) applyReference(m, s);
    },
    async dispose() {},
  };
}
