/**
 * `zg-miner mine` (also the default command: `zg-miner --config config.toml`): the composition
 * root of the mining service. Config (TOML + ZGS_NODE__* + flags) → chain client (poraVersion
 * check, miner id) → sealed store → backend → metrics server → flow follower, sealer, mining
 * loop, submitter. Ctrl+C stops cleanly (search aborted, backend disposed, store closed); a
 * second Ctrl+C forces the exit.
 */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig, type MinerConfig } from '../../config/config.js';
import { SealedStore } from '../../store/sealedStore.js';
import { hashFile } from '../../store/loadHash.js';
import { createMetrics } from '../../metrics/metrics.js';
import { startMetricsServer, DEFAULT_METRICS_ADDRESS, type MetricsServer } from '../../metrics/server.js';
import { createMiningBackend, type BackendChoice, type GpuOptions, type MiningBackendOptions } from '../backendFactory.js';
import type { PoraBackend } from '../../backend/backend.js';
import { backendKind, backendOptions, backendTuning, type BackendArgs } from '../backendOptions.js';
import { ChainClient } from '../../chain/chainClient.js';
import { bindMinerChain } from '../../chain/minerChain.js';
import { resolveMinerId, findDeployBlock } from '../../chain/minerId.js';
import type { SubmitPolicy } from '../../chain/submitter.js';
import { DirDataSource } from '../../miner/dataSource.js';
import { FlowFollower } from '../../miner/flowFollower.js';
import { Sealer } from '../../miner/sealer.js';
import { Miner } from '../../miner/miner.js';
import type { SubmitOutcomeView } from '../../miner/ports.js';
import type { PoraAnswer } from '../../types.js';
import { toHex } from '../../bytes.js';
import { MinerError, UsageError } from '../../errors.js';
import { packageVersion } from '../../buildInfo.js';
import { log as processLog, type Logger } from '../../log/logger.js';
import { HealthMonitor } from '../../health/monitor.js';
import { healthOptions, healthSettings, type HealthArgs, type HealthSettings } from '../healthOptions.js';
import { statusBuilder } from '../status.js';
import { startPeerServices, DEFAULT_RPC_ADDRESS } from '../peerServices.js';
import { runPreflight, type PreflightCheck } from '../../preflight/preflight.js';
import { miningPreflight } from '../miningPreflight.js';
import { Watchdog } from '../../watchdog/watchdog.js';
import { startScrubLoop, startupCheck } from '../../store/scrub.js';
import { MALLOC_TUNED, THREADPOOL_SIZE, reexecWithLoaderEnv } from '../../store/threadpool.js';
import { DEFAULT_INFLIGHT } from '../../store/loader.js';
import { SECTORS_PER_LOAD_N } from '../../spec.js';

export interface MiningServiceOptions {
  config: MinerConfig;
  backend: BackendChoice;
  /** CPU worker threads and GPU options (--threads, --devices, --gpu-backend, --batch). */
  threads?: number;
  gpu?: GpuOptions;
  metricsAddress: string;
  /** zgs JSON-RPC listen address (`mine` passes 127.0.0.1:5678); default `none`: no server. */
  rpcAddress?: string;
  /** Default: the process logger (log/logger.ts), configured by --log-level / --log-file. */
  log?: Logger;
  /** nvidia-smi GPUs to watch and the --temperature-limit guard. */
  health?: HealthSettings;
  /** Block to start following Flow Submit events (default: the Flow's deployment block). */
  flowStartBlock?: number;
  /** Period of the flow follow + seal loop (default = mine_context_query_seconds). */
  syncSeconds?: number;
  onSubmission?: (outcome: SubmitOutcomeView, answer: PoraAnswer) => void;
  /** More local checks to pass before the first transaction (another listen address, say). */
  preflight?: PreflightCheck[];
  /** A loop silent this long is logged and restarted (default miner.ts DEFAULT_STALL_SECONDS; --stall-seconds). */
  stallSeconds?: number;
  /** Opens the backend (default createMiningBackend: GPU with CPU failover); tests inject a failing one. */
  openBackend?: (o: MiningBackendOptions) => Promise<PoraBackend>;
}

export interface MiningService {
  minerId: Uint8Array;
  metricsUrl: string;
  /** The zgs JSON-RPC URL, or null with `--rpc-address none`. */
  rpcUrl: string | null;
  /** The block Flow events are read from. */
  flowStartBlock: number;
  miner: Miner;
  /** Stops everything once; safe to call twice. */
  stop(): Promise<void>;
}

function submitPolicy(c: MinerConfig): SubmitPolicy {
  const s = c.submission;
  return {
    ...(s.initialGasPrice !== null ? { initialGasPrice: s.initialGasPrice } : {}),
    ...(s.maxGasPrice !== null ? { maxGasPrice: s.maxGasPrice } : {}),
    ...(s.maxGas !== null ? { maxGas: s.maxGas } : {}),
    gasIncreaseFactor: s.gasIncreaseFactor,
    maxRetries: s.maxRetries,
    intervalSecs: s.intervalSecs,
  };
}

/** Starts the whole mining service; `stop()` undoes it in reverse order. */
export async function startMiningService(o: MiningServiceOptions): Promise<MiningService> {
  const c = o.config;
  const log = o.log ?? processLog;
  for (const w of c.warnings) log.warn(w);
  if (!c.mineContractAddress) throw new MinerError('BAD_CONFIG', 'mine_contract_address is not set (config file, ZGS_NODE__MINE_CONTRACT_ADDRESS)');
  if (!c.logContractAddress) throw new MinerError('BAD_CONFIG', 'log_contract_address is not set (config file, ZGS_NODE__LOG_CONTRACT_ADDRESS)');
  if (!c.minerKey) throw new MinerError('BAD_CONFIG', 'miner_key is not set (config file, ZGS_NODE__MINER_KEY or --miner-key-file)');
  const client = await ChainClient.connect({ rpcUrl: c.rpcEndpoint, mineAddress: c.mineContractAddress, flowAddress: c.logContractAddress, minerKey: c.minerKey });
  const cleanups: (() => Promise<void>)[] = [async () => client.destroy()];
  const unwind = async (): Promise<void> => {
    for (const f of cleanups.reverse()) await f().catch(() => {});
  };
  try {
    // Everything that can fail locally fails here, before a registration is paid for.
    await runPreflight([...miningPreflight({ config: c, client, metricsAddress: o.metricsAddress, warn: log.warn }), ...(o.preflight ?? [])]);
    let onSwitch = (_: { kind: string; device: string }): void => {};
    const backend = await (o.openBackend ?? createMiningBackend)({
      backend: o.backend,
      cpuPercentage: c.minerCpuPercentage,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.gpu !== undefined ? { gpu: o.gpu } : {}),
      events: log,
      onSwitch: (i) => onSwitch(i),
    });
    cleanups.push(() => backend.dispose());
    log.info(`backend ${backend.info.kind}: ${backend.info.device} (${backend.info.threads} thread(s))`);
    const minerId = await resolveMinerId({ client, configId: c.minerId, dataDir: c.dataDir, log: log.info });
    log.info(`miner id ${toHex(minerId)}, PoraMine ${c.mineContractAddress}, Flow ${c.logContractAddress}, rpc ${c.rpcEndpoint}`);
    // A shard holds load L iff L mod numShards == shardId (spec §3.2).
    const holds = (l: bigint): boolean => l % c.numShards === c.shardId;
    const store = await SealedStore.open(join(c.dataDir, 'store'), { minerId, sealable: holds });
    log.info(loaderSettingsLine());
    cleanups.push(() => store.close());
    await startupCheck(store, log);
    const metrics = createMetrics({ version: packageVersion(), backend: backend.info.kind, adapter: backend.info.device });
    onSwitch = (i) => metrics.setBackend(i.kind, i.device);
    metrics.setSealedSectors(store.stats().sealedSectors);
    const hs = o.health ?? {};
    const health = new HealthMonitor({ ...hs, log, onReadings: (gpus) => metrics.setGpuHealth(gpus) });
    await health.start();
    cleanups.push(async () => health.stop());
    if (health.unavailable && hs.temperatureLimit !== undefined) log.warn('--temperature-limit: nvidia-smi is not available here, so the GPU temperature is unknown and the search is never paused for it');
    for (const g of health.gpus) log.info(`gpu ${g.index}: ${g.name}, bus ${g.pciBusId}`);
    const chain = bindMinerChain(client, submitPolicy(c));
    const source = new DirDataSource(join(c.dataDir, 'files'));
    const fromBlock = o.flowStartBlock ?? c.logSyncStartBlock ?? (await findDeployBlock(client, c.logContractAddress));
    let syncedBlock = (): number => -1;
    const peers = await startPeerServices({ config: c, chainId: await client.chainId(), store, rpcAddress: o.rpcAddress ?? 'none', syncedBlock: () => syncedBlock(), log, metrics });
    cleanups.push(() => peers.close());
    const follower = new FlowFollower({
      chain,
      store,
      flowTree: store.flowTree,
      hashFile,
      source,
      stateFile: join(c.dataDir, 'follower.json'),
      fromBlock,
      log,
      onSubmissions: (subs) => peers.txs.add(subs),
      needsEventReplay: () => peers.txs.count === 0,
      held: peers.held,
      ...(peers.sync !== null ? { pendingHint: ' (asking peers)' } : {}),
      // A forgotten load's transactions are pending again (imported anew, or fetched from peers).
      txsIn: (a, b) => peers.txs.overlapping(a, b),
    });
    syncedBlock = () => follower.syncedBlock;
    cleanups.push(() => follower.close());
    const sealer = new Sealer({ chain, store, backend, minerId, log, metrics, holds });
    const watchdog = new Watchdog({ log, onRestart: (part) => metrics.recordRestart(part) });
    watchdog.start();
    cleanups.push(async () => watchdog.stop());
    // Damaged loads are found in the background: bad seals retracted (then resealed), bad roots
    // re-derived, a load with bad raw data forgotten (then imported again or fetched from peers).
    const scrub = startScrubLoop({
      store,
      minerId,
      log,
      watchdog,
      txsOf: (L) => peers.txs.overlapping(L * SECTORS_PER_LOAD_N, (L + 1n) * SECTORS_PER_LOAD_N).map((t) => t.txSeq),
      onDamage: (d) => {
        for (const [kind, bad] of [['raw', d.badRaw], ['roots', d.badRoots && !d.badRaw], ['seals', d.badSeals !== 0n && !d.badRaw]] as const) if (bad) metrics.recordStoreDamage(kind);
        metrics.setSealedSectors(store.stats().sealedSectors);
      },
    });
    metrics.watchForgottenLoads(() => store.stats().forgottenLoads);
    cleanups.push(() => scrub.stop());
    const miner = new Miner({
      chain,
      store,
      backend,
      source,
      flowTree: store.flowTree,
      minerId,
      log,
      metrics,
      shardId: c.shardId,
      shardMask: c.shardMask,
      iterBatchSize: c.mineIterBatchSize,
      contextQuerySeconds: c.mineContextQuerySeconds,
      cpuPercentage: c.minerCpuPercentage,
      syncSeconds: o.syncSeconds ?? c.mineContextQuerySeconds,
      follower,
      ...(peers.sync !== null ? { sync: peers.sync } : {}),
      sealer,
      loadSource: store.loadSource({
        metrics,
        minable: holds,
        // A load whose sealed bytes are missing (a truncated sealed.bin) or unreadable (EIO) is checked now, with one warning.
        onDamagedRead: (L, why) => {
          if (scrub.scrubber.suspect(L)) log.warn(`store: ${why}; load ${L} queued for the store check`);
        },
      }),
      ...(o.onSubmission ? { onSubmission: o.onSubmission } : {}),
      // The temperature guard holds a GPU search only; a CPU backend is not the hot card.
      ...(backend.info.kind === 'gpu' ? { guard: health } : {}),
      healthLine: () => health.line(),
      watchdog,
      damage: scrub.scrubber,
      ...(o.stallSeconds !== undefined ? { stallSeconds: o.stallSeconds } : {}),
      // Each try waits up to 15 intervals for its receipt, then one interval (chain/submitter.ts).
      submitSeconds: (c.submission.maxRetries + 1) * 16 * Math.max(1, c.submission.intervalSecs),
    });
    const status = statusBuilder({ miner, metrics, backend: backend.info, health, log, sync: peers.status, zgsRpc: peers.rpcUrl, ...(hs.temperatureLimit !== undefined ? { temperatureLimit: hs.temperatureLimit } : {}) });
    const server: MetricsServer = await startMetricsServer({ address: o.metricsAddress, metrics, status });
    cleanups.push(() => server.close());
    log.info(`dashboard on ${server.url}/, metrics on ${server.url}/metrics, status on ${server.url}/status`);
    miner.start();
    cleanups.push(async () => {
      await miner.stop();
      log.info(miner.summaryLine());
    });
    let stopping: Promise<void> | null = null;
    return {
      minerId,
      metricsUrl: `${server.url}/metrics`,
      rpcUrl: peers.rpcUrl,
      flowStartBlock: fromBlock,
      miner,
      stop: () => (stopping ??= unwind()),
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}

/**
 * Runs `stop` on the first SIGINT/SIGTERM and force-exits (130) on the second, after `force`: the
 * synchronous cleanup that must happen even then (devnet: kill anvil, remove its temp dir).
 * Returns a function that removes the handlers.
 */
export function onShutdownSignal(stop: (signal: string) => void, log: Logger = processLog, force?: () => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      log.info(`${signal}: stopping (press Ctrl+C again to force)`);
      stop(signal);
    } else {
      try {
        force?.();
      } finally {
        process.stderr.write('forced exit\n');
        process.exit(130);
      }
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Waits until Ctrl+C/SIGTERM (a clean stop) or until the miner stops by itself, then stops the
 * service. A stop the operator did not ask for is a failure: it throws, so the process exits
 * non-zero and a supervisor (systemd, Docker restart policy) restarts it.
 * @throws {MinerError} MINING_STOPPED naming the loop that failed.
 */
export async function runUntilStopped(service: MiningService, log: Logger = processLog): Promise<void> {
  await new Promise<void>((resolve) => {
    const off = onShutdownSignal(() => {
      void service.stop().then(() => {
        off();
        resolve();
      });
    }, log);
    void service.miner.stopped.then(() =>
      service.stop().then(() => {
        off();
        resolve();
      })
    );
  });
  const failure = service.miner.failure;
  if (failure) throw new MinerError('MINING_STOPPED', `mining stopped: ${failure.message}`);
}

/** The start-up settings the store's reads run with (store/threadpool.ts), as one log line. */
export function loaderSettingsLine(): string {
  return `store reads: ${THREADPOOL_SIZE} libuv pool threads, malloc thresholds ${MALLOC_TUNED ? 'raised' : 'default (fresh 256 KiB arrays are mmapped)'}`;
}

/**
 * Long-running commands run with the loader's start-up environment (thread pool, malloc; worth
 * about 40 % of the load reads, store/threadpool.ts): without it, re-executes the command with it
 * and returns the child's exit code for the caller to exit with; null = go on in this process.
 */
export async function withLoaderEnv(): Promise<number | null> {
  return reexecWithLoaderEnv(DEFAULT_INFLIGHT);
}

interface MineArgs extends BackendArgs, HealthArgs {
  config?: string;
  'data-dir'?: string;
  'metrics-address': string;
  'miner-key-file'?: string;
  'rpc'?: string;
  'rpc-address': string;
  peer?: string[];
}

export const mineCommand: CommandModule<object, MineArgs> = {
  command: ['mine', '$0'],
  describe: 'Mine against the PoraMine contract named in the config (the default command)',
  builder: (y: Argv<object>) =>
    healthOptions(backendOptions(y))
      .option('config', { type: 'string', describe: 'node-style TOML config (config.toml)' })
      .option('data-dir', { type: 'string', describe: 'sealed store, miner id and imported files (default: db_dir/data_dir of the config, else ./db)' })
      .option('metrics-address', { type: 'string', default: DEFAULT_METRICS_ADDRESS, describe: 'host:port of /metrics and /status' })
      .option('miner-key-file', { type: 'string', describe: 'file holding the 32-byte hex miner key' })
      .option('rpc', { type: 'string', describe: 'EVM JSON-RPC URL (overrides blockchain_rpc_endpoint)' })
      .option('rpc-address', { type: 'string', default: DEFAULT_RPC_ADDRESS, describe: 'host:port of the zgs JSON-RPC this miner serves (storage-node methods, for the 0G SDK and other miners); none = off' })
      .option('peer', { type: 'string', array: true, describe: 'zgs JSON-RPC URL of a storage node or zg-miner to sync flow data from (repeatable; replaces [sync] peers)' }) as unknown as Argv<MineArgs>,
  handler: async (args) => {
    if (args.gpu && args.backend !== 'auto' && args.backend !== 'gpu') throw new UsageError('--gpu conflicts with --backend ' + args.backend);
    const { threads, gpu } = backendTuning(args);
    const config = loadConfig({
      ...(args.config !== undefined ? { file: args.config } : {}),
      env: process.env,
      overrides: {
        ...(args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {}),
        ...(args['miner-key-file'] !== undefined ? { minerKeyFile: args['miner-key-file'] } : {}),
        ...(args.rpc !== undefined ? { rpcEndpoint: args.rpc } : {}),
        ...(args.peer !== undefined && args.peer.length > 0 ? { syncPeers: args.peer } : {}),
      },
    });
    const child = await withLoaderEnv();
    if (child !== null) return void (process.exitCode = child);
    // Ctrl+C while starting: remembered, and the service stops as soon as it is up (a second forces).
    let interrupted = false;
    const offEarly = onShutdownSignal(() => void (interrupted = true));
    const service = await startMiningService({
      config,
      backend: backendKind(args),
      ...(threads !== undefined ? { threads } : {}),
      gpu,
      metricsAddress: args['metrics-address'],
      rpcAddress: args['rpc-address'],
      health: healthSettings(args),
    }).catch((e: unknown) => {
      offEarly();
      throw e;
    });
    if (interrupted) {
      offEarly();
      return service.stop();
    }
    // The running handler is in place before the early one goes: with no SIGINT listener at all,
    // even for an instant, a Ctrl+C would kill the process without its clean stop.
    const running = runUntilStopped(service);
    offEarly();
    await running;
  },
};
