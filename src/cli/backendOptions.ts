/**
 * The backend flags every hashing command shares. `--backend auto|cpu|gpu` means the same
 * everywhere: auto = GPU when an adapter exists, else CPU; `--gpu` = `--backend gpu`, which fails
 * with a one-line error when there is no adapter.
 */
import type { Argv } from 'yargs';
import type { PoraBackend } from '../backend/backend.js';
import { createBackend, type GpuOptions } from './backendFactory.js';
import { UsageError } from '../errors.js';
import { checkThreads } from './inputLimits.js';

export interface BackendArgs {
  backend: 'auto' | 'cpu' | 'gpu';
  gpu: boolean | undefined;
  threads: number | undefined;
  devices: string | undefined;
  'gpu-backend': 'vulkan' | 'opengl' | undefined;
  batch: number | undefined;
}

export function backendOptions<T>(y: Argv<T>): Argv<T & BackendArgs> {
  return y
    .option('backend', {
      choices: ['auto', 'cpu', 'gpu'] as const,
      default: 'auto' as const,
      describe: 'auto = GPU when an adapter exists, else CPU',
    })
    .option('gpu', { type: 'boolean', describe: 'same as --backend gpu' })
    .option('threads', { type: 'number', describe: 'CPU worker threads (default: all cores)' })
    .option('devices', { type: 'string', describe: 'GPU device indexes to use, comma-separated (see zg-miner devices)' })
    .option('gpu-backend', { choices: ['vulkan', 'opengl'] as const, describe: 'force a WebGPU backend (default: Vulkan, then OpenGL)' })
    .option('batch', { type: 'number', describe: 'GPU nonces per dispatch' }) as unknown as Argv<T & BackendArgs>;
}

export function backendKind(args: Pick<BackendArgs, 'backend' | 'gpu'>): 'auto' | 'cpu' | 'gpu' {
  return args.gpu ? 'gpu' : args.backend;
}

/** The CPU thread count and GPU options the flags ask for. */
export function backendTuning(args: BackendArgs): { threads: number | undefined; gpu: GpuOptions } {
  const gpu: GpuOptions = {};
  if (args.devices !== undefined) {
    const devices = args.devices.split(',').map((d) => Number(d.trim()));
    if (devices.some((d) => !Number.isInteger(d) || d < 0)) throw new UsageError(`--devices: expected comma-separated device indexes (zg-miner devices lists them), got "${args.devices}"`);
    gpu.devices = devices;
  }
  if (args['gpu-backend'] !== undefined) gpu.gpuBackend = args['gpu-backend'];
  if (args.batch !== undefined) gpu.batch = args.batch;
  checkThreads(args.threads);
  return { threads: args.threads, gpu };
}

export async function openBackend(args: BackendArgs, extra: { cpuPercentage?: number } = {}): Promise<PoraBackend> {
  const { gpu } = backendTuning(args);
  return createBackend({
    backend: backendKind(args),
    ...(args.threads !== undefined ? { threads: args.threads } : {}),
    ...(extra.cpuPercentage !== undefined ? { cpuPercentage: extra.cpuPercentage } : {}),
    gpu,
  });
}
