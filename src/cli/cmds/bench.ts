/**
 * `zg-miner bench [hashrate]`: end-to-end mining speed of a backend on synthetic sealed data held
 * in shared memory (every seal held, so each nonce hashes all 64 seals; target 0, so nothing
 * hits and no re-check runs). Subcommands for other benches (`bench seal`, `bench loader`) go in
 * BENCH_SUBCOMMANDS; the hashrate bench is the default.
 */
import type { Argv, CommandModule } from 'yargs';
import { SEALS_PER_LOAD } from '../../spec.js';
import { UsageError } from '../../errors.js';
import { backendOptions, openBackend, type BackendArgs } from '../backendOptions.js';
import { checkBenchRangeMiB } from '../inputLimits.js';
import { benchSealCommand } from './benchSeal.js';
import { benchLoaderCommand } from './benchLoader.js';
import { benchSyncCommand } from './benchSync.js';
import { benchEcCommand } from './benchEc.js';
import { benchStoreCommand } from './benchStore.js';
import { benchVerifyCommand } from './benchVerify.js';
import type { PoraBackend } from '../../backend/backend.js';
import { measureHashrate, syntheticResidentSource, type HashrateResult } from '../../backend/hashrate.js';

const MIB = 1 << 20;

interface HashrateArgs extends BackendArgs {
  seconds: number;
  'range-mib': number | undefined;
  json: boolean;
}

/** What a GPU backend adds to the bench JSON (src/gpu/gpuBackend.ts `gpuInfo()`). */
interface GpuBenchInfo {
  gpuInfo(): { adapter: string; batch: number; gpuSeconds: number | null; loadsPerBinding: number };
}

function gpuInfoOf(b: PoraBackend): GpuBenchInfo['gpuInfo'] | null {
  const g = (b as Partial<GpuBenchInfo>).gpuInfo;
  return typeof g === 'function' ? g.bind(b) : null;
}

const hashrateCommand: CommandModule<object, HashrateArgs> = {
  command: ['hashrate', '$0'],
  describe: 'Nonces/s of a backend over synthetic sealed data in memory (the default bench)',
  builder: (y: Argv) =>
    backendOptions(y)
      .option('seconds', { type: 'number', default: 10, describe: 'Measured seconds (after a 1 s warm-up)' })
      .option('range-mib', {
        type: 'number',
        describe: 'Synthetic data held in memory, MiB (default: 1024 on the CPU; on a GPU what fits in device memory, 8 GiB on a real GPU)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object as the last line' }) as unknown as Argv<HashrateArgs>,
  handler: async (args) => {
    if (!(args.seconds > 0)) throw new UsageError(`--seconds must be positive, got ${args.seconds}`);
    if (args['range-mib'] !== undefined) checkBenchRangeMiB(args['range-mib']);
    const log = (line: string): void => {
      (args.json ? process.stderr : process.stdout).write(line + '\n');
    };
    const backend = await openBackend(args);
    try {
      const gpuInfo = gpuInfoOf(backend);
      let rangeMiB = args['range-mib'];
      if (rangeMiB === undefined) {
        if (gpuInfo) {
          const { defaultBenchRange } = await import('../../gpu/benchRange.js');
          rangeMiB = defaultBenchRange(gpuInfo()).bytes / MIB;
        } else rangeMiB = 1024;
      }
      const t0 = performance.now();
      const data = syntheticResidentSource(rangeMiB);
      log(`filled ${rangeMiB} MiB of synthetic sealed data in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      log(`measuring ${backend.info.kind} (${backend.info.device}, ${backend.info.threads} threads) for ${args.seconds} s...`);
      const gpuBefore = gpuInfo?.().gpuSeconds ?? null;
      const r: HashrateResult & Record<string, unknown> = { ...(await measureHashrate(backend, data, { seconds: args.seconds, rangeMiB })) };
      if (gpuInfo) {
        const g = gpuInfo();
        r.adapter = g.adapter;
        r.batch = g.batch;
        // Kernel time over warm-up + measured run, from timestamp queries (null without them).
        r.gpuSeconds = g.gpuSeconds === null || gpuBefore === null ? null : Math.round((g.gpuSeconds - gpuBefore) * 1000) / 1000;
      }
      if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
      else
        log(
          `${r.noncesPerSecond.toFixed(1)} nonces/s, ${Math.round(r.sealHashesPerSecond)} seal hashes/s ` +
            `(${SEALS_PER_LOAD} per nonce) over ${r.seconds} s using ${r.cpuSeconds} CPU s; node ${r.node}, commit ${r.commit}`
        );
    } finally {
      await backend.dispose();
    }
  },
};

/** `bench` subcommands; the first one with `$0` among its names is the default. */
export const BENCH_SUBCOMMANDS: CommandModule<object, never>[] = [
  hashrateCommand as unknown as CommandModule<object, never>,
  benchSealCommand as unknown as CommandModule<object, never>,
  benchLoaderCommand as unknown as CommandModule<object, never>,
  benchEcCommand as unknown as CommandModule<object, never>,
  benchStoreCommand as unknown as CommandModule<object, never>,
  benchVerifyCommand as unknown as CommandModule<object, never>,
  benchSyncCommand as unknown as CommandModule<object, never>,
];

export const benchCommand: CommandModule = {
  command: 'bench',
  describe: 'Benchmarks (default: hashrate)',
  builder: (y: Argv) => BENCH_SUBCOMMANDS.reduce((acc, c) => acc.command(c), y),
  handler: () => undefined,
};
