/**
 * Picks the PoraBackend for `--backend auto|cpu|gpu`. The CPU backend is always available; the
 * GPU branch is one small function (createGpuBackend) that the WebGPU backend plugs into.
 */
import { MinerError, UsageError } from '../errors.js';
import { createCpuBackend } from './cpuBackend.js';
import type { CpuBackendOptions } from './cpuBackend.js';
import type { PoraBackend } from './backend.js';

export const BACKEND_CHOICES = ['auto', 'cpu', 'gpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendOptions {
  backend: BackendChoice;
  /** CPU worker threads (default os.availableParallelism()). */
  threads?: number;
  /** CPU duty cycle, 1–100. */
  cpuPercentage?: number;
  /** Options for the GPU backend (adapter choice, batch size...), passed through as given. */
  gpu?: Record<string, unknown>;
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
      // auto = the GPU when one is usable, else the CPU; no GPU backend is built in yet
      return createCpuBackend(cpuOptions(opts));
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

/** The GPU branch. The WebGPU backend (src/gpu/) is wired in here; until then there is no adapter. */
async function createGpuBackend(_opts: BackendOptions): Promise<PoraBackend> {
  throw new MinerError('GPU_UNAVAILABLE', 'no GPU adapter found (this build has no GPU backend); use --backend cpu');
}
