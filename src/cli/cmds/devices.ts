/**
 * `zg-miner devices [--gpu-backend vulkan|opengl] [--json]`: the WebGPU adapters this process can
 * reach, with backend, limits and features (the `--list-devices` of GPU miners). Exit 1 when
 * there is none.
 */
import type { CommandModule } from 'yargs';
import { listGpuAdapters, type AdapterReport } from '../../gpu/device.js';

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

export const devicesCommand: CommandModule<object, DevicesArgs> = {
  command: 'devices',
  describe: 'List GPU (WebGPU) adapters: backend, limits, features',
  builder: (y) =>
    y
      .option('gpu-backend', { choices: ['vulkan', 'opengl'] as const, describe: 'only this WebGPU backend (default: Vulkan, then OpenGL)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
  handler: async (args) => {
    const list = await listGpuAdapters(args['gpu-backend'] ? { gpuBackend: args['gpu-backend'] } : {});
    if (args.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    else if (list.length > 0) process.stdout.write(text(list) + '\n');
    if (list.length === 0) {
      if (!args.json)
        process.stdout.write('no WebGPU adapter: install the GPU driver and the Vulkan loader (libvulkan1); mining uses the CPU backend\n');
      process.exitCode = 1;
    }
  },
};
