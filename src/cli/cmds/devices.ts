/**
 * `zg-miner devices [--gpu-backend vulkan|opengl] [--json]` (also `zg-miner --list-devices`): the
 * WebGPU adapters this process can reach, with backend, limits and features, and what nvidia-smi
 * says about each NVIDIA GPU (PCI bus id, memory, temperature, power, fan, clocks) where it
 * exists. Exit 1 when there is no WebGPU adapter.
 */
import type { CommandModule } from 'yargs';
import { listGpuAdapters, type AdapterReport } from '../../gpu/device.js';
import { formatReading, queryGpus, type GpuReading } from '../../health/nvidiaSmi.js';

interface DevicesArgs {
  'gpu-backend': 'vulkan' | 'opengl' | undefined;
  json: boolean;
}

/** The limits that matter for mining, in the order `devices` prints them. */
const SHOWN_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
];

function text(list: AdapterReport[]): string {
  return list
    .map((a, i) => {
      const lines = [
        `adapter ${i}: ${a.description}`,
        `  backend: ${a.backend}${a.coreFeatureLevel ? '' : ' (compatibility feature level)'}`,
        ...SHOWN_LIMITS.map((k) => `  ${k}: ${a.limits[k] ?? 'n/a'}`),
        `  timestamp-query: ${a.features.includes('timestamp-query') ? 'yes' : 'no'}`,
        `  features: ${a.features.join(', ')}`,
      ];
      return lines.join('\n');
    })
    .join('\n');
}

function smiText(gpus: GpuReading[]): string {
  return gpus
    .map((g) => {
      const mem = g.memoryTotalMiB !== null ? `${(g.memoryTotalMiB / 1024).toFixed(1)} GiB` : 'memory n/a';
      return `nvidia-smi gpu ${g.index}: ${g.name}\n  pci bus id: ${g.pciBusId}\n  memory: ${mem}\n  now: ${formatReading(g) || 'no readings'}`;
    })
    .join('\n');
}

export const devicesCommand: CommandModule<object, DevicesArgs> = {
  command: 'devices',
  describe: 'List GPU (WebGPU) adapters: backend, limits, features',
  builder: (y) =>
    y
      .option('gpu-backend', { choices: ['vulkan', 'opengl'] as const, describe: 'only this WebGPU backend (default: Vulkan, then OpenGL)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
  handler: async (args) => {
    const list = await listGpuAdapters(args['gpu-backend'] ? { gpuBackend: args['gpu-backend'] } : {});
    const smi = await queryGpus();
    // null: no nvidia-smi here (not an error); a failing nvidia-smi says why in `nvidiaSmiError`.
    const gpus = smi.ok ? smi.gpus : null;
    if (args.json) {
      process.stdout.write(JSON.stringify({ adapters: list, nvidiaSmi: gpus, ...(!smi.ok && !smi.missing ? { nvidiaSmiError: smi.error } : {}) }, null, 2) + '\n');
    } else {
      if (list.length > 0) process.stdout.write(text(list) + '\n');
      if (gpus !== null && gpus.length > 0) process.stdout.write(smiText(gpus) + '\n');
      if (!smi.ok && !smi.missing) process.stdout.write(`(${smi.error})\n`);
    }
    if (list.length === 0) {
      if (!args.json)
        process.stdout.write(
          gpus !== null && gpus.length > 0
            ? `no WebGPU adapter although nvidia-smi sees ${gpus.length} GPU(s): install the Vulkan loader (libvulkan1) and, in a container, set NVIDIA_DRIVER_CAPABILITIES to include graphics; mining uses the CPU backend\n`
            : 'no WebGPU adapter: install the GPU driver and the Vulkan loader (libvulkan1); mining uses the CPU backend\n'
        );
      process.exitCode = 1;
    }
  },
};
