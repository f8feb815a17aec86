/**
 * `zg-miner bench seal [--backend auto|cpu|gpu] [--seconds S] [--seals N] [--json]`: batch sealing
 * throughput. GPU: the seal kernel over seals already in GPU memory (`sealBytesPerSecond`), plus
 * the host round trip through `seal()` (`hostSealBytesPerSecond`: upload + kernel + read back).
 * CPU: the CPU backend's `seal()` (what the sealer calls when there is no GPU).
 */
import type { CommandModule } from 'yargs';
import { BYTES_PER_SEAL } from '../../spec.js';
import { MinerError } from '../../errors.js';
import { createBackend } from '../backendFactory.js';
import type { PoraBackend, SealInput } from '../../backend/backend.js';
import { hasGpuAdapter, isSoftwareAdapter } from '../../gpu/device.js';
import { createGpuBackend } from '../../gpu/gpuBackend.js';

interface BenchSealArgs {
  backend: 'auto' | 'cpu' | 'gpu';
  'gpu-backend': 'vulkan' | 'opengl' | undefined;
  seconds: number;
  seals: number | undefined;
  json: boolean;
}

function inputs(n: number): SealInput[] {
  return Array.from({ length: n }, (_, i) => ({
    minerId: new Uint8Array(32).fill(1),
    sealContextDigest: new Uint8Array(32).fill(2),
    startSector: BigInt(i) * 16n,
    data: new Uint8Array(BYTES_PER_SEAL).fill(i & 0xff),
  }));
}

/** Seals batches of `batch` through `backend.seal()` for about `seconds`. */
async function hostRate(backend: PoraBackend, batch: number, seconds: number): Promise<{ bytes: number; seconds: number }> {
  const xs = inputs(batch);
  let bytes = 0;
  const t0 = performance.now();
  do {
    await backend.seal(xs, 'seal');
    bytes += batch * BYTES_PER_SEAL;
  } while (performance.now() - t0 < seconds * 1000);
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

export const benchSealCommand: CommandModule<object, BenchSealArgs> = {
  command: 'seal',
  describe: 'Batch sealing throughput (sealBytesPerSecond)',
  builder: (y) =>
    y
      .option('backend', { choices: ['auto', 'cpu', 'gpu'] as const, default: 'auto' as const, describe: 'auto = GPU when an adapter exists' })
      .option('gpu-backend', { choices: ['vulkan', 'opengl'] as const, describe: 'force a WebGPU backend' })
      .option('seconds', { type: 'number', default: 5, describe: 'measuring time' })
      .option('seals', { type: 'number', describe: 'seals per GPU dispatch (default 262144 on a GPU, 256 on the CPU)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
  handler: async (args) => {
    if (!(args.seconds > 0)) throw new MinerError('BAD_INPUT', '--seconds must be positive');
    const gpuOpts = args['gpu-backend'] ? { gpuBackend: args['gpu-backend'] } : {};
    const useGpu = args.backend === 'gpu' || (args.backend === 'auto' && (await hasGpuAdapter(gpuOpts)));
    let out: Record<string, unknown>;
    if (useGpu) {
      const gpu = await createGpuBackend(gpuOpts);
      try {
        const info = gpu.gpuInfo();
        const seals = args.seals ?? (isSoftwareAdapter(info.adapter) ? 2048 : 262144);
        const r = await gpu.sealThroughput(seals, args.seconds);
        const host = await hostRate(gpu, Math.min(seals, 16384), Math.min(args.seconds, 2));
        out = {
          backend: 'gpu',
          device: gpu.info.device,
          sealBytesPerSecond: r.sealBytesPerSecond,
          seals: r.seals,
          seconds: r.seconds,
          hostSealBytesPerSecond: host.bytes / host.seconds,
          keccakLayout: info.keccakLayout,
        };
      } finally {
        await gpu.dispose();
      }
    } else {
      // The CPU backend the miner's sealer uses (`backend.seal`).
      const cpu = await createBackend({ backend: 'cpu', threads: 1 });
      try {
        const r = await hostRate(cpu, args.seals ?? 256, args.seconds);
        out = { backend: 'cpu', device: cpu.info.device, sealBytesPerSecond: r.bytes / r.seconds, seals: r.bytes / BYTES_PER_SEAL, seconds: r.seconds };
      } finally {
        await cpu.dispose();
      }
    }
    if (args.json) process.stdout.write(JSON.stringify(out) + '\n');
    else process.stdout.write(`seal (${out['backend']}, ${out['device']}): ${((out['sealBytesPerSecond'] as number) / 1e9).toFixed(3)} GB/s\n`);
  },
};
