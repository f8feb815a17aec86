/**
 * `zg-miner bench loader --file F [--seconds S] [--inflight N] [--json] [--no-fio]`: the loader
 * against fio on the same file (store/loaderVsFio.ts).
 */
import type { CommandModule } from 'yargs';
import { MinerError } from '../../errors.js';
import { DEFAULT_INFLIGHT } from '../../store/loader.js';
import { reexecWithLoaderEnv } from '../../store/threadpool.js';
import { benchLoader, type BenchLoaderArgs } from '../../store/loaderVsFio.js';

export const benchLoaderCommand: CommandModule<object, BenchLoaderArgs> = {
  command: 'loader',
  describe: 'Random 256 KiB load reads through the miner loader, compared with fio on the same file',
  builder: (y) =>
    y
      .option('file', { type: 'string', demandOption: true, describe: 'file to read (use a multi-GB file on the store disk)' })
      .option('seconds', { type: 'number', default: 20, describe: 'duration of each of the two runs' })
      .option('inflight', { type: 'number', default: DEFAULT_INFLIGHT, describe: 'loader reads in flight (fio keeps iodepth 32)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line' })
      .option('path', { choices: ['read', 'borrowed'] as const, default: 'read' as const, describe: 'owned arrays (LoadSource.read) or zero-copy views (withLoad)' })
      .option('rounds', { type: 'number', default: 4, describe: 'alternate loader and fio in this many slices' })
      .option('fio', { type: 'boolean', default: true, describe: 'also run fio (--no-fio skips it)' }) as never,
  handler: async (args) => {
    if (!(args.seconds > 0 && args.seconds <= 3600)) throw new MinerError('BAD_INPUT', `--seconds: expected 1..3600, got ${args.seconds}`);
    if (!(Number.isInteger(args.rounds) && args.rounds >= 1 && args.rounds <= 100)) {
      throw new MinerError('BAD_INPUT', `--rounds: expected an integer in 1..100, got ${args.rounds}`);
    }
    if (!(Number.isInteger(args.inflight) && args.inflight >= 1 && args.inflight <= 256)) {
      throw new MinerError('BAD_INPUT', `--inflight: expected an integer in 1..256, got ${args.inflight}`);
    }
    const code = await reexecWithLoaderEnv(args.inflight);
    if (code !== null) {
      process.exitCode = code;
      return;
    }
    const report = await benchLoader(args);
    if (args.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
    } else {
      process.stdout.write(
        `loader: ${report.loaderMBps} MB/s (${report.direct ? 'O_DIRECT' : 'page cache'}, ${report.engine === 'aio' ? `native AIO, huge pages ${report.transparentHugePages ?? 'unknown'}` : `libuv, ${report.threadpool} pool threads`}, ` +
          `${report.inflight} in flight, mean ${report.loaderMeanMs} ms, p99 ${report.loaderP99Ms} ms)\n` +
          (report.fioMBps === null ? '' : `fio:    ${report.fioMBps} MB/s\nratio:  ${report.ratio}\n`) +
          `file:   ${report.file} (${report.fileBytes} bytes), ${report.seconds} s each in ${report.rounds} alternating slices, ` +
            `load average ${report.loadAverage.join(' ')}, node ${report.node}, commit ${report.commit}\n`
      );
    }
  },
};
