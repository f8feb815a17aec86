/**
 * The default range of the GPU hashrate bench: every recalled load held and resident in GPU
 * memory. WebGPU exposes no device-memory size, only per-buffer limits, so the helper takes 8 GiB
 * (32768 loads, the floor for a real GPU: sealed data of one pricing chunk) on a hardware
 * adapter and 64 MiB on a software rasteriser (CI). Either way the range is split into bindings of
 * at most maxStorageBufferBindingSize, so it only has to fit in the device's memory, which
 * every GPU with >= 16 GiB does alongside the pad buffers (16 KiB per nonce in flight).
 */
import { BYTES_PER_LOAD } from '../spec.js';
import { isSoftwareAdapter } from './device.js';

export interface BenchRange {
  loads: number;
  bytes: number;
  /** Bindings the range is split into. */
  bindings: number;
}

export function defaultBenchRange(info: { adapter: string; loadsPerBinding: number }, gib?: number): BenchRange {
  const software = isSoftwareAdapter(info.adapter);
  const bytes = gib !== undefined ? Math.round(gib * 2 ** 30) : software ? 64 << 20 : 8 * 2 ** 30;
  const loads = Math.max(1, Math.floor(bytes / BYTES_PER_LOAD));
  return { loads, bytes: loads * BYTES_PER_LOAD, bindings: Math.ceil(loads / Math.max(1, info.loadsPerBinding)) };
}
