/**
 * The WGSL erasure-coding kernel (shaders/rs.wgsl) and its transfer ring on the software GPU:
 * byte-equal to the reference coder on random shapes, with stripes cut into pieces and batches
 * streamed through a small ring; every rs- vector, reconstruct trials included.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { after, before, describe, test } from 'node:test';
import { createGpuCoder, type GpuErasureCoder } from '../../src/gpu/ecCoder.js';
import { applyReference } from '../../src/ec/referenceCoder.js';
import { matrix } from '../../src/ec/matrix.js';
import { checkRsEncode, checkRsTrial, parseRsCase } from '../../src/selftest/rsCheck.js';
import { gpuGate } from '../helpers/gpu.js';
import { Prng } from '../helpers/random.js';
import { rsVectorFiles } from '../helpers/vectors.js';

const gate = await gpuGate();

describe('GPU erasure coding (rs.wgsl)', { skip: gate.skip }, () => {
  let gpu: GpuErasureCoder;
  let tiny: GpuErasureCoder;
  before(async () => {
    gpu = await createGpuCoder();
    // 4 KiB slots: every stripe of the random test is cut into pieces and batches queue on 2 slots.
    tiny = await createGpuCoder({ slots: 2, slotBytes: 4096 });
  });
  after(async () => {
    await gpu?.dispose();
    await tiny?.dispose();
  });

  test('equals the reference on random matrices, shard sizes and stripe counts', async () => {
    const rng = new Prng('gpu-rs');
    for (let iter = 0; iter < 24; iter++) {
      const rows = 1 + rng.int(iter < 20 ? 9 : 60);
      const cols = 1 + rng.int(iter < 20 ? 17 : 200);
      const S = 1 + rng.int(iter % 4 === 0 ? 3000 : 70);
      const nStripes = 1 + rng.int(5);
      const m = matrix(rows, cols, rng.bytes(rows * cols));
      const stripes = Array.from({ length: nStripes }, () => ({
        inputs: Array.from({ length: cols }, () => rng.bytes(S)),
        outputs: Array.from({ length: rows }, () => rng.bytes(S)),
      }));
      const coder = iter % 2 === 0 || rows * 16 > 4096 || cols * 16 > 4096 ? gpu : tiny;
      await coder.apply(m, stripes);
      for (const [s, st] of stripes.entries()) {
        const want = Array.from({ length: rows }, () => new Uint8Array(S));
        applyReference(m, { inputs: st.inputs, outputs: want });
        want.forEach((w, r) => assert.deepEqual(st.outputs[r], w, `rows=${rows} cols=${cols} S=${S} stripe ${s} row ${r}`));
      }
    }
  });

  test('every rs- vector case and reconstruct trial', async () => {
    for (const file of rsVectorFiles()) {
      for (const raw of (JSON.parse(readFileSync(file, 'utf8')) as { cases: unknown[] }).cases) {
        const c = parseRsCase(raw);
        const { shards, diffs } = await checkRsEncode(c, gpu);
        for (const [f, e, g] of diffs) assert.equal(g, e, `${c.id} ${f}`);
        for (const t of c.trials) for (const [f, e, g] of await checkRsTrial(c, t, shards, gpu)) assert.equal(g, e, `${c.id} ${f}`);
      }
    }
  });

  test('CLI round trip on the GPU: ec encode, lose m shards, ec reconstruct (--backend gpu)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zg-ec-gpu-'));
    try {
      const bytes = new Prng('ec-gpu-cli').bytes(300_001);
      writeFileSync(join(dir, 'f'), bytes);
      const enc = runCli(['ec', 'encode', join(dir, 'f'), '--data', '6', '--parity', '3', '--out', join(dir, 's'), '--backend', 'gpu']);
      assert.equal(enc.status, 0, enc.stderr);
      assert.match(enc.stdout, /\(gpu\)/);
      for (const i of [0, 4, 7]) unlinkSync(join(dir, 's', `f.${i}`));
      const r = runCli(['ec', 'reconstruct', join(dir, 's'), '--out', join(dir, 'back'), '--backend', 'gpu']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'back'))), bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the VRAM throughput bench runs and reports positive rates', async () => {
    const r = await gpu.residentThroughput({ k: 4, m: 2 }, 4096, 0.05);
    assert.ok(r.encodeBytesPerSecond > 0 && r.reconstructBytesPerSecond > 0 && r.stripes >= 1);
  });
});
