/**
 * The WebGPU ErasureCoder: shaders/rs.wgsl applies a GF(2^8) matrix to many stripes per dispatch.
 * Host shards stream through a TransferRing (several batches in flight, mapped staging reused);
 * a stripe larger than a ring slot is cut into column pieces, since every column is independent.
 * `residentThroughput` measures the kernel with the codewords already in VRAM (bench ec).
 */
import { MinerError } from '../errors.js';
import { checkStripes, type ErasureCoder, type Stripe } from '../ec/coder.js';
import type { GfMatrix } from '../ec/matrix.js';
import { parityMatrix, reconstructPlan, type RsParams } from '../ec/reedSolomon.js';
import { isSoftwareAdapter, releaseGpu, withErrorScope, withNewGpu, type GpuBackendName, type GpuContext } from './device.js';
import { bufferLayout, compileModule, grid, makeBuffer, STORAGE, UNIFORM } from './kernels.js';
import { TransferRing } from './transferRing.js';
import { repeatFor } from '../timing.js';
import { RS_PARAMS, writeUniform } from './uniforms.js';

export interface GpuCoderOptions {
  gpuBackend?: GpuBackendName;
  /** Ring slots (batches in flight); default 4 (2 on a software GPU). */
  slots?: number;
  /** Upload bytes per ring slot; default 32 MiB (4 MiB on a software GPU). */
  slotBytes?: number;
  workgroupSize?: number;
}

export interface GpuEcThroughput {
  encodeBytesPerSecond: number;
  reconstructBytesPerSecond: number;
  stripes: number;
  seconds: number;
}

export interface GpuErasureCoder extends ErasureCoder {
  /** Encode and reconstruct rates (data bytes/s) over codewords held in GPU memory. */
  residentThroughput(p: RsParams, shardSize: number, seconds: number): Promise<GpuEcThroughput>;
  /** Ring shape, for bench output. */
  readonly ring: { slots: number; slotBytes: number };
}

interface Piece {
  stripe: Stripe;
  from: number;
  to: number;
}

interface Batch {
  pieces: Piece[];
  width: number;
}

/** rs.wgsl's bindings: params, coefficients, inputs, outputs. */
const RS_BINDINGS: GPUBufferBindingType[] = ['uniform', 'read-only-storage', 'read-only-storage', 'storage'];

export function createGpuCoder(opts: GpuCoderOptions = {}): Promise<GpuErasureCoder> {
  return withNewGpu(opts.gpuBackend !== undefined ? { gpuBackend: opts.gpuBackend } : {}, (ctx) => buildCoder(ctx, opts));
}

async function buildCoder(ctx: GpuContext, opts: GpuCoderOptions): Promise<GpuErasureCoder> {
  const software = isSoftwareAdapter(ctx.description);
  const wg = opts.workgroupSize ?? (software ? 64 : 256);
  const maxBinding = Math.min(ctx.limits.maxStorageBufferBindingSize ?? 0, ctx.limits.maxBufferSize ?? 0);
  const slotBytes = Math.min(opts.slotBytes ?? (software ? 4 << 20 : 32 << 20), maxBinding);
  const slots = opts.slots ?? (software ? 2 : 4);
  // One explicit layout shared by the ring slots' bind groups and the resident bench's.
  const layout = bufferLayout(ctx, 'rs_apply', RS_BINDINGS);
  const module = await compileModule(ctx, 'rs', 'pairs');
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await ctx.device.createComputePipelineAsync({
      label: 'rs_apply',
      layout: ctx.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'rs_apply', constants: { RS_WG: wg } },
    });
  } catch (e) {
    throw new MinerError('GPU_VALIDATION', `GPU pipeline rs_apply: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  // Pieces are cut so that both a batch's inputs and its outputs fit one slot size (batches()).
  const ring = new TransferRing(ctx, { label: 'rs', slots, uploadBytes: slotBytes, downloadBytes: slotBytes });
  const slotIn = Array.from({ length: slots }, (_, i) => makeBuffer(ctx, `rs in ${i}`, slotBytes, STORAGE));
  const slotOut = Array.from({ length: slots }, (_, i) => makeBuffer(ctx, `rs out ${i}`, slotBytes, STORAGE));
  const slotParams = Array.from({ length: slots }, (_, i) => makeBuffer(ctx, `rs params ${i}`, RS_PARAMS.size, UNIFORM));
  let coef = makeBuffer(ctx, 'rs coefficients', 4 * 256, STORAGE);
  let slotGroups = makeGroups();
  let disposed = false;

  function makeGroups(): GPUBindGroup[] {
    return slotIn.map((input, i) =>
      ctx.device.createBindGroup({
        label: `rs slot ${i}`,
        layout,
        entries: [slotParams[i]!, coef, input, slotOut[i]!].map((buffer, binding) => ({ binding, resource: { buffer } })),
      })
    );
  }

  function loadCoefficients(m: GfMatrix): void {
    const need = m.data.length * 4;
    if (need > coef.size) {
      coef.destroy();
      coef = makeBuffer(ctx, 'rs coefficients', need, STORAGE);
      slotGroups = makeGroups();
    }
    ctx.device.queue.writeBuffer(coef, 0, Uint32Array.from(m.data));
  }

  function dispatch(enc: GPUCommandEncoder, group: GPUBindGroup, invocations: number): void {
    const pass = enc.beginComputePass({ label: 'rs_apply' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    const [x, y] = grid(invocations, wg, maxDim);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  /** Cuts the stripes into column pieces of one width, grouped into batches that fit a ring slot. */
  function batches(m: GfMatrix, stripes: readonly Stripe[], size: number): Batch[] {
    const perShard = Math.floor(slotBytes / Math.max(m.rows, m.cols) / 16) * 16;
    if (perShard < 16) throw new MinerError('BAD_INPUT', `a ${m.rows}x${m.cols} matrix does not fit the GPU ring slot of ${slotBytes} bytes`);
    const width = Math.min(perShard, Math.ceil(size / 16) * 16);
    const perBatch = Math.max(1, Math.floor(perShard / width));
    const out: Batch[] = [];
    let cur: Piece[] = [];
    for (const stripe of stripes) {
      for (let from = 0; from < size; from += width) {
        cur.push({ stripe, from, to: Math.min(size, from + width) });
        if (cur.length === perBatch) {
          out.push({ pieces: cur, width });
          cur = [];
        }
      }
    }
    if (cur.length > 0) out.push({ pieces: cur, width });
    return out;
  }

  const coder: GpuErasureCoder = {
    info: { kind: 'gpu', device: `${ctx.description} (${ctx.backend})`, threads: 1 },
    ring: { slots, slotBytes },

    async apply(m, stripes) {
      if (disposed) throw new MinerError('GPU_DEVICE_LOST', 'GPU erasure coder already disposed');
      const size = checkStripes(m, stripes);
      if (size === 0 || stripes.length === 0 || m.rows === 0) return;
      loadCoefficients(m);
      await ring.run('erasure coding', batches(m, stripes, size), {
        uploadBytes: (b) => b.pieces.length * m.cols * b.width,
        downloadBytes: (b) => b.pieces.length * m.rows * b.width,
        fill(b, up) {
          b.pieces.forEach((p, j) => {
            for (let c = 0; c < m.cols; c++) up.set(p.stripe.inputs[c]!.subarray(p.from, p.to), (j * m.cols + c) * b.width);
          });
        },
        encode(b, enc, slot) {
          const i = slot.index;
          const vecs = b.width / 16;
          writeUniform(ctx, slotParams[i]!, RS_PARAMS, { rows: m.rows, cols: m.cols, vecs, stripes: b.pieces.length });
          enc.copyBufferToBuffer(slot.upload, 0, slotIn[i]!, 0, b.pieces.length * m.cols * b.width);
          dispatch(enc, slotGroups[i]!, vecs * b.pieces.length);
          enc.copyBufferToBuffer(slotOut[i]!, 0, slot.download, 0, b.pieces.length * m.rows * b.width);
        },
        drain(b, down) {
          b.pieces.forEach((p, j) => {
            for (let r = 0; r < m.rows; r++) {
              const at = (j * m.rows + r) * b.width;
              p.stripe.outputs[r]!.set(down.subarray(at, at + (p.to - p.from)), p.from);
            }
          });
        },
      });
    },

    async residentThroughput(p, shardSize, seconds) {
      const vecs = Math.ceil(shardSize / 16);
      const stripeIn = p.k * vecs * 16;
      const budget = Math.min(maxBinding, software ? 64 << 20 : 2 ** 30);
      const stripes = Math.max(1, Math.floor(budget / stripeIn));
      const lost = Math.min(p.m, p.k);
      const encodeM = parityMatrix(p);
      const rebuildM = reconstructPlan(p, Array.from({ length: p.k + p.m }, (_, i) => i >= lost), Array.from({ length: lost }, (_, i) => i)).matrix;
      return withErrorScope(ctx, 'erasure-coding bench', async () => {
        const input = makeBuffer(ctx, 'rs bench in', stripes * stripeIn, STORAGE);
        const output = makeBuffer(ctx, 'rs bench out', stripes * p.m * vecs * 16, STORAGE);
        const params = makeBuffer(ctx, 'rs bench params', RS_PARAMS.size, UNIFORM);
        const benchCoef = makeBuffer(ctx, 'rs bench coefficients', 4 * p.k * p.m, STORAGE);
        try {
          // Any bytes will do: the kernel's work does not depend on them; zeros are fine.
          const group = ctx.device.createBindGroup({
            label: 'rs bench',
            layout,
            entries: [params, benchCoef, input, output].map((buffer, binding) => ({ binding, resource: { buffer } })),
          });
          const rate = async (mm: GfMatrix): Promise<{ bps: number; secs: number }> => {
            ctx.device.queue.writeBuffer(benchCoef, 0, Uint32Array.from(mm.data));
            writeUniform(ctx, params, RS_PARAMS, { rows: mm.rows, cols: mm.cols, vecs, stripes });
            const r = await repeatFor(seconds, async () => {
              const enc = ctx.device.createCommandEncoder();
              dispatch(enc, group, vecs * stripes);
              ctx.device.queue.submit([enc.finish()]);
              await ctx.device.queue.onSubmittedWorkDone();
            });
            return { bps: (r.runs * stripes * p.k * shardSize) / r.seconds, secs: r.seconds };
          };
          const e = await rate(encodeM);
          const r = await rate(rebuildM);
          return { encodeBytesPerSecond: e.bps, reconstructBytesPerSecond: r.bps, stripes, seconds: Math.round((e.secs + r.secs) * 1000) / 1000 };
        } finally {
          for (const b of [input, output, params, benchCoef]) b.destroy();
        }
      });
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      ring.destroy();
      for (const b of [...slotIn, ...slotOut, ...slotParams, coef]) b.destroy();
      releaseGpu(ctx);
    },
  };
  return coder;
}
