/**
 * GPU adapter and device acquisition through Dawn (npm `webgpu`), as `shared/gpu-ci.md` measured:
 * Vulkan first (a real GPU, or Mesa lavapipe >= 25 from bookworm-backports), then Dawn's OpenGL
 * backend at the compatibility feature level (stock Mesa llvmpipe, needs EGL_PLATFORM=surfaceless).
 *
 * The object `create()` returns must stay reachable while any device made from it lives, or Dawn
 * frees the instance and the process crashes at random (gpu-ci.md pitfall 1). `GpuContext` holds
 * it for the device's lifetime and `releaseGpu` drops it only after `device.destroy()`.
 *
 * Several GPUs: WebGPU hands out one adapter per `requestAdapter()` call and has no enumeration.
 * Dawn-node's `adapter=<name>` create() flag picks the first adapter whose name matches, which
 * separates different models but not identical boards (8 × H100 share one name). Within one
 * process this Dawn build (0.6.2) can therefore address one adapter per distinct name; identical
 * GPUs need one process (worker) per device with the Vulkan loader restricted to that device
 * (e.g. the NVIDIA driver's per-process device visibility), which is outside this module. So
 * `devices: [0]` (default) is the adapter Dawn ranks first; `devices` naming any other index is
 * refused with a clear error instead of silently mining on the same GPU twice.
 */
import { create, globals } from 'webgpu';
import { MinerError } from '../errors.js';
import { captureStderr } from '../log/stderrCapture.js';

Object.assign(globalThis, globals);

export type GpuBackendName = 'vulkan' | 'opengl';

export interface GpuAcquireOptions {
  gpuBackend?: GpuBackendName;
  /** Dawn `adapter=<name>` filter (substring of the adapter name). */
  adapterName?: string;
  /**
   * Turns off Dawn's bounds clamping of buffer and array accesses (toggle disable_robustness).
   * The kernels index in bounds by construction. Measured on an H100: under 1% faster, so off.
   */
  disableRobustness?: boolean;
}

export interface GpuContext {
  /** The `create()` object: kept referenced for as long as `device` is used. */
  readonly instance: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly backend: GpuBackendName;
  readonly description: string;
  readonly limits: Record<string, number>;
  readonly features: string[];
  /** Set when the device is lost or destroyed. */
  lost: string | null;
}

/** Limits we need above the WebGPU defaults, requested explicitly up to the adapter's maximum. */
export const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Every process-wide instance stays here until its device is released (pitfall 1). */
const liveInstances = new Set<GPU>();

function flagsFor(backend: GpuBackendName, opts: GpuAcquireOptions): string[] {
  const flags = backend === 'opengl' ? ['backend=opengl'] : ['backend=vulkan'];
  if (opts.adapterName !== undefined) flags.push(`adapter=${opts.adapterName}`);
  if (opts.disableRobustness) flags.push('enable-dawn-features=allow_unsafe_apis,disable_robustness');
  return flags;
}

/**
 * Dawn writes limit notices ("maxDynamic… artificially reduced") and backend discovery warnings
 * straight to stderr when it opens an instance, adapter or device; they go to --log-level debug.
 */
function tryAdapter(backend: GpuBackendName, opts: GpuAcquireOptions): Promise<{ instance: GPU; adapter: GPUAdapter } | null> {
  return captureStderr(() => openAdapter(backend, opts));
}

async function openAdapter(backend: GpuBackendName, opts: GpuAcquireOptions): Promise<{ instance: GPU; adapter: GPUAdapter } | null> {
  if (backend === 'opengl') process.env.EGL_PLATFORM ??= 'surfaceless';
  let instance: GPU;
  try {
    instance = create(flagsFor(backend, opts));
  } catch {
    return null;
  }
  liveInstances.add(instance);
  let adapter: GPUAdapter | null = null;
  try {
    adapter =
      backend === 'opengl'
        ? await instance.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions)
        : await instance.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) {
    liveInstances.delete(instance);
    return null;
  }
  return { instance, adapter };
}

/** Finds an executing adapter: the forced backend, or Vulkan then OpenGL compat. */
export async function findAdapter(
  opts: GpuAcquireOptions = {}
): Promise<{ instance: GPU; adapter: GPUAdapter; backend: GpuBackendName } | null> {
  const order: GpuBackendName[] = opts.gpuBackend ? [opts.gpuBackend] : ['vulkan', 'opengl'];
  for (const backend of order) {
    const got = await tryAdapter(backend, opts);
    if (got) return { ...got, backend };
  }
  return null;
}

export function describeAdapter(adapter: GPUAdapter): string {
  const i = adapter.info;
  const parts = [i.description || i.device || 'unknown adapter', i.vendor, i.architecture].filter((x) => x);
  return parts.join(' / ');
}

/** A plain copy of a GPUSupportedLimits object (its fields are prototype getters). */
export function limitsRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  const lim = limits as unknown as Record<string, unknown>;
  for (const k in lim) {
    const v = lim[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/**
 * Acquires an adapter and a device with explicit limits. Throws MinerError('GPU_UNAVAILABLE')
 * when no adapter executes compute shaders here.
 */
export async function acquireGpu(opts: GpuAcquireOptions = {}): Promise<GpuContext> {
  const found = await findAdapter(opts);
  if (!found) {
    throw new MinerError(
      'GPU_UNAVAILABLE',
      `no WebGPU adapter (${opts.gpuBackend ?? 'vulkan, opengl'}): install the GPU driver and the Vulkan loader (libvulkan1), or use --backend cpu`
    );
  }
  const { instance, adapter, backend } = found;
  const limits = limitsRecord(adapter.limits);
  const requiredLimits: Record<string, number> = {};
  for (const k of REQUESTED_LIMITS) {
    const v = limits[k];
    if (v !== undefined) requiredLimits[k] = v;
  }
  const features: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) features.push('timestamp-query');
  let device: GPUDevice;
  try {
    device = await captureStderr(() => adapter.requestDevice({ requiredLimits, requiredFeatures: features }));
  } catch (e) {
    liveInstances.delete(instance);
    throw new MinerError('GPU_UNAVAILABLE', `requestDevice failed: ${(e as Error).message}`, { cause: e });
  }
  const ctx: GpuContext = {
    instance,
    adapter,
    device,
    backend,
    description: describeAdapter(adapter),
    limits: limitsRecord(device.limits),
    features: [...adapter.features].map(String).sort(),
    lost: null,
  };
  void device.lost.then((info) => {
    ctx.lost = info.message || String(info.reason);
  });
  return ctx;
}

/** Acquires a device for `build`; when `build` throws, the device is released before the error goes on. */
export async function withNewGpu<T>(opts: GpuAcquireOptions, build: (ctx: GpuContext) => Promise<T>): Promise<T> {
  const ctx = await acquireGpu(opts);
  try {
    return await build(ctx);
  } catch (e) {
    releaseGpu(ctx);
    throw e;
  }
}

/** Destroys the device, then lets the instance go (in that order: gpu-ci.md pitfalls 1 and 5). */
export function releaseGpu(ctx: GpuContext): void {
  ctx.device.destroy();
  liveInstances.delete(ctx.instance);
}

export interface AdapterReport {
  backend: GpuBackendName;
  description: string;
  vendor: string;
  architecture: string;
  device: string;
  coreFeatureLevel: boolean;
  features: string[];
  limits: Record<string, number>;
}

/** Every adapter this process can reach (one per backend: WebGPU has no enumeration API). */
export async function listGpuAdapters(opts: GpuAcquireOptions = {}): Promise<AdapterReport[]> {
  const out: AdapterReport[] = [];
  const order: GpuBackendName[] = opts.gpuBackend ? [opts.gpuBackend] : ['vulkan', 'opengl'];
  for (const backend of order) {
    const got = await tryAdapter(backend, opts);
    if (!got) continue;
    const a = got.adapter;
    out.push({
      backend,
      description: describeAdapter(a),
      vendor: a.info.vendor,
      architecture: a.info.architecture,
      device: a.info.device,
      coreFeatureLevel: a.features.has('core-features-and-limits' as GPUFeatureName),
      features: [...a.features].map(String).sort(),
      limits: limitsRecord(a.limits),
    });
    liveInstances.delete(got.instance);
  }
  return out;
}

/**
 * A software rasteriser (Mesa llvmpipe/lavapipe, SwiftShader): a GPU to WebGPU but far slower
 * than the CPU backend, so `--backend auto` skips it and benches size themselves down for it.
 * Any of the adapter's strings may carry the hint (Dawn's GL adapter names only its device).
 */
export function isSoftwareAdapter(...names: (string | undefined)[]): boolean {
  return names.some((n) => n !== undefined && /llvmpipe|lavapipe|swiftshader|software/i.test(n));
}

/**
 * The adapters `--backend auto` may use: every reachable adapter that is not a software
 * rasteriser, best first (Dawn's order: Vulkan, then OpenGL).
 */
export async function hardwareAdapters(opts: GpuAcquireOptions = {}): Promise<{ hardware: AdapterReport[]; software: AdapterReport[] }> {
  const all = await listGpuAdapters(opts);
  const soft = (a: AdapterReport): boolean => isSoftwareAdapter(a.description, a.device, a.architecture);
  return { hardware: all.filter((a) => !soft(a)), software: all.filter(soft) };
}

export async function hasGpuAdapter(opts: GpuAcquireOptions = {}): Promise<boolean> {
  const got = await findAdapter(opts);
  if (!got) return false;
  liveInstances.delete(got.instance);
  return true;
}

/**
 * Runs `fn` inside validation + out-of-memory error scopes; any error becomes
 * MinerError('GPU_VALIDATION'), a lost device MinerError('GPU_DEVICE_LOST').
 */
export async function withErrorScope<T>(ctx: GpuContext, what: string, fn: () => Promise<T> | T): Promise<T> {
  if (ctx.lost !== null) throw new MinerError('GPU_DEVICE_LOST', `GPU device lost: ${ctx.lost}`);
  ctx.device.pushErrorScope('out-of-memory');
  ctx.device.pushErrorScope('validation');
  let result: T;
  let thrown: unknown = null;
  try {
    result = await fn();
  } catch (e) {
    thrown = e;
  }
  let validation: GPUError | null = null;
  let oom: GPUError | null = null;
  try {
    validation = await ctx.device.popErrorScope();
    oom = await ctx.device.popErrorScope();
  } catch {
    // popErrorScope rejects once the device is gone; the lost check below reports it.
  }
  if (thrown !== null && ctx.lost === null) {
    // A failed map or submit is often the first sign of a lost device: give `lost` a moment.
    await Promise.race([ctx.device.lost, new Promise((r) => setTimeout(r, 100))]);
  }
  if (ctx.lost !== null) throw new MinerError('GPU_DEVICE_LOST', `GPU device lost during ${what}: ${ctx.lost}; continue with --backend cpu`);
  if (validation) throw new MinerError('GPU_VALIDATION', `GPU validation error in ${what}: ${oneLine(validation.message)}`);
  if (oom) throw new MinerError('GPU_VALIDATION', `GPU out of memory in ${what}: ${oneLine(oom.message)}`);
  if (thrown !== null) throw thrown;
  return result!;
}

function oneLine(s: string): string {
  return s.split('\n').map((x) => x.trim()).filter((x) => x).join(' | ').slice(0, 500);
}
