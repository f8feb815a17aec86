/**
 * Compiled pipelines of the PoRA kernels for one device, and small buffer helpers. Pipelines are
 * created once per device (shader compilation costs seconds on a software GPU).
 */
import { MinerError } from '../errors.js';
import type { GpuContext } from './device.js';
import { DEFAULT_BLAKE2B, kernelSource, type Blake2bVariant, type KeccakLayout, type KernelName } from './shaders.js';

export interface KernelOptions {
  keccakLayout: KeccakLayout;
  /** Workgroup size of the per-nonce scratchpad / evaluate / seal kernels (override constants). */
  workgroupSize: number;
  /** Load the next data block while hashing the current one (pora kernel). */
  poraPrefetch?: boolean;
  /** BLAKE2b compression variant (all kernels). */
  blake2b?: Blake2bVariant;
  /** Where the pora kernel reads the pad slice: staged in workgroup memory, or straight from global (L1/L2). */
  poraPad?: PoraPad;
}

export type PoraPad = 'workgroup' | 'global';
export const DEFAULT_PORA_PAD: PoraPad = 'global';

export async function compileModule(
  ctx: GpuContext,
  kernel: KernelName,
  layout: KeccakLayout,
  blake: Blake2bVariant = DEFAULT_BLAKE2B
): Promise<GPUShaderModule> {
  const module = ctx.device.createShaderModule({ label: `zg-miner ${kernel} (${layout}, ${blake})`, code: kernelSource(kernel, layout, blake) });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const m = errors[0]!;
    throw new MinerError('GPU_VALIDATION', `WGSL ${kernel}.wgsl failed to compile: ${m.message} (line ${m.lineNum})`);
  }
  return module;
}

export async function makePipeline(
  ctx: GpuContext,
  module: GPUShaderModule,
  entryPoint: string,
  constants: Record<string, number> = {},
  bindGroupLayout?: GPUBindGroupLayout
): Promise<GPUComputePipeline> {
  try {
    return await ctx.device.createComputePipelineAsync({
      label: entryPoint,
      layout: bindGroupLayout ? ctx.device.createPipelineLayout({ label: entryPoint, bindGroupLayouts: [bindGroupLayout] }) : 'auto',
      compute: { module, entryPoint, constants },
    });
  } catch (e) {
    throw new MinerError('GPU_VALIDATION', `GPU pipeline ${entryPoint}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
}

/** Pipelines compiled on first use (a software GPU spends seconds per kernel in LLVM). */
export class Kernels {
  readonly opts: KernelOptions;
  private readonly ctx: GpuContext;
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();

  constructor(ctx: GpuContext, opts: KernelOptions) {
    this.ctx = ctx;
    this.opts = opts;
  }

  private get(kernel: KernelName, entry: string, constants: Record<string, number>, layout?: GPUBindGroupLayout): Promise<GPUComputePipeline> {
    let p = this.pending.get(entry);
    if (p === undefined) {
      p = compileModule(this.ctx, kernel, this.opts.keccakLayout, this.opts.blake2b ?? DEFAULT_BLAKE2B).then((m) => makePipeline(this.ctx, m, entry, constants, layout));
      this.pending.set(entry, p);
    }
    return p;
  }

  scratchpad(layout: GPUBindGroupLayout): Promise<GPUComputePipeline> {
    return this.get('scratchpad', 'scratchpad_main', { SCRATCHPAD_WG: this.opts.workgroupSize }, layout);
  }
  pora(layout: GPUBindGroupLayout): Promise<GPUComputePipeline> {
    const entry = (this.opts.poraPad ?? DEFAULT_PORA_PAD) === 'global' ? 'pora_gpad_main' : 'pora_main';
    return this.get('pora', entry, { PORA_PREFETCH: this.opts.poraPrefetch === true ? 1 : 0 }, layout);
  }
  /** `layout`: the explicit layout the sealer's bind groups share (first call wins; one per Kernels). */
  seal(layout: GPUBindGroupLayout): Promise<GPUComputePipeline> {
    return this.get('seal', 'seal_main', { SEAL_WG: this.opts.workgroupSize }, layout);
  }
  evaluate(): Promise<GPUComputePipeline> {
    return this.get('evaluate', 'evaluate_main', { EVAL_WG: this.opts.workgroupSize });
  }
}

/** An explicit bind group layout of buffer bindings 0..n-1 (compute stage), for layouts several bind groups share. */
export function bufferLayout(ctx: GpuContext, label: string, types: readonly GPUBufferBindingType[]): GPUBindGroupLayout {
  return ctx.device.createBindGroupLayout({
    label,
    entries: types.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })),
  });
}

export function makeBuffer(ctx: GpuContext, label: string, size: number, usage: number): GPUBuffer {
  return ctx.device.createBuffer({ label, size: Math.max(16, Math.ceil(size / 16) * 16), usage });
}

export const STORAGE = 0x80 | 0x8 | 0x4; // STORAGE | COPY_DST | COPY_SRC
export const UNIFORM = 0x40 | 0x8; // UNIFORM | COPY_DST
export const READBACK = 0x1 | 0x8; // MAP_READ | COPY_DST

/** Copies `size` bytes of `src` at `offset` back to the host (one map, for non-hot paths). */
export async function readBack(ctx: GpuContext, src: GPUBuffer, offset: number, size: number): Promise<Uint8Array> {
  const staging = makeBuffer(ctx, 'readback', size, READBACK);
  try {
    const enc = ctx.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, offset, staging, 0, Math.ceil(size / 4) * 4);
    ctx.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Uint8Array(staging.getMappedRange().slice(0, size));
    staging.unmap();
    return out;
  } finally {
    staging.destroy();
  }
}

/** Workgroup grid for `n` invocations of size `wg`: 2-D once x would pass the per-dimension limit. */
export function grid(n: number, wg: number, maxPerDim: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}

/** Writes `data` (any view, SharedArrayBuffer-backed included) in slices, copying through a plain buffer. */
export function uploadBytes(ctx: GpuContext, dst: GPUBuffer, dstOffset: number, data: Uint8Array): void {
  const SLICE = 32 << 20;
  for (let o = 0; o < data.length; o += SLICE) {
    const part = data.subarray(o, Math.min(data.length, o + SLICE));
    // Dawn takes plain ArrayBuffers; a SharedArrayBuffer view is copied (memcpy) first.
    const plain = part.buffer instanceof ArrayBuffer ? part : new Uint8Array(part);
    const padded = plain.length % 4 === 0 ? plain : concatPad(plain);
    ctx.device.queue.writeBuffer(dst, dstOffset + o, padded.buffer as ArrayBuffer, padded.byteOffset, padded.length);
  }
}

function concatPad(x: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(x.length / 4) * 4);
  out.set(x);
  return out;
}
