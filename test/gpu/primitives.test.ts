import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blake2b512, keccak256 } from '../../src/core/hash.js';
import { recallChunkOffset, recallInBound } from '../../src/core/recallRange.js';
import { UINT64_MAX } from '../../src/spec.js';
import { MinerError } from '../../src/errors.js';
import { acquireGpu, releaseGpu, withErrorScope, type GpuContext } from '../../src/gpu/device.js';
import { compileModule, makeBuffer, makePipeline, readBack, STORAGE, UNIFORM } from '../../src/gpu/kernels.js';
import type { KeccakLayout } from '../../src/gpu/shaders.js';
import { gpuGate, seededBigInt, seededBytes } from '../helpers/gpu.js';

const gate = await gpuGate();

const pipelines = new Map<string, Promise<GPUComputePipeline>>();

async function run(ctx: GpuContext, layout: KeccakLayout, entry: string, params: number[], input: Uint8Array, outBytes: number, count: number) {
  return withErrorScope(ctx, entry, async () => {
    const key = `${layout}/${entry}`;
    let p0 = pipelines.get(key);
    if (p0 === undefined) {
      p0 = compileModule(ctx, 'primitives_test', layout).then((m) => makePipeline(ctx, m, entry));
      pipelines.set(key, p0);
    }
    const pipeline = await p0;
    const p = makeBuffer(ctx, 'p', 16, UNIFORM);
    const i = makeBuffer(ctx, 'in', input.length, STORAGE);
    const o = makeBuffer(ctx, 'out', outBytes, STORAGE);
    try {
      ctx.device.queue.writeBuffer(p, 0, new Uint32Array(params));
      const padded = new Uint8Array(Math.ceil(Math.max(16, input.length) / 16) * 16);
      padded.set(input);
      ctx.device.queue.writeBuffer(i, 0, padded);
      const bg = ctx.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [p, i, o].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(Math.ceil(count / 64));
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      return await readBack(ctx, o, 0, outBytes);
    } finally {
      for (const b of [p, i, o]) b.destroy();
    }
  });
}

/** Keccak padding (0x01 ... 0x80) to `blocks` blocks of 136 bytes. */
function keccakPad(msg: Uint8Array, blocks: number): Uint8Array {
  const out = new Uint8Array(blocks * 136);
  out.set(msg);
  out[msg.length]! ^= 0x01;
  out[blocks * 136 - 1]! ^= 0x80;
  return out;
}

describe('GPU primitives vs core/', { skip: gate.skip }, () => {
  let ctx: GpuContext;
  before(async () => {
    ctx = await acquireGpu();
  });
  after(() => releaseGpu(ctx));

  for (const layout of ['pairs', 'interleaved'] as const) {
    test(`keccak256 (${layout}) on seeded messages of 0..300 bytes`, async () => {
      // Group by block count so one dispatch hashes messages with the same number of blocks.
      for (const blocks of [1, 2, 3]) {
        const lens = [0, 1, 31, 32, 64, 96, 135, 136, 200, 271, 272, 300].filter((l) => Math.floor(l / 136) + 1 === blocks);
        const msgs = lens.map((l, k) => seededBytes(1000 + l + k, l));
        const input = new Uint8Array(msgs.length * blocks * 136);
        msgs.forEach((m, k) => input.set(keccakPad(m, blocks), k * blocks * 136));
        const out = await run(ctx, layout, 'keccak_test', [msgs.length, blocks, 0, 0], input, msgs.length * 32, msgs.length);
        msgs.forEach((m, k) => assert.deepEqual(out.slice(k * 32, k * 32 + 32), keccak256(m), `len ${m.length}`));
      }
    });

    test(`fixed-size keccak256 helpers (${layout}): 32, 64, 96 bytes`, async () => {
      for (const len of [32, 64, 96]) {
        const msgs = Array.from({ length: 70 }, (_, k) => (k === 0 ? new Uint8Array(len) : k === 1 ? new Uint8Array(len).fill(0xff) : seededBytes(len * 7 + k, len)));
        const input = new Uint8Array(msgs.length * 96);
        msgs.forEach((m, k) => input.set(m, k * 96));
        const out = await run(ctx, layout, 'keccak_fixed_test', [msgs.length, 0, len, 0], input, msgs.length * 32, msgs.length);
        msgs.forEach((m, k) => assert.deepEqual(out.slice(k * 32, k * 32 + 32), keccak256(m), `len ${len} case ${k}`));
      }
    });
  }

  test('blake2b-512 on seeded messages of 0..600 bytes', async () => {
    for (const len of [0, 1, 64, 127, 128, 129, 255, 256, 300, 512, 600]) {
      const blocks = Math.max(1, Math.ceil(len / 128));
      const msgs = [seededBytes(len, len), new Uint8Array(len).fill(0xff)];
      const input = new Uint8Array(msgs.length * blocks * 128);
      msgs.forEach((m, k) => input.set(m, k * blocks * 128));
      const out = await run(ctx, 'pairs', 'blake_test', [msgs.length, blocks, len, 0], input, msgs.length * 64, msgs.length);
      msgs.forEach((m, k) => assert.deepEqual(out.slice(k * 64, k * 64 + 64), blake2b512(m), `len ${len}`));
    }
  });

  test('recall chunk offset (256-bit seed mod u64, shard masks) matches core for u64-sized values', async () => {
    const ns = [1n, 2n, 3n, 1023n, 1n << 25n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) + 7n, (1n << 63n) - 1n, 1n << 63n, (1n << 63n) + 12345n, UINT64_MAX - 1n, UINT64_MAX];
    const cases: { seed: Uint8Array; n: bigint; mask: bigint; id: bigint }[] = [];
    let k = 0;
    for (const n of [...ns, ...Array.from({ length: 12 }, (_, i) => 1n + seededBigInt(500 + i, 8 + i * 5))]) {
      for (const shards of [1n, 2n, 8n, 32n]) {
        const mask = ~(shards - 1n) & UINT64_MAX;
        const id = seededBigInt(k, 8) % shards;
        const seed = k % 7 === 0 ? new Uint8Array(32).fill(0xff) : k % 11 === 0 ? new Uint8Array(32) : seededBytes(9000 + k, 32);
        cases.push({ seed, n, mask, id });
        k++;
      }
    }
    const input = new Uint8Array(cases.length * 56);
    const dv = new DataView(input.buffer);
    cases.forEach((c, i) => {
      input.set(c.seed, i * 56);
      const put = (o: number, v: bigint) => {
        dv.setUint32(i * 56 + o, Number(v & 0xffffffffn), true);
        dv.setUint32(i * 56 + o + 4, Number(v >> 32n), true);
      };
      put(32, c.n);
      put(40, c.mask);
      put(48, c.id);
    });
    const out = await run(ctx, 'pairs', 'recall_test', [cases.length, 0, 0, 0], input, cases.length * 16, cases.length);
    const ov = new DataView(out.buffer);
    cases.forEach((c, i) => {
      const range = { startPosition: 0n, mineLength: c.n * 1024n, shardId: c.id, shardMask: c.mask };
      const want = recallChunkOffset(range, c.seed);
      const got = BigInt(ov.getUint32(i * 16, true)) | (BigInt(ov.getUint32(i * 16 + 4, true)) << 32n);
      assert.equal(got, want, `case ${i}: n=${c.n} mask=${c.mask.toString(16)} id=${c.id}`);
      assert.equal(ov.getUint32(i * 16 + 8, true) === 1, recallInBound(range, want), `inBound case ${i}`);
    });
  });
});

describe('GPU errors become MinerError', { skip: gate.skip }, () => {
  test('a validation error inside a scope is GPU_VALIDATION', async () => {
    const ctx = await acquireGpu();
    try {
      await assert.rejects(
        withErrorScope(ctx, 'bad buffer', () => {
          // MAP_READ may only be combined with COPY_DST: a validation error, not a throw.
          ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
        }),
        (e: unknown) => e instanceof MinerError && e.code === 'GPU_VALIDATION' && !e.message.includes('\n')
      );
    } finally {
      releaseGpu(ctx);
    }
  });

  test('a device lost mid-work is GPU_DEVICE_LOST', async () => {
    const ctx = await acquireGpu();
    try {
      await assert.rejects(
        withErrorScope(ctx, 'work', async () => {
          ctx.device.destroy();
          await ctx.device.queue.onSubmittedWorkDone();
        }),
        (e: unknown) => e instanceof MinerError && e.code === 'GPU_DEVICE_LOST'
      );
    } finally {
      releaseGpu(ctx);
    }
  });
});
