/**
 * `zg-miner bench verify`: answers verified per second through the batch path of `verify -`
 * (JSON parsing, every check, worker pool, results in input order), over a corpus of distinct
 * valid answers checked in full (verifyBatch/benchCorpus.ts). Every verdict must be valid, else the
 * benchmark fails: a fast wrong verifier measures nothing.
 */
import { availableParallelism, cpus } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { gitCommit } from '../../buildInfo.js';
import { BENCH_PROOF_WORDS, benchCorpus } from '../../verifyBatch/benchCorpus.js';
import { verifyStream } from '../../verifyBatch/verifyStream.js';
import type { BatchItem } from '../../verifyBatch/verifyItem.js';

interface BenchVerifyArgs {
  seconds: number;
  threads: number | undefined;
  corpus: number;
  json: boolean;
}

export const benchVerifyCommand: CommandModule<object, BenchVerifyArgs> = {
  command: 'verify',
  describe: 'Answers verified per second (zg-miner verify batch path: parse, all checks, worker pool)',
  builder: (y: Argv) =>
    y
      .option('seconds', { type: 'number', default: 5, describe: 'measuring time' })
      .option('threads', { type: 'number', describe: 'worker threads (default: all cores)' })
      .option('corpus', { type: 'number', default: 512, describe: 'distinct answers, fed round-robin' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line' }) as unknown as Argv<BenchVerifyArgs>,
  handler: async (args) => {
    if (!(args.seconds > 0)) throw new UsageError('--seconds must be positive');
    if (!Number.isInteger(args.corpus) || args.corpus < 1) throw new UsageError(`--corpus must be a positive integer (got ${args.corpus})`);
    const threads = args.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads must be a positive integer (got ${threads})`);
    const log = (line: string): void => void (args.json ? process.stderr : process.stdout).write(line + '\n');
    const corpus = benchCorpus(args.corpus);
    log(`bench verify: ${corpus.length} distinct answers (seal check, data proof of ${BENCH_PROOF_WORDS} words), ${threads} thread(s), ${args.seconds} s...`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + args.seconds * 1000;
    function* items(): Generator<BatchItem> {
      for (let i = 0; performance.now() < end; i++) yield { label: `bench:${i}`, text: corpus[i % corpus.length]! };
    }
    let answers = 0;
    let notValid = '';
    await verifyStream(items(), {
      threads,
      onResult: (r) => {
        answers++;
        if (r.code !== 0 && notValid === '') notValid = r.line;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    // CPU time of every thread of the process: on a shared machine, answers per CPU-second is the
    // figure that does not depend on what the neighbours run.
    const used = process.cpuUsage(cpu0);
    const cpuSeconds = (used.user + used.system) / 1e6;
    // The corpus is valid by construction: anything else is a verifier bug (stack printed).
    if (notValid !== '') throw new Error(`bench verify: a corpus answer was not valid (${notValid})`);
    const out = {
      bench: 'verify',
      answersPerSecond: Math.round(answers / seconds),
      answers,
      seconds: Math.round(seconds * 100) / 100,
      cpuSeconds: Math.round(cpuSeconds * 100) / 100,
      answersPerCpuSecond: Math.round(answers / cpuSeconds),
      threads,
      proofWords: BENCH_PROOF_WORDS,
      cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
      cores: availableParallelism(),
      node: process.version,
      commit: gitCommit(),
    };
    if (args.json) process.stdout.write(JSON.stringify(out) + '\n');
    else for (const [key, v] of Object.entries(out)) log(`  ${key}: ${v}`);
  },
};
