/**
 * `zg-miner ec encode|verify|reconstruct`: Reed-Solomon erasure coding of files into shard folders
 * that klauspost-compatible tools read (src/ec/manifest.ts), on the CPU (wasm SIMD) or the GPU.
 *
 *   zg-miner ec encode FILE --data K --parity M --out DIR [--backend cpu|gpu]
 *   zg-miner ec verify DIR                      exit 0 intact, 2 shards missing or corrupted
 *   zg-miner ec reconstruct DIR --out FILE      any <= m shards missing or corrupted
 */
import type { Argv, CommandModule } from 'yargs';
import { checkParams } from '../../ec/reedSolomon.js';
import { encodeFile, reconstructFolder, verifyFolder, type Progress } from '../../erasure/shardFiles.js';
import { openCoder, type EcBackend } from '../ecCoder.js';

interface CoderArgs {
  backend: EcBackend;
  threads: number | undefined;
  'gpu-backend': 'vulkan' | 'opengl' | undefined;
}

function coderOptions<T>(y: Argv<T>): Argv<T & CoderArgs> {
  return y
    .option('backend', { choices: ['auto', 'cpu', 'gpu'] as const, default: 'auto' as const, describe: 'auto = a hardware GPU when there is one, else the CPU' })
    .option('threads', { type: 'number', describe: 'CPU worker threads (default: all cores)' })
    .option('gpu-backend', { choices: ['vulkan', 'opengl'] as const, describe: 'force a WebGPU backend' }) as unknown as Argv<T & CoderArgs>;
}

/** A progress line on stderr about once a second for inputs of 64 MiB and more. */
function progressLine(what: string): Progress {
  const t0 = performance.now();
  let last = t0;
  return (done, total) => {
    const now = performance.now();
    if (total < 64 << 20 || (now - last < 1000 && done < total)) return;
    last = now;
    const mbs = done / 1e6 / Math.max(1e-3, (now - t0) / 1000);
    process.stderr.write(`${what}: ${((100 * done) / total).toFixed(0)}% (${(done / 1e9).toFixed(2)} of ${(total / 1e9).toFixed(2)} GB, ${mbs.toFixed(0)} MB/s)\n`);
  };
}

interface EncodeArgs extends CoderArgs {
  file: string;
  data: number;
  parity: number;
  out: string;
}

const encodeCommand: CommandModule<object, EncodeArgs> = {
  command: 'encode <file>',
  describe: 'Split FILE into K data + M parity shard files and a manifest in DIR',
  builder: (y: Argv) =>
    coderOptions(y)
      .positional('file', { type: 'string', demandOption: true, describe: 'file to encode' })
      .option('data', { type: 'number', demandOption: true, describe: 'data shards K (>= 1)' })
      .option('parity', { type: 'number', demandOption: true, describe: 'parity shards M (>= 1, K + M <= 256)' })
      .option('out', { type: 'string', demandOption: true, describe: 'folder for the shards and manifest.json' }) as unknown as Argv<EncodeArgs>,
  handler: async (args) => {
    const p = { k: args.data, m: args.parity };
    checkParams(p);
    const coder = await openCoder(args);
    try {
      const mf = await encodeFile(coder, args.file, args.out, p, progressLine('ec encode'));
      process.stdout.write(
        `ec encode: ${mf.fileName} (${mf.fileSize} bytes) -> ${mf.k} data + ${mf.m} parity shards of ${mf.shardSize} bytes in ${args.out} (${coder.info.kind})\n`
      );
    } finally {
      await coder.dispose();
    }
  },
};

const verifyCommand: CommandModule<object, { dir: string }> = {
  command: 'verify <dir>',
  describe: 'Check every shard in DIR against its manifest (exit 2 when any is missing or corrupted)',
  builder: (y: Argv) => y.positional('dir', { type: 'string', demandOption: true, describe: 'shard folder' }) as unknown as Argv<{ dir: string }>,
  handler: async (args) => {
    const r = await verifyFolder(args.dir, progressLine('ec verify'));
    for (const s of r.shards) if (s.status !== 'ok') process.stdout.write(`shard ${s.index} (${s.file}): ${s.status}${s.detail ? ` (${s.detail})` : ''}\n`);
    const missing = r.shards.filter((s) => s.status === 'missing').length;
    const corrupted = r.shards.filter((s) => s.status === 'corrupted').length;
    const verdict =
      r.bad.length === 0 ? 'intact' : r.bad.length <= r.manifest.m ? 'recoverable with zg-miner ec reconstruct' : `NOT recoverable (more than ${r.manifest.m} shards lost)`;
    process.stdout.write(`ec verify: ${r.shards.length - r.bad.length} ok, ${missing} missing, ${corrupted} corrupted: ${verdict}\n`);
    process.exitCode = r.bad.length === 0 ? 0 : 2;
  },
};

interface ReconstructArgs extends CoderArgs {
  dir: string;
  out: string;
}

const reconstructCommand: CommandModule<object, ReconstructArgs> = {
  command: 'reconstruct <dir>',
  describe: 'Rebuild the file (and any missing or corrupted shard files) from the intact shards in DIR',
  builder: (y: Argv) =>
    coderOptions(y)
      .positional('dir', { type: 'string', demandOption: true, describe: 'shard folder' })
      .option('out', { type: 'string', demandOption: true, describe: 'where to write the file' }) as unknown as Argv<ReconstructArgs>,
  handler: async (args) => {
    const coder = await openCoder(args);
    try {
      const r = await reconstructFolder(coder, args.dir, args.out, progressLine('ec reconstruct'));
      const restored = r.restored.length === 0 ? 'no shard needed restoring' : `restored shard(s) ${r.restored.join(', ')}`;
      process.stdout.write(`ec reconstruct: wrote ${args.out} (${r.report.manifest.fileSize} bytes, SHA-256 matches the manifest); ${restored}\n`);
    } finally {
      await coder.dispose();
    }
  },
};

export const ecCommand: CommandModule = {
  command: 'ec',
  describe: 'Reed-Solomon erasure coding of files (encode, verify, reconstruct)',
  builder: (y: Argv) =>
    y
      .command(encodeCommand as unknown as CommandModule)
      .command(verifyCommand as unknown as CommandModule)
      .command(reconstructCommand as unknown as CommandModule)
      .demandCommand(1, 'Name an ec command: encode, verify or reconstruct.'),
  handler: () => undefined,
};
