/**
 * `zg-miner selftest --vectors DIR [--backend auto|cpu|gpu]`: checks golden vectors through the
 * chosen backend's kernels. Last line: `selftest: N passed, M failed, K skipped`; on the GPU the
 * passes the CPU reference decided (pora-edge reverts, merkle, file-root) are listed and counted
 * apart: `selftest: N passed on gpu, C passed on the CPU reference, M failed, K skipped`.
 * Exit 0 when nothing failed and something passed.
 */
import { stat } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { MinerError } from '../../errors.js';
import { cpuJudgedLines, runSelftest, summaryLine } from '../../selftest/selftest.js';
import { backendOptions, openBackend, type BackendArgs } from '../backendOptions.js';
import { openCoder } from '../ecCoder.js';

interface SelftestArgs extends BackendArgs {
  vectors: string;
}

export const selftestCommand: CommandModule<object, SelftestArgs> = {
  command: 'selftest',
  describe: 'Check golden test vectors (pora, pora-edge, unseal, merkle, rs, file-root) byte for byte',
  builder: (y) =>
    backendOptions(y).option('vectors', {
      type: 'string',
      demandOption: true,
      describe: 'folder of vector files (*.json, kind from the file-name prefix)',
    }) as never,
  handler: async (args) => {
    const s = await stat(args.vectors).catch(() => null);
    if (!s?.isDirectory()) throw new MinerError('BAD_INPUT', `--vectors ${args.vectors}: not a folder`);
    const backend = await openBackend(args);
    // rs- cases run on the erasure coder of the same kind as the chosen backend.
    const coder = await openCoder({ backend: backend.info.kind, threads: args.threads, gpuBackend: args['gpu-backend'] }).catch(async (e: unknown) => {
      await backend.dispose();
      throw e;
    });
    try {
      const counts = await runSelftest(args.vectors, backend, coder, (line) => process.stdout.write(line + '\n'));
      if (backend.info.kind !== 'cpu') for (const line of cpuJudgedLines(counts)) process.stdout.write(line + '\n');
      process.stdout.write(summaryLine(counts, backend.info.kind) + '\n');
      process.exitCode = counts.failed === 0 && counts.passed > 0 ? 0 : 1;
    } finally {
      await coder.dispose();
      await backend.dispose();
    }
  },
};
