/**
 * `zg-miner import [--tx SEQ] FILE|DIR...`: adds transactions' files to the miner's data dir after
 * checking each against its transaction's submission node roots, read from the Flow's Submit
 * events. With `--tx` the one FILE must be that transaction's; without it every file (a directory
 * contributes its files) is matched to the transactions whose size and node roots it has, so a
 * whole folder of uploads goes in with one chain scan. A running miner picks the files up on its
 * next flow poll (their transactions are pending until then).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/config.js';
import { ChainClient } from '../../chain/chainClient.js';
import type { FlowSubmission } from '../../types.js';
import { findDeployBlock } from '../../chain/minerId.js';
import { DirDataSource, checkFileAgainstNodes, nodeRootsFor } from '../../miner/dataSource.js';
import { equalBytes } from '../../bytes.js';
import { MinerError, UsageError } from '../../errors.js';
import { claimDataDir } from '../../store/dataDir.js';

interface ImportArgs {
  tx: string | undefined;
  paths: string[];
  config?: string;
  'data-dir'?: string;
  rpc?: string;
  'from-block'?: string;
}

const LOG_SPAN = 5000;

/** The files named: each FILE, and the regular files directly inside each DIR (sorted). */
function expandPaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw new MinerError('BAD_INPUT', `${p}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!st.isDirectory()) out.push(p);
    else for (const name of readdirSync(p).sort()) if (statSync(join(p, name)).isFile()) out.push(join(p, name));
  }
  return out;
}

function readData(file: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new MinerError('BAD_INPUT', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** A non-negative decimal integer flag (a submission index, a block number). */
function parseIndex(flag: string, text: string): bigint {
  const t = String(text).trim();
  if (!/^\d+$/.test(t)) throw new UsageError(`${flag}: expected a non-negative integer, got "${text}"`);
  const v = BigInt(t);
  if (flag === '--from-block' && v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${flag}: ${t} is past any block number`);
  return v;
}

function describe(seq: bigint, s: FlowSubmission, bytes: number, path: string): string {
  return `imported tx ${seq} (${bytes} bytes, sectors [${s.startPos}, ${s.startPos + s.lengthSectors})) into ${path}`;
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <paths..>',
  describe: 'Add files (or every file of a directory) to the data dir, each checked against its Flow transaction\'s node roots',
  builder: (y: Argv<object>) =>
    y
      .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'uploaded files, byte for byte, or directories of them' })
      .option('tx', { type: 'string', describe: 'the Flow submission index (txSeq) of the one FILE (default: found by its node roots)' })
      .option('config', { type: 'string', describe: 'node-style TOML config (rpc, log_contract_address, data dir)' })
      .option('data-dir', { type: 'string', describe: 'miner data dir' })
      .option('rpc', { type: 'string', describe: 'EVM JSON-RPC URL' })
      .option('from-block', { type: 'string', describe: 'first block to search for Submit events (default: the Flow deployment)' }) as unknown as Argv<ImportArgs>,
  handler: async (args) => {
    // Checked before the config, the files or the chain are touched: a typo costs nothing.
    const txSeq = args.tx === undefined ? undefined : parseIndex('--tx', args.tx);
    const fromBlock = args['from-block'] === undefined ? undefined : Number(parseIndex('--from-block', args['from-block']));
    const files = expandPaths(args.paths);
    if (files.length === 0) throw new UsageError(`import: no files in ${args.paths.join(', ')}`);
    if (txSeq !== undefined && files.length !== 1) throw new UsageError(`--tx names one transaction: give one FILE (got ${files.length}), or leave --tx out to match each file by its node roots`);
    const c = loadConfig({
      ...(args.config !== undefined ? { file: args.config } : {}),
      env: process.env,
      overrides: {
        ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
        ...(args.rpc !== undefined ? { rpcEndpoint: args.rpc } : {}),
      },
    });
    if (!c.logContractAddress) throw new MinerError('BAD_CONFIG', 'log_contract_address is not set (config file or ZGS_NODE__LOG_CONTRACT_ADDRESS)');
    claimDataDir(c.dataDir);
    const client = await ChainClient.connect({ rpcUrl: c.rpcEndpoint, mineAddress: c.mineContractAddress ?? c.logContractAddress, flowAddress: c.logContractAddress });
    try {
      const head = await client.blockNumber();
      const first = fromBlock ?? (await findDeployBlock(client, c.logContractAddress));
      const source = new DirDataSource(join(c.dataDir, 'files'));
      if (txSeq !== undefined) {
        const file = files[0]!;
        const data = readData(file);
        const seq = txSeq;
        let found: FlowSubmission | null = null;
        for (let from = first; from <= head && !found; from += LOG_SPAN) {
          const subs = await client.submissions(from, Math.min(head, from + LOG_SPAN - 1));
          found = subs.find((s) => s.txSeq === seq) ?? null;
        }
        if (!found) throw new MinerError('BAD_INPUT', `no Flow Submit event with submissionIndex ${seq} on ${c.rpcEndpoint} up to block ${head}`);
        const bad = checkFileAgainstNodes(data, found.sizeBytes, found.nodes);
        if (bad !== null) throw new MinerError('PEER_DATA_INVALID', `${file} is not the file of tx ${seq}: ${bad}`);
        await source.put(seq, data);
        process.stdout.write(describe(seq, found, data.length, source.path(seq)) + '\n');
        return;
      }
      // One scan of the Submit events, then each file against the transactions of its size.
      const bySize = new Map<bigint, FlowSubmission[]>();
      for (let from = first; from <= head; from += LOG_SPAN)
        for (const s of await client.submissions(from, Math.min(head, from + LOG_SPAN - 1))) bySize.set(s.sizeBytes, [...(bySize.get(s.sizeBytes) ?? []), s]);
      const failed: string[] = [];
      let imported = 0;
      for (const file of files) {
        const data = readData(file);
        // Same-size transactions usually share node heights: compute the file's roots once per layout.
        const rootsByLayout = new Map<string, Uint8Array[]>();
        const matches = (bySize.get(BigInt(data.length)) ?? []).filter((s) => {
          const heights = s.nodes.map((n) => n.height);
          const key = heights.join(',');
          let roots = rootsByLayout.get(key);
          if (roots === undefined) rootsByLayout.set(key, (roots = nodeRootsFor(data, heights)));
          return s.nodes.every((n, i) => equalBytes(n.root, roots[i]!));
        });
        if (matches.length === 0) {
          failed.push(`${file}: no Flow transaction up to block ${head} has this file's size (${data.length} bytes) and node roots`);
          continue;
        }
        // The same bytes uploaded twice are the data of both transactions.
        for (const s of matches) {
          await source.put(s.txSeq, data);
          process.stdout.write(describe(s.txSeq, s, data.length, source.path(s.txSeq)) + '\n');
        }
        imported++;
      }
      if (failed.length > 0) {
        for (const f of failed) process.stderr.write(`zg-miner: ${f}\n`);
        process.stderr.write(`zg-miner: imported ${imported} of ${files.length} files\n`);
        process.exitCode = 1;
      }
    } finally {
      client.destroy();
    }
  },
};
