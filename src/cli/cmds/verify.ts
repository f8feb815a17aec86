/**
 * `zg-miner verify ANSWER.json…`: the verdict PoraMine.submit() would give for {answer, view}.
 * One file: stdout is exactly `valid quality=0x…` or `invalid: <reason>`; warnings go to stderr;
 * exit 0 valid, 2 invalid, 1 usage or input error.
 * Batch (several files, a directory, or `-` for JSON lines on stdin): one such line per answer in
 * input order (`error: <message>` for an input that cannot be read or parsed), warnings on stderr
 * naming the input, exit code of the worst (1 > 2 > 0); large batches use worker threads.
 */
import { once } from 'node:events';
import type { Argv, CommandModule } from 'yargs';
import { MinerError, UsageError } from '../../errors.js';
import { verifyItem, worstCode, type ItemCode } from '../../verifyBatch/verifyItem.js';
import { batchInputs, isDirectory, readItem } from '../../verifyBatch/inputs.js';
import { unmarkStdin } from '../stdinArg.js';
import { wasmHashes } from '../../verifyBatch/wasmHashes.js';

interface VerifyArgs {
  files: string[];
  threads: number | undefined;
}

async function verifyOne(file: string): Promise<void> {
  // pora.wasm even for one answer: compiling it costs less CPU than core/'s TypeScript keccak
  // and the garbage it leaves (~50 ms of ~0.45 s on the 2-core VM); the checks are the same code.
  const r = verifyItem(await readItem(file), wasmHashes());
  if (r.code === 1) throw new MinerError('BAD_INPUT', r.error!);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`${r.line}\n`);
  process.exitCode = r.code;
}

async function verifyMany(files: string[], threads: number | undefined): Promise<void> {
  // verifyStream (and with it the worker pool and pora.wasm) is loaded for batches only.
  const { verifyStream } = await import('../../verifyBatch/verifyStream.js');
  let worst: ItemCode = 0;
  let pending = '';
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    const ok = process.stdout.write(pending);
    pending = '';
    if (!ok) await once(process.stdout, 'drain');
  };
  let n = 0;
  await verifyStream(batchInputs(files, process.stdin), {
    ...(threads !== undefined ? { threads } : {}),
    onResult: async (r, item) => {
      for (const w of r.warnings) process.stderr.write(`warning: ${item.label}: ${w}\n`);
      if (r.code === 1) process.stderr.write(`zg-miner: ${r.error}\n`);
      worst = worstCode(worst, r.code);
      pending += `${r.line}\n`;
      if (++n % 256 === 0) await flush();
    },
  });
  await flush();
  process.exitCode = worst;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <files..>',
  describe: 'Check mining proofs offline with the PoraMine contract verdicts ({answer, view} JSON files, directories, - for JSON lines; see README)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'answer JSON files, directories of them, or - (JSON lines on stdin)' })
      .option('threads', { type: 'number', describe: 'worker threads for large batches (default: all cores)' }) as unknown as Argv<VerifyArgs>,
  handler: async (args) => {
    const files = args.files.map((f) => unmarkStdin(String(f)));
    if (args.threads !== undefined && !(Number.isInteger(args.threads) && args.threads >= 1))
      throw new UsageError(`--threads must be a positive integer (got ${args.threads})`);
    if (files.length === 1 && files[0] !== '-' && !(await isDirectory(files[0]!))) await verifyOne(files[0]!);
    else await verifyMany(files, args.threads);
  },
};
