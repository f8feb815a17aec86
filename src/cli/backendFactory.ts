/**
 * Picks the PoraBackend for `--backend auto|cpu|gpu`. It lives in cli/ (the composition root)
 * because it is the one place that knows both implementations: backend/ stays free of gpu/.
 * The CPU backend is always available; the GPU branch imports gpu/ lazily.
 */
import { MinerError, UsageError } from '../errors.js';
import { createCpuBackend } from '../backend/cpuBackend.js';
import type { CpuBackendOptions } from '../backend/cpuBackend.js';
import type { BackendInfo, PoraBackend } from '../backend/backend.js';
import { createFailoverBackend } from '../backend/failover.js';
// Type-only: erased at build, so CPU-only runs never load Dawn.
import type { GpuBackendOptions } from '../gpu/gpuBackend.js';

export const BACKEND_CHOICES = ['auto', 'cpu', 'gpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The GPU backend options the command line sets (`--devices`, `--gpu-backend`, `--batch`). */
export type GpuOptions = Pick<GpuBackendOptions, 'devices' | 'gpuBackend' | 'batch'>;

export interface BackendOptions {
  backend: BackendChoice;
  /** CPU worker threads (default os.availableParallelism()). */
  threads?: number;
  /** CPU duty cycle, 1–100. */
  cpuPercentage?: number;
  /** Options for the GPU backend that the command line can set. */
  gpu?: GpuOptions;
  /** Where `auto` says which backend it chose and why (default: stderr). */
  log?: (line: string) => void;
}

/**
 * @throws {UsageError} for an unknown backend name; {MinerError} GPU_UNAVAILABLE for `gpu`
 * without a usable adapter, BAD_CONFIG for bad CPU options.
 */
export async function createBackend(opts: BackendOptions): Promise<PoraBackend> {
  switch (opts.backend) {
    case 'cpu':
      return createCpuBackend(cpuOptions(opts));
    case 'auto':
      return (await autoGpuBackend(opts)) ?? createCpuBackend(cpuOptions(opts));
    case 'gpu':
      return createGpuBackend(opts);
    default:
      throw new UsageError(`unknown backend "${String(opts.backend)}": use one of ${BACKEND_CHOICES.join(', ')}`);
  }
}

function cpuOptions(opts: BackendOptions): CpuBackendOptions {
  const out: CpuBackendOptions = {};
  if (opts.threads !== undefined) out.threads = opts.threads;
  if (opts.cpuPercentage !== undefined) out.cpuPercentage = opts.cpuPercentage;
  return out;
}

function gpuOptions(opts: BackendOptions): GpuBackendOptions {
  return { ...(opts.gpu ?? {}), ...(opts.threads !== undefined ? { threads: opts.threads } : {}) };
}

/**
 * The GPU branch. The WebGPU module is imported lazily so CPU-only runs never load Dawn.
 * @throws {MinerError} GPU_UNAVAILABLE when no adapter exists; GPU_VALIDATION when the
 * known-answer self-check fails.
 */
async function createGpuBackend(opts: BackendOptions): Promise<PoraBackend> {
  const gpu = await import('../gpu/gpuBackend.js');
  return gpu.createGpuBackend(gpuOptions(opts));
}

/**
 * `auto`: the GPU when a hardware adapter exists and passes its self-check, else null (CPU).
 * A software adapter is skipped here (it is far slower than the CPU backend); `--backend gpu`
 * still uses it, which is how CI exercises the kernels.
 */
async function autoGpuBackend(opts: BackendOptions): Promise<PoraBackend | null> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const device = await import('../gpu/device.js');
  const forced = opts.gpu?.gpuBackend;
  const { hardware, software } = await device.hardwareAdapters(forced !== undefined ? { gpuBackend: forced } : {});
  if (hardware.length === 0) {
    if (software.length > 0) log(`backend auto: only a software GPU (${software[0]!.description}); mining on the CPU (--backend gpu forces it)`);
    return null;
  }
  try {
    // Open the hardware adapter's own backend, not whichever Dawn ranks first.
    return await createGpuBackend({ ...opts, gpu: { ...(opts.gpu ?? {}), gpuBackend: hardware[0]!.backend } });
  } catch (e) {
    if (!(e instanceof MinerError)) throw e;
    log(`backend auto: GPU unusable (${e.message}); mining on the CPU`);
    return null;
  }
}

export interface MiningBackendOptions extends BackendOptions {
  /** Where a lost GPU, its retries and its return are logged. */
  events: { info(line: string): void; warn(line: string): void };
  /** Called with the backend in use after each switch (zg_miner_info). */
  onSwitch?: (info: BackendInfo) => void;
  /** GPU retry backoff (tests shorten it). */
  retryMs?: { first: number; max: number };
}

/**
 * The backend `mine` runs on: `createBackend`, and when that gives a GPU, the GPU behind a
 * failover (backend/failover.ts) that mines on the CPU while the GPU is lost and retries the GPU
 * with backoff. The retry reopens the same kind of adapter the first open chose: for `auto` a
 * hardware adapter only, never a software one.
 */
export async function createMiningBackend(opts: MiningBackendOptions): Promise<PoraBackend> {
  const first = await createBackend(opts);
  if (first.info.kind !== 'gpu') return first;
  const reopen = async (): Promise<PoraBackend> => {
    if (opts.backend !== 'auto') return createGpuBackend(opts);
    const gpu = await autoGpuBackend({ ...opts, log: () => {} });
    if (gpu === null) throw new MinerError('GPU_UNAVAILABLE', 'no usable hardware GPU adapter');
    return gpu;
  };
  return createFailoverBackend({
    primary: first,
    reopenPrimary: reopen,
    openFallback: async () => createCpuBackend(cpuOptions(opts)),
    log: opts.events,
    ...(opts.onSwitch ? { onSwitch: opts.onSwitch } : {}),
    ...(opts.retryMs ? { retryMs: opts.retryMs } : {}),
  });
}
