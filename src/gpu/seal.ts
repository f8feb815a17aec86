/**
 * Batch sealing on the GPU (shaders/seal.wgsl): `seal()` streams host seals through a
 * TransferRing, so uploads, the kernel and read-backs of successive batches overlap and the
 * staging buffers are reused (the miner's sealer hands over freshly synced data this way);
 * `throughput()` times the kernel alone with the seals already in GPU memory (bench seal).
 */
import { BYTES_PER_SEAL } from '../spec.js';
import { u256be } from '../bytes.js';
import { MinerError } from '../errors.js';
import type { SealInput } from '../backend/backend.js';
import { isSoftwareAdapter, withErrorScope, type GpuContext } from './device.js';
import { bufferLayout, grid, makeBuffer, STORAGE, UNIFORM, type Kernels } from './kernels.js';
import { TransferRing } from './transferRing.js';
import { uniformLayout, writeUniform } from './uniforms.js';
import { repeatFor } from '../timing.js';

const SEAL_PARAMS = uniformLayout('seal.wgsl', 'SealParams');
/** seal.wgsl's bindings: params, seeds, data (sealed in place). */
const SEAL_BINDINGS: GPUBufferBindingType[] = ['uniform', 'read-only-storage', 'storage'];
/** minerId ‖ sealContextDigest ‖ u256be(startSector). */
const SEED_BYTES = 96;
const TWO64 = 1n << 64n;

export interface SealThroughput {
  seals: number;
  bytes: number;
  seconds: number;
  /** Bytes sealed per second with the data already in GPU memory (kernel only). */
  sealBytesPerSecond: number;
}

export interface GpuSealerOptions {
  workgroupSize: number;
  /** Ring slots (batches in flight); default 4, 2 on a software GPU. */
  slots?: number;
  /** Upload bytes per slot; default 32 MiB, 2 MiB on a software GPU. */
  slotBytes?: number;
}

interface SealBatch {
  first: number;
  count: number;
}

export class GpuSealer {
  private readonly ctx: GpuContext;
  private readonly kernels: Kernels;
  private readonly wg: number;
  private readonly layout: GPUBindGroupLayout;
  /** Seals per ring batch. */
  readonly perBatch: number;
  private readonly slots: number;
  /** The ring and its per-slot device buffers, made on the first seal() (a miner that never seals pays nothing). */
  private stream: { ring: TransferRing; data: GPUBuffer[]; seeds: GPUBuffer[]; params: GPUBuffer[]; groups: GPUBindGroup[] } | null = null;

  constructor(ctx: GpuContext, kernels: Kernels, opts: GpuSealerOptions) {
    this.ctx = ctx;
    this.kernels = kernels;
    this.wg = opts.workgroupSize;
    const software = isSoftwareAdapter(ctx.description);
    const maxBinding = Math.min(ctx.limits.maxStorageBufferBindingSize ?? 0, ctx.limits.maxBufferSize ?? 0);
    const slotBytes = Math.min(opts.slotBytes ?? (software ? 2 << 20 : 32 << 20), maxBinding);
    this.perBatch = Math.max(1, Math.floor(slotBytes / (BYTES_PER_SEAL + SEED_BYTES)));
    this.slots = opts.slots ?? (software ? 2 : 4);
    this.layout = bufferLayout(ctx, 'seal_main', SEAL_BINDINGS);
  }

  private ensureStream(): NonNullable<GpuSealer['stream']> {
    if (this.stream === null) {
      const n = this.slots;
      const ring = new TransferRing(this.ctx, {
        label: 'seal',
        slots: n,
        uploadBytes: this.perBatch * (BYTES_PER_SEAL + SEED_BYTES),
        downloadBytes: this.perBatch * BYTES_PER_SEAL,
      });
      const data = Array.from({ length: n }, (_, i) => makeBuffer(this.ctx, `seal data ${i}`, this.perBatch * BYTES_PER_SEAL, STORAGE));
      const seeds = Array.from({ length: n }, (_, i) => makeBuffer(this.ctx, `seal seeds ${i}`, this.perBatch * SEED_BYTES, STORAGE));
      const params = Array.from({ length: n }, (_, i) => makeBuffer(this.ctx, `seal params ${i}`, SEAL_PARAMS.size, UNIFORM));
      const groups = data.map((d, i) => this.group(`seal slot ${i}`, params[i]!, seeds[i]!, d));
      this.stream = { ring, data, seeds, params, groups };
    }
    return this.stream;
  }

  private async pipeline(): Promise<GPUComputePipeline> {
    return this.kernels.seal(this.layout);
  }

  private group(label: string, params: GPUBuffer, seeds: GPUBuffer, data: GPUBuffer): GPUBindGroup {
    return this.ctx.device.createBindGroup({
      label,
      layout: this.layout,
      entries: [params, seeds, data].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  private dispatch(enc: GPUCommandEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, n: number): void {
    const pass = enc.beginComputePass({ label: 'seal_main' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    const [x, y] = grid(n, this.wg, this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /** Seals (or unseals) every input; results come back in input order. */
  async seal(inputs: readonly SealInput[], mode: 'seal' | 'unseal'): Promise<Uint8Array[]> {
    for (const x of inputs) if (x.data.length !== BYTES_PER_SEAL) throw new MinerError('BAD_INPUT', `seal data must be 4096 bytes (got ${x.data.length})`);
    const pipeline = await this.pipeline();
    const st = this.ensureStream();
    const out = new Array<Uint8Array>(inputs.length);
    const batches: SealBatch[] = [];
    for (let first = 0; first < inputs.length; first += this.perBatch) batches.push({ first, count: Math.min(this.perBatch, inputs.length - first) });
    await st.ring.run(mode, batches, {
      uploadBytes: (b) => b.count * (BYTES_PER_SEAL + SEED_BYTES),
      downloadBytes: (b) => b.count * BYTES_PER_SEAL,
      fill: (b, up) => {
        // Data first, then the seeds: both regions stay 16-byte aligned for the copies.
        const seeds = new DataView(up.buffer, up.byteOffset + b.count * BYTES_PER_SEAL, b.count * SEED_BYTES);
        for (let i = 0; i < b.count; i++) {
          const x = inputs[b.first + i]!;
          up.set(x.data, i * BYTES_PER_SEAL);
          const at = b.count * BYTES_PER_SEAL + i * SEED_BYTES;
          up.set(x.minerId, at);
          up.set(x.sealContextDigest, at + 32);
          if (x.startSector >= 0n && x.startSector < TWO64) {
            // The common case without a 32-byte allocation: 24 zero bytes, then the u64 big-endian.
            up.fill(0, at + 64, at + 88);
            seeds.setBigUint64(i * SEED_BYTES + 88, x.startSector, false);
          } else up.set(u256be(x.startSector), at + 64);
        }
      },
      encode: (b, enc, slot) => {
        const i = slot.index;
        writeUniform(this.ctx, st.params[i]!, SEAL_PARAMS, { count: b.count, unseal: mode === 'unseal' ? 1 : 0 });
        enc.copyBufferToBuffer(slot.upload, 0, st.data[i]!, 0, b.count * BYTES_PER_SEAL);
        enc.copyBufferToBuffer(slot.upload, b.count * BYTES_PER_SEAL, st.seeds[i]!, 0, b.count * SEED_BYTES);
        this.dispatch(enc, pipeline, st.groups[i]!, b.count);
        enc.copyBufferToBuffer(st.data[i]!, 0, slot.download, 0, b.count * BYTES_PER_SEAL);
      },
      drain: (b, down) => {
        // One copy per batch; each result is a view into it (no per-seal allocation).
        const res = new Uint8Array(down);
        for (let i = 0; i < b.count; i++) out[b.first + i] = res.subarray(i * BYTES_PER_SEAL, (i + 1) * BYTES_PER_SEAL);
      },
    });
    return out;
  }

  /** Seals `seals` seals resident in GPU memory, repeatedly for about `seconds`. */
  async throughput(seals: number, seconds: number): Promise<SealThroughput> {
    const pipeline = await this.pipeline();
    const n = Math.max(1, Math.min(seals, Math.floor((this.ctx.limits.maxStorageBufferBindingSize ?? 0) / BYTES_PER_SEAL)));
    return withErrorScope(this.ctx, 'seal bench', async () => {
      const params = makeBuffer(this.ctx, 'bench params', SEAL_PARAMS.size, UNIFORM);
      const seeds = makeBuffer(this.ctx, 'bench seeds', n * SEED_BYTES, STORAGE);
      const data = makeBuffer(this.ctx, 'bench data', n * BYTES_PER_SEAL, STORAGE);
      try {
        writeUniform(this.ctx, params, SEAL_PARAMS, { count: n, unseal: 0 });
        const seedBytes = new Uint8Array(n * SEED_BYTES);
        for (let i = 0; i < seedBytes.length; i++) seedBytes[i] = (i * 2654435761) >>> 24;
        this.ctx.device.queue.writeBuffer(seeds, 0, seedBytes);
        const group = this.group('seal bench', params, seeds, data);
        const r = await repeatFor(seconds, async () => {
          const enc = this.ctx.device.createCommandEncoder();
          this.dispatch(enc, pipeline, group, n);
          this.ctx.device.queue.submit([enc.finish()]);
          await this.ctx.device.queue.onSubmittedWorkDone();
        });
        const bytes = r.runs * n * BYTES_PER_SEAL;
        return { seals: r.runs * n, bytes, seconds: r.seconds, sealBytesPerSecond: bytes / r.seconds };
      } finally {
        for (const b of [params, seeds, data]) b.destroy();
      }
    });
  }

  destroy(): void {
    if (this.stream === null) return;
    this.stream.ring.destroy();
    for (const b of [...this.stream.data, ...this.stream.seeds, ...this.stream.params]) b.destroy();
    this.stream = null;
  }
}
