/**
 * `zg-miner bench ec [--backend auto|cpu|gpu] [--data K --parity M --shard-size S] [--json]`:
 * erasure-coding throughput in GB/s of data (k × shard size per codeword), encode and
 * reconstruct (the first min(m, k) data shards lost). CPU: the wasm SIMD coder on --threads, plus
 * the Rust crate reed-solomon-erasure's wasm build on one thread beside it when that dev
 * dependency is installed. GPU: host memory to host memory through the transfer ring, and the
 * kernel alone with the codewords in VRAM.
 */
import type { Argv, CommandModule } from 'yargs';
import { MinerError, UsageError } from '../../errors.js';
import { checkParams } from '../../ec/reedSolomon.js';
import { benchCodewords, measureEncode, measureReconstruct, measureRustCrate } from '../../erasure/ecBench.js';
import { gitCommit } from '../../buildInfo.js';
import { openCoder, type EcBackend } from '../ecCoder.js';
import type { GpuErasureCoder } from '../../gpu/ecCoder.js';

interface BenchEcArgs {
  backend: EcBackend;
  'gpu-backend': 'vulkan' | 'opengl' | undefined;
  data: number;
  parity: number;
  'shard-size': number;
  codewords: number | undefined;
  threads: number | undefined;
  seconds: number;
  json: boolean;
}

const gb = (x: number): number => Math.round(x / 1e6) / 1e3;

export const benchEcCommand: CommandModule<object, BenchEcArgs> = {
  command: 'ec',
  describe: 'Erasure-coding throughput (Reed-Solomon encode and reconstruct, GB/s of data)',
  builder: (y: Argv) =>
    y
      .option('backend', { choices: ['auto', 'cpu', 'gpu'] as const, default: 'auto' as const, describe: 'auto = a hardware GPU when there is one, else the CPU' })
      .option('gpu-backend', { choices: ['vulkan', 'opengl'] as const, describe: 'force a WebGPU backend' })
      .option('data', { type: 'number', default: 10, describe: 'data shards k' })
      .option('parity', { type: 'number', default: 4, describe: 'parity shards m' })
      .option('shard-size', { type: 'number', default: 1 << 20, describe: 'bytes per shard' })
      .option('codewords', { type: 'number', describe: 'codewords per call (default: about 64 MiB of data, 256 MiB on a hardware GPU)' })
      .option('threads', { type: 'number', describe: 'CPU worker threads (default: all cores)' })
      .option('seconds', { type: 'number', default: 3, describe: 'measuring time per figure' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line' }) as unknown as Argv<BenchEcArgs>,
  handler: async (args) => {
    const p = { k: args.data, m: args.parity };
    checkParams(p);
    const S = args['shard-size'];
    if (!Number.isSafeInteger(S) || S < 1) throw new UsageError(`--shard-size must be a positive integer (got ${S})`);
    if (!(args.seconds > 0)) throw new UsageError('--seconds must be positive');
    const log = (line: string): void => void (args.json ? process.stderr : process.stdout).write(line + '\n');
    const coder = await openCoder({ backend: args.backend, threads: args.threads, gpuBackend: args['gpu-backend'] });
    try {
      // GPU: enough data per call to keep the transfer ring's slots busy (a call drains the ring at its end).
      const hardwareGpu = coder.info.kind === 'gpu' && !(await import('../../gpu/device.js')).isSoftwareAdapter(coder.info.device);
      const dataPerCall = hardwareGpu ? 256 << 20 : 64 << 20;
      const count = args.codewords ?? Math.max(1, Math.min(256, Math.round(dataPerCall / (p.k * S))));
      if (!Number.isInteger(count) || count < 1) throw new UsageError(`--codewords must be a positive integer (got ${count})`);
      log(`bench ec ${p.k}+${p.m}, shard ${S} bytes, ${count} codewords per call on ${coder.info.kind} (${coder.info.device})...`);
      const codewords = benchCodewords(p, S, count);
      const enc = await measureEncode(coder, p, codewords, args.seconds);
      const rec = await measureReconstruct(coder, p, codewords, args.seconds);
      const out: Record<string, unknown> = {
        bench: 'ec',
        backend: coder.info.kind,
        device: coder.info.device,
        k: p.k,
        m: p.m,
        shardSize: S,
        codewordsPerCall: count,
        encodeGBps: gb(enc.bytesPerSecond),
        reconstructGBps: gb(rec.bytesPerSecond),
        // Fastest single call: what a shared machine's preemption did not take.
        bestEncodeGBps: gb(enc.bestBytesPerSecond),
        bestReconstructGBps: gb(rec.bestBytesPerSecond),
      };
      if (coder.info.kind === 'cpu') {
        out['threads'] = coder.info.threads;
        out['encodeGBpsPerThread'] = gb(enc.bytesPerSecond / coder.info.threads);
        out['bestEncodeGBpsPerThread'] = gb(enc.bestBytesPerSecond / coder.info.threads);
        // The Rust crate (one thread) in the same run, same shape: the yardstick of issue #8.
        const crate = await measureRustCrate(p, S, args.seconds);
        const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
        out['rustCrateEncodeGBps'] = crate === null ? null : gb(crate.bytesPerSecond);
        out['bestRustCrateEncodeGBps'] = crate === null ? null : gb(crate.bestBytesPerSecond);
        out['speedupPerThreadVsRustCrate'] = crate === null ? null : ratio(enc.bytesPerSecond / coder.info.threads, crate.bytesPerSecond);
        out['bestSpeedupPerThreadVsRustCrate'] = crate === null ? null : ratio(enc.bestBytesPerSecond / coder.info.threads, crate.bestBytesPerSecond);
      } else {
        const g = coder as GpuErasureCoder;
        const vram = await g.residentThroughput(p, S, args.seconds);
        out['path'] = 'host-to-host (encode/reconstructGBps) and VRAM (vram*)';
        out['vramEncodeGBps'] = gb(vram.encodeBytesPerSecond);
        out['vramReconstructGBps'] = gb(vram.reconstructBytesPerSecond);
        out['vramCodewords'] = vram.stripes;
        out['ringSlots'] = g.ring.slots;
        out['ringSlotBytes'] = g.ring.slotBytes;
      }
      out['node'] = process.version;
      out['commit'] = gitCommit();
      if (args.json) process.stdout.write(JSON.stringify(out) + '\n');
      else for (const [key, v] of Object.entries(out)) log(`  ${key}: ${v}`);
    } catch (e) {
      if (e instanceof RangeError) throw new MinerError('BAD_INPUT', `bench ec: ${e.message}`);
      throw e;
    } finally {
      await coder.dispose();
    }
  },
};
