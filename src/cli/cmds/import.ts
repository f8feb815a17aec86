/**
 * `zg-miner import --tx SEQ FILE`: adds a transaction's file to the miner's data dir after
 * checking it against the transaction's submission node roots read from the Flow's Submit event.
 * A running miner picks it up on its next flow poll (the transaction is pending until then).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/config.js';
import { ChainClient } from '../../chain/chainClient.js';
import { findDeployBlock } from '../../chain/minerId.js';
import { DirDataSource, checkFileAgainstNodes } from '../../miner/dataSource.js';
import { MinerError } from '../../errors.js';

interface ImportArgs {
  tx: number;
  file: string;
  config?: string;
  'data-dir'?: string;
  rpc?: string;
  'from-block'?: number;
}

const LOG_SPAN = 5000;

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <file>',
  describe: 'Add the file of Flow transaction --tx SEQ to the data dir (checked against its node roots)',
  builder: (y: Argv<object>) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'the uploaded file, byte for byte' })
      .option('tx', { type: 'number', demandOption: true, describe: 'the Flow submission index (txSeq)' })
      .option('config', { type: 'string', describe: 'node-style TOML config (rpc, log_contract_address, data dir)' })
      .option('data-dir', { type: 'string', describe: 'miner data dir' })
      .option('rpc', { type: 'string', describe: 'EVM JSON-RPC URL' })
      .option('from-block', { type: 'number', describe: 'first block to search for the Submit event (default: the Flow deployment)' }) as unknown as Argv<ImportArgs>,
  handler: async (args) => {
    const c = loadConfig({
      ...(args.config !== undefined ? { file: args.config } : {}),
      env: process.env,
      overrides: {
        ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
        ...(args.rpc !== undefined ? { rpcEndpoint: args.rpc } : {}),
      },
    });
    if (!c.logContractAddress) throw new MinerError('BAD_CONFIG', 'log_contract_address is not set (config file or ZGS_NODE__LOG_CONTRACT_ADDRESS)');
    const client = await ChainClient.connect({ rpcUrl: c.rpcEndpoint, mineAddress: c.mineContractAddress ?? c.logContractAddress, flowAddress: c.logContractAddress });
    try {
      let data: Uint8Array;
      try {
        data = new Uint8Array(readFileSync(args.file));
      } catch (e) {
        throw new MinerError('BAD_INPUT', `${args.file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const head = await client.blockNumber();
      let from = args['from-block'] ?? (await findDeployBlock(client, c.logContractAddress));
      const seq = BigInt(args.tx);
      let found = null;
      for (; from <= head && !found; from += LOG_SPAN) {
        const subs = await client.submissions(from, Math.min(head, from + LOG_SPAN - 1));
        found = subs.find((s) => s.txSeq === seq) ?? null;
      }
      if (!found) throw new MinerError('BAD_INPUT', `no Flow Submit event with submissionIndex ${seq} on ${c.rpcEndpoint} up to block ${head}`);
      const bad = checkFileAgainstNodes(data, found.sizeBytes, found.nodes);
      if (bad !== null) throw new MinerError('PEER_DATA_INVALID', `${args.file} is not the file of tx ${seq}: ${bad}`);
      const source = new DirDataSource(join(c.dataDir, 'files'));
      await source.put(seq, data);
      process.stdout.write(`imported tx ${seq} (${data.length} bytes, sectors [${found.startPos}, ${found.startPos + found.lengthSectors})) into ${source.path(seq)}\n`);
    } finally {
      client.destroy();
    }
  },
};
