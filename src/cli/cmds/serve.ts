/**
 * `zg-miner serve`: the storage node's public zgs JSON-RPC over a data dir, without mining. It
 * follows the Flow's Submit events (so uploads of new transactions are accepted and file info is
 * there), stores proof-checked uploads, syncs from `--peer`s when given, and answers downloads,
 * sector proofs and whole loads for other miners. No miner key is needed.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig, type MinerConfig } from '../../config/config.js';
import { SealedStore } from '../../store/sealedStore.js';
import { ChainClient } from '../../chain/chainClient.js';
import { bindMinerChain } from '../../chain/minerChain.js';
import { findDeployBlock, readStoredId, resolveMinerId } from '../../chain/minerId.js';
import { DirDataSource } from '../../miner/dataSource.js';
import { FlowFollower } from '../../miner/flowFollower.js';
import { MinerError } from '../../errors.js';
import { log as processLog, type Logger } from '../../log/logger.js';
import { startPeerServices, DEFAULT_RPC_ADDRESS, type PeerServices } from '../peerServices.js';
import { onShutdownSignal } from './mine.js';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

export interface ServeOptions {
  config: MinerConfig;
  rpcAddress: string;
  /** Block to start following Flow Submit events (default: log_sync_start_block_number, else the Flow's deployment block). */
  flowStartBlock?: number;
  /** Seconds between follow/sync passes (default mine_context_query_seconds). */
  syncSeconds?: number;
  log?: Logger;
}

export interface ServeService {
  rpcUrl: string | null;
  peers: PeerServices;
  follower: FlowFollower;
  stop(): Promise<void>;
}

export async function startServeService(o: ServeOptions): Promise<ServeService> {
  const c = o.config;
  const log = o.log ?? processLog;
  if (!c.logContractAddress) throw new MinerError('BAD_CONFIG', 'log_contract_address is not set (config file, ZGS_NODE__LOG_CONTRACT_ADDRESS)');
  const client = await ChainClient.connect({ rpcUrl: c.rpcEndpoint, mineAddress: c.mineContractAddress ?? ZERO_ADDRESS, flowAddress: c.logContractAddress, ...(c.minerKey ? { minerKey: c.minerKey } : {}) });
  const cleanups: (() => Promise<void>)[] = [async () => client.destroy()];
  const unwind = async (): Promise<void> => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
  };
  try {
    // The store is sealed for a miner id; a serve-only data dir (no id anywhere) uses the zero id
    // and never seals, and `mine` refuses it later with a one-line reason.
    const stored = await readStoredId(c.dataDir);
    const minerId =
      c.minerId ?? stored ?? (c.minerKey && c.mineContractAddress ? await resolveMinerId({ client, configId: null, dataDir: c.dataDir, log: log.info }) : new Uint8Array(32));
    const store = await SealedStore.open(join(c.dataDir, 'store'), { minerId });
    cleanups.push(() => store.close());
    const chain = bindMinerChain(client);
    const fromBlock = o.flowStartBlock ?? c.logSyncStartBlock ?? (await findDeployBlock(client, c.logContractAddress));
    let syncedBlock = (): number => -1;
    const peers = await startPeerServices({ config: c, chainId: await client.chainId(), store, rpcAddress: o.rpcAddress, syncedBlock: () => syncedBlock(), log });
    cleanups.push(() => peers.close());
    const follower = new FlowFollower({
      chain,
      store,
      flowTree: store.flowTree,
      source: new DirDataSource(join(c.dataDir, 'files')),
      stateFile: join(c.dataDir, 'follower.json'),
      fromBlock,
      log,
      onSubmissions: (subs) => peers.txs.add(subs),
      needsEventReplay: () => peers.txs.count === 0,
      held: peers.held,
      pendingHint: peers.sync !== null ? ' (asking peers)' : ' (waiting for an upload, an import or --peer)',
    });
    syncedBlock = () => follower.syncedBlock;
    cleanups.push(() => follower.close());
    const stopCtl = new AbortController();
    const period = (o.syncSeconds ?? c.mineContextQuerySeconds) * 1000;
    const loop = (async () => {
      while (!stopCtl.signal.aborted) {
        try {
          await follower.poll();
          await peers.sync?.step(stopCtl.signal);
        } catch (e) {
          log.warn(`serve: ${(e as Error).message}`);
        }
        await sleep(period, undefined, { signal: stopCtl.signal }).catch(() => undefined);
      }
    })();
    cleanups.push(async () => {
      stopCtl.abort();
      await loop;
    });
    let stopping: Promise<void> | null = null;
    return { rpcUrl: peers.rpcUrl, peers, follower, stop: () => (stopping ??= unwind()) };
  } catch (e) {
    await unwind();
    throw e;
  }
}

interface ServeArgs {
  config?: string;
  'data-dir'?: string;
  'rpc-address': string;
  rpc?: string;
  peer?: string[];
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve the storage node zgs JSON-RPC (SDK uploads/downloads, data for other miners) from a data dir, without mining',
  builder: (y: Argv<object>) =>
    y
      .option('config', { type: 'string', describe: 'node-style TOML config (config.toml)' })
      .option('data-dir', { type: 'string', describe: 'sealed store and flow data (default: db_dir/data_dir of the config, else ./db)' })
      .option('rpc-address', { type: 'string', default: DEFAULT_RPC_ADDRESS, describe: 'host:port of the zgs JSON-RPC' })
      .option('rpc', { type: 'string', describe: 'EVM JSON-RPC URL (overrides blockchain_rpc_endpoint)' })
      .option('peer', { type: 'string', array: true, describe: 'zgs JSON-RPC URL to sync flow data from (repeatable; replaces [sync] peers)' }) as unknown as Argv<ServeArgs>,
  handler: async (args) => {
    const config = loadConfig({
      ...(args.config !== undefined ? { file: args.config } : {}),
      env: process.env,
      overrides: {
        ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
        ...(args.rpc !== undefined ? { rpcEndpoint: args.rpc } : {}),
        ...(args.peer !== undefined && args.peer.length > 0 ? { syncPeers: args.peer } : {}),
      },
    });
    const service = await startServeService({ config, rpcAddress: args['rpc-address'] });
    await new Promise<void>((resolve) => {
      const off = onShutdownSignal(() => void service.stop().then(() => (off(), resolve())));
    });
  },
};
