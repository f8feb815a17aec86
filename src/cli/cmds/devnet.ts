/**
 * `zg-miner devnet`: a local 0G network and a miner on it, in one command. Starts anvil
 * (127.0.0.1, free port), deploys the real contracts (market-enabled, beacon proxies), uploads
 * sample data paying the fees, advances epochs and mines with `--backend auto`, printing what it
 * does. `--exit-after-submissions N` exits 0 after N accepted answers; `--timeout S` exits 1.
 */
import { mkdtempSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/config.js';
import { backendKind, backendOptions, backendTuning, type BackendArgs } from '../backendOptions.js';
import { defaultContractsPath } from '../../chain/contracts.js';
import { startDevnet } from '../../devnet/devnet.js';
import type { AnvilNode } from '../../devnet/anvil.js';
import { DirDataSource } from '../../miner/dataSource.js';
import { MinerError, UsageError, isMinerError } from '../../errors.js';
import { withDeadline } from '../../watchdog/deadline.js';
import { toHex } from '../../bytes.js';
import { onShutdownSignal, startMiningService, withLoaderEnv, type MiningService } from './mine.js';
import { log } from '../../log/logger.js';
import { healthOptions, healthSettings, type HealthArgs } from '../healthOptions.js';
import { claimDataDir } from '../../store/dataDir.js';

interface DevnetArgs extends BackendArgs, HealthArgs {
  contracts?: string;
  'exit-after-submissions'?: number;
  timeout: number;
  'info-file'?: string;
  'data-dir'?: string;
  port?: number;
  'metrics-address': string;
  'rpc-address': string;
  files: number;
  'file-size': string;
  'block-ms': number;
}

/** The repo root from dist/src/cli/cmds or src/cli/cmds. */
function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'src')}`) ? resolve(here, '../../../..') : resolve(here, '../../..');
}

/** The longest one shutdown step (miner, devnet) may take before the exit goes on without it. */
const STOP_STEP_MS = 20_000;

async function stopStep(p: Promise<void> | undefined, what: string, ms: number): Promise<void> {
  if (!p) return;
  await withDeadline(p, ms, `stopping ${what}`).catch((e: unknown) => log.warn(`devnet: ${(e as Error).message}; exiting anyway`));
}

/** A forced exit's cleanup: synchronous, it cannot wait for anything. */
function forcedCleanup(anvil: AnvilNode | null, tempDir: string | null): void {
  anvil?.kill();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export const devnetCommand: CommandModule<object, DevnetArgs> = {
  command: 'devnet',
  describe: 'Local chain with the real 0G contracts, sample data and a miner (the quick start)',
  builder: (y: Argv<object>) =>
    healthOptions(backendOptions(y))
      .option('contracts', { type: 'string', describe: 'artifacts.json bundle or hardhat artifacts/ folder (default ../shared/zgs-contracts/artifacts.json)' })
      .option('exit-after-submissions', { type: 'number', describe: 'exit 0 after this many accepted answers' })
      .option('timeout', { type: 'number', default: 600, describe: 'seconds before giving up (exit 1)' })
      .option('info-file', { type: 'string', describe: 'write {chainRpc, chainId, flow, flowDeployBlock, mine, market, reward, minerId, metrics, dashboard, zgsRpc} here once mining' })
      .option('data-dir', { type: 'string', describe: 'miner data dir (default: a new temp dir, removed on exit)' })
      .option('port', { type: 'number', describe: 'anvil port (default: a free one)' })
      .option('metrics-address', { type: 'string', default: '127.0.0.1:0', describe: 'host:port of /metrics (port 0 = free)' })
      .option('rpc-address', { type: 'string', default: '127.0.0.1:0', describe: 'host:port of the zgs JSON-RPC (port 0 = free; none = off): the 0G SDK uploads and downloads here, other miners sync from it' })
      .option('files', { type: 'number', default: 4, describe: 'sample files to upload' })
      .option('file-size', { type: 'string', default: '256K', describe: 'bytes per sample file (suffix K, M or G: 1024-based), e.g. --files 8 --file-size 256M for 2 GiB' })
      .option('block-ms', { type: 'number', default: 250, describe: 'milliseconds between driven blocks' }) as unknown as Argv<DevnetArgs>,
  handler: async (args) => {
    const fileSize = parseSize(args['file-size']);
    const tuning = backendTuning(args);
    const health = healthSettings(args);
    const child = await withLoaderEnv();
    if (child !== null) return void (process.exitCode = child);
    const contractsPath = args.contracts !== undefined ? resolve(args.contracts) : defaultContractsPath(repoRoot());
    const tempDir = args['data-dir'] === undefined ? mkdtempSync(join(tmpdir(), 'zg-devnet-')) : null;
    const dataDir = resolve(args['data-dir'] ?? tempDir!);
    // Each devnet is a new chain: an earlier devnet's id and store mean nothing on it, so a used
    // dir is refused before anything starts (it used to be half overwritten, then fail).
    if (args['data-dir'] !== undefined)
      claimDataDir(dataDir, { requireFresh: 'holds an earlier run (each devnet is a new chain, so its miner id and store are void here); give devnet a new or empty --data-dir, or leave it out for a temp dir' });
    const deadline = Date.now() + args.timeout * 1000;
    let service: MiningService | null = null;
    let accepted = 0;
    let finish!: (code: number, reason?: string) => void;
    const done = new Promise<{ code: number; reason?: string }>((r) => {
      finish = (code, reason) => r(reason === undefined ? { code } : { code, reason });
    });
    let anvil: AnvilNode | null = null;
    let setupDone = false;
    const timer = setTimeout(() => {
      const reason = `devnet: timed out after ${args.timeout} s with ${accepted} accepted answer(s)${args['exit-after-submissions'] ? ` of ${args['exit-after-submissions']}` : ''}`;
      if (setupDone) return finish(1, reason);
      // Still deploying or starting the miner: nothing awaits `done` yet, so stop anvil and leave.
      process.stderr.write(`${reason} (during setup)\n`);
      void (anvil?.stop() ?? Promise.resolve()).finally(() => {
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
        process.exit(1);
      });
    }, args.timeout * 1000);
    // Ctrl+C during setup stops the setup at once; once mining, it stops the miner. A second
    // Ctrl+C forces the exit, still killing anvil and removing the temp dir.
    const setup = new AbortController();
    const offSignal = onShutdownSignal(
      () => (setupDone ? finish(0) : setup.abort()),
      log,
      () => forcedCleanup(anvil, tempDir)
    );
    log.info(`devnet: contracts from ${contractsPath}, data dir ${dataDir}`);
    const source = new DirDataSource(join(dataDir, 'files'));
    let devnet: Awaited<ReturnType<typeof startDevnet>>;
    try {
      devnet = await startDevnet({
        contractsPath,
        ...(args.port !== undefined ? { port: args.port } : {}),
        files: args.files,
        fileSize,
        // Each file goes to the miner's files/ dir as soon as it is on chain (never all in memory).
        onUpload: (u) => source.put(u.submission.txSeq, u.data),
        blockMs: args['block-ms'],
        log: log.info,
        warn: log.warn,
        signal: setup.signal,
        onAnvil: (a) => {
          anvil = a;
        },
      });
    } catch (e) {
      clearTimeout(timer);
      offSignal();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      if (!isMinerError(e, 'INTERRUPTED')) throw e;
      process.stderr.write(`devnet: interrupted during setup; anvil stopped\n`);
      process.exitCode = 130;
      return;
    }
    try {
      const d = devnet.deployment;
      const config = loadConfig({
        overrides: {
          rpcEndpoint: devnet.anvil.rpcUrl,
          logContractAddress: d.flow,
          mineContractAddress: d.mine,
          rewardContractAddress: d.reward,
          minerKey: devnet.minerKey,
          dataDir,
          mineContextQuerySeconds: 1,
          mineIterBatchSize: 64,
        },
      });
      if (Date.now() > deadline) throw new MinerError('TIMEOUT', `devnet: timed out after ${args.timeout} s while deploying`);
      if (setup.signal.aborted) throw new MinerError('INTERRUPTED', 'devnet: interrupted during setup');
      service = await startMiningService({
        config,
        backend: backendKind(args),
        ...(tuning.threads !== undefined ? { threads: tuning.threads } : {}),
        gpu: tuning.gpu,
        metricsAddress: args['metrics-address'],
        rpcAddress: args['rpc-address'],
        flowStartBlock: d.flowDeployBlock,
        syncSeconds: 1,
        log,
        health,
        onSubmission: (o) => {
          if (o.result !== 'accepted') return;
          accepted++;
          log.info(`devnet: accepted answer ${accepted}${args['exit-after-submissions'] ? `/${args['exit-after-submissions']}` : ''}`);
          if (args['exit-after-submissions'] !== undefined && accepted >= args['exit-after-submissions']) finish(0);
        },
      });
      const svc = service;
      if (setup.signal.aborted) finish(130, 'devnet: interrupted during setup');
      void svc.miner.stopped.then(() => finish(1, 'devnet: the miner stopped on an error (see above)'));
      if (args['info-file'] !== undefined) {
        const info = {
          chainRpc: devnet.anvil.rpcUrl,
          chainId: devnet.chainId,
          flow: d.flow,
          mine: d.mine,
          market: d.market,
          reward: d.reward,
          minerId: toHex(svc.minerId),
          metrics: svc.metricsUrl,
          dashboard: svc.metricsUrl.replace(/metrics$/, ''),
          flowDeployBlock: d.flowDeployBlock,
          zgsRpc: svc.rpcUrl,
        };
        writeAtomically(resolve(args['info-file']), `${JSON.stringify(info, null, 2)}\n`);
        log.info(`devnet: wrote ${resolve(args['info-file'])}`);
      }
      setupDone = true;
      log.info(`devnet: mining; rpc ${devnet.anvil.rpcUrl}, metrics ${svc.metricsUrl}`);
      const { code, reason } = await done;
      if (reason) process.stderr.write(`${reason}\n`);
      process.exitCode = code;
    } finally {
      clearTimeout(timer);
      // Each stop step is bounded: a hung one is logged and the next runs, so the exit comes.
      await stopStep(service?.stop(), 'the miner', STOP_STEP_MS);
      await stopStep(devnet.stop(), 'the block driver and anvil', STOP_STEP_MS);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      offSignal();
    }
  },
};

/** "256K", "64M", "1G" (1024-based) or plain bytes → bytes. @throws UsageError on anything else. */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(text.trim());
  const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 31) throw new UsageError(`--file-size: expected bytes with an optional K, M or G suffix (at most 2G), got ${JSON.stringify(text)}`);
  return n;
}
