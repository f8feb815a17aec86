/**
 * Opens the ErasureCoder that `--backend` names for the ec commands: `cpu` (wasm SIMD worker
 * pool), `gpu` (WGSL kernels; a one-line error without an adapter) or `auto` (the GPU when a
 * hardware adapter exists, else the CPU; software GPUs are skipped as for mining).
 */
import type { ErasureCoder } from '../ec/coder.js';
import { createCpuCoder } from '../erasure/cpuCoder.js';
import { checkThreads } from './inputLimits.js';

export type EcBackend = 'auto' | 'cpu' | 'gpu';

export interface EcCoderOptions {
  backend: EcBackend;
  threads?: number | undefined;
  gpuBackend?: 'vulkan' | 'opengl' | undefined;
}

export async function openCoder(opts: EcCoderOptions): Promise<ErasureCoder> {
  checkThreads(opts.threads);
  const cpu = (): Promise<ErasureCoder> => createCpuCoder(opts.threads !== undefined ? { threads: opts.threads } : {});
  if (opts.backend === 'cpu') return cpu();
  const gpuOpts = opts.gpuBackend !== undefined ? { gpuBackend: opts.gpuBackend } : {};
  const { createGpuCoder } = await import('../gpu/ecCoder.js');
  if (opts.backend === 'gpu') return createGpuCoder(gpuOpts);
  const { listGpuAdapters, isSoftwareAdapter } = await import('../gpu/device.js');
  const hardware = (await listGpuAdapters(gpuOpts)).filter((a) => !isSoftwareAdapter(a.description, a.device, a.architecture));
  if (hardware.length === 0) return cpu();
  return createGpuCoder({ gpuBackend: hardware[0]!.backend });
}
