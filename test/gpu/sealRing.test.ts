/**
 * Sealing streamed through the transfer ring: many batches queued on two small slots come back
 * byte-equal to core/ in input order, and a second call allocates no GPU buffer (the staging
 * ring and the per-slot device buffers are reused).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toHex } from '../../src/bytes.js';
import { seal } from '../../src/core/seal.js';
import type { SealInput } from '../../src/backend/backend.js';
import { acquireGpu, releaseGpu, type GpuContext } from '../../src/gpu/device.js';
import { Kernels } from '../../src/gpu/kernels.js';
import { GpuSealer } from '../../src/gpu/seal.js';
import { gpuGate, seededBytes } from '../helpers/gpu.js';

const gate = await gpuGate();

describe('GPU sealing through the transfer ring', { skip: gate.skip }, () => {
  let ctx: GpuContext;
  let sealer: GpuSealer;
  before(async () => {
    ctx = await acquireGpu();
    // 3 seals per batch, 2 slots: 20 seals are 7 batches queued behind each other.
    sealer = new GpuSealer(ctx, new Kernels(ctx, { keccakLayout: 'pairs', workgroupSize: 64 }), { workgroupSize: 64, slots: 2, slotBytes: 3 * (4096 + 96) });
  });
  after(() => {
    sealer?.destroy();
    if (ctx) releaseGpu(ctx);
  });

  test('20 seals in 7 batches equal core/ in order; seal then unseal round-trips; no buffer is made per batch', async () => {
    assert.equal(sealer.perBatch, 3);
    const inputs: SealInput[] = Array.from({ length: 20 }, (_, i) => ({
      minerId: seededBytes(900 + i, 32),
      sealContextDigest: seededBytes(950 + i, 32),
      startSector: i === 7 ? 1n << 70n : BigInt(i) * 16n + (i === 3 ? 1n << 60n : 0n),
      data: seededBytes(1000 + i, 4096),
    }));
    const sealed = await sealer.seal(inputs, 'seal');
    inputs.forEach((x, i) => assert.equal(toHex(sealed[i]!), toHex(seal(x.data, x.minerId, x.sealContextDigest, x.startSector)), `seal ${i}`));
    let made = 0;
    const create = ctx.device.createBuffer.bind(ctx.device);
    ctx.device.createBuffer = (d: GPUBufferDescriptor) => {
      made++;
      return create(d);
    };
    try {
      const back = await sealer.seal(inputs.map((x, i) => ({ ...x, data: sealed[i]! })), 'unseal');
      inputs.forEach((x, i) => assert.equal(toHex(back[i]!), toHex(x.data), `unseal ${i}`));
    } finally {
      ctx.device.createBuffer = create;
    }
    assert.equal(made, 0, 'seal() allocated GPU buffers on a warm ring');
  });

  test('a seal of the wrong size is a one-line BAD_INPUT before anything is queued', async () => {
    await assert.rejects(sealer.seal([{ minerId: new Uint8Array(32), sealContextDigest: new Uint8Array(32), startSector: 0n, data: new Uint8Array(10) }], 'seal'), /4096 bytes/);
  });
});

describe('TransferRing', { skip: gate.skip }, () => {
  test('keeps batches in flight: slot 1 is filled before slot 0 drains; results land per job; a failing fill rejects after the queued batches finish', async () => {
    const { TransferRing } = await import('../../src/gpu/transferRing.js');
    const ctx = await acquireGpu();
    const ring = new TransferRing(ctx, { label: 'test', slots: 2, uploadBytes: 64, downloadBytes: 64 });
    try {
      const events: string[] = [];
      const got = new Map<number, number[]>();
      const job = {
        uploadBytes: () => 16,
        downloadBytes: () => 16,
        fill: (j: number, up: Uint8Array) => {
          events.push(`fill ${j}`);
          up.fill(j + 1);
        },
        encode: (_j: number, enc: GPUCommandEncoder, slot: { upload: GPUBuffer; download: GPUBuffer }) => enc.copyBufferToBuffer(slot.upload, 0, slot.download, 0, 16),
        drain: (j: number, down: Uint8Array) => {
          events.push(`drain ${j}`);
          got.set(j, [...down]);
        },
      };
      await ring.run('test', [0, 1, 2, 3, 4], job);
      assert.ok(events.indexOf('fill 1') < events.indexOf('drain 0'), events.join(', '));
      for (let j = 0; j < 5; j++) assert.deepEqual(got.get(j), new Array(16).fill(j + 1));
      const drained: number[] = [];
      await assert.rejects(
        ring.run('test', [0, 1, 2], {
          ...job,
          fill: (j: number, up: Uint8Array) => {
            if (j === 2) throw new Error('fill failed');
            up.fill(9);
          },
          drain: (j: number) => void drained.push(j),
        }),
        /fill failed/
      );
      assert.deepEqual(drained.sort(), [0, 1]);
      // The ring still works after a failed run.
      await ring.run('test', [7], job);
      assert.deepEqual(got.get(7), new Array(16).fill(8));
    } finally {
      ring.destroy();
      releaseGpu(ctx);
    }
  });
});
