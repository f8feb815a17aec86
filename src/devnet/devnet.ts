/**
 * A throw-away local 0G network for `zg-miner devnet`: anvil on 127.0.0.1, the real contracts
 * (market-enabled set behind beacon proxies), sample files uploaded through `Flow.submit` with
 * their fees, and a block driver that keeps blocks and epochs advancing.
 */
import { randomBytes } from 'node:crypto';
import { startAnvil, type AnvilNode } from './anvil.js';
import { loadContracts } from '../chain/contracts.js';
import type { Deployment, MineParams } from '../chain/deploy.js';
import { deployDevChain, type DevChain } from '../chain/devChain.js';
import type { SubmissionNodes } from '../chain/flowUpload.js';
import type { FlowSubmission } from '../types.js';
import { hashFile } from '../store/loadHash.js';
import { paddedChunks, splitNodes } from '../core/fileRoot.js';
import { BYTES_PER_LOAD } from '../spec.js';
import { isMinerError } from '../errors.js';
import { unlessAborted, withDeadline } from '../watchdog/deadline.js';
import { Watchdog } from '../watchdog/watchdog.js';

/** One sample upload (send + receipt) that takes longer than this is logged and tried again. */
export const UPLOAD_TIMEOUT_MS = 10_000;
export const UPLOAD_TRIES = 3;

/**
 * One upload that cannot freeze the setup: each try has a deadline; after one that passes with no
 * receipt (ethers' receipt wait can miss a block on an otherwise idle anvil and wait forever), the
 * chain is asked whether the upload landed, and it is sent again only if not, so a retry never
 * pays twice. One warning per late try. @throws {MinerError} TIMEOUT after UPLOAD_TRIES tries.
 */
export async function uploadWithRetry(
  dev: Pick<DevChain, 'upload' | 'findSubmission' | 'resyncNonce'>,
  nodes: SubmissionNodes,
  o: { fromBlock: number; timeoutMs: number; what: string; warn: (line: string) => void }
): Promise<FlowSubmission> {
  for (let t = 1; ; t++) {
    try {
      return await withDeadline(dev.upload(nodes), o.timeoutMs, `uploading ${o.what}`);
    } catch (e) {
      if (!isMinerError(e, 'TIMEOUT') || t >= UPLOAD_TRIES) throw e;
      const landed = await withDeadline(dev.findSubmission(nodes, o.fromBlock), o.timeoutMs, `looking for ${o.what} on chain`);
      o.warn(`devnet: ${e.message}; ${landed ? `it landed (tx ${landed.txSeq})` : `it did not land; sending it again (try ${t + 1}/${UPLOAD_TRIES})`}`);
      if (landed) return landed;
      dev.resyncNonce();
    }
  }
}

/**
 * Window/epoch math (zgs-contracts README): (nSubtasks−1)·interval + targetMineBlocks + 1 =
 * 56 < 60 blocks per epoch; difficulty 5000 makes a CPU hit a matter of seconds with a few loads.
 */
export const DEVNET_MINE_PARAMS: MineParams = {
  difficulty: 5000n,
  targetMineBlocks: 30n,
  targetSubmissions: 10n,
  maxShards: 32n,
  nSubtasks: 2n,
  subtaskInterval: 25n,
};
export const DEVNET_BLOCKS_PER_EPOCH = 60n;

export interface DevnetOptions {
  contractsPath: string;
  port?: number;
  /** Sample files to upload. */
  files: number;
  /** Bytes per sample file (default 256 KiB, one load). */
  fileSize?: number;
  /**
   * Receives each uploaded file as soon as it is on chain (e.g. to write it where the miner reads
   * it); with it, `uploads` keeps no file bytes, so GiBs of sample data never sit in memory.
   */
  onUpload?: (u: { submission: FlowSubmission; data: Uint8Array }) => Promise<void>;
  /** Milliseconds between driven blocks. */
  blockMs: number;
  log: (line: string) => void;
  /** Called as soon as anvil runs, so a caller can stop it even if deployment never finishes. */
  onAnvil?: (anvil: AnvilNode) => void;
  /** Aborting it (Ctrl+C) stops the setup at once: anvil is stopped and MinerError INTERRUPTED thrown. */
  signal?: AbortSignal;
  /** Where the watchdog over the block driver warns (default `log`). */
  warn?: (line: string) => void;
  /** Per-upload deadline, ms (default UPLOAD_TIMEOUT_MS; tests shorten it). */
  uploadTimeoutMs?: number;
}

export interface Devnet {
  anvil: AnvilNode;
  deployment: Deployment;
  chainId: number;
  minerKey: string;
  uploads: { submission: FlowSubmission; data: Uint8Array }[];
  stop(): Promise<void>;
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const set = loadContracts(o.contractsPath);
  const step = <T>(p: Promise<T>, what: string): Promise<T> => unlessAborted(p, o.signal, `devnet setup (${what})`);
  const starting = startAnvil({ ...(o.port !== undefined ? { port: o.port } : {}), log: o.log });
  const anvil = await step(starting, 'starting anvil').catch(async (e: unknown) => {
    // Interrupted while anvil was starting: stop it if it comes up after all.
    void starting.then((a) => a.stop()).catch(() => {});
    throw e;
  });
  o.onAnvil?.(anvil);
  const watchdog = new Watchdog({ log: { warn: o.warn ?? o.log } });
  let stopDriver: (() => Promise<void>) | null = null;
  let destroy: (() => void) | null = null;
  const stop = async (): Promise<void> => {
    watchdog.stop();
    await stopDriver?.();
    destroy?.();
    await anvil.stop();
  };
  try {
    const dev = await step(
      deployDevChain(anvil.rpcUrl, anvil.keys[0]!, set, {
        mineParams: DEVNET_MINE_PARAMS,
        blocksPerEpoch: DEVNET_BLOCKS_PER_EPOCH,
        log: o.log,
      }),
      'deploying the contracts'
    );
    destroy = dev.destroy;
    const uploads: Devnet['uploads'] = [];
    const timeout = o.uploadTimeoutMs ?? UPLOAD_TIMEOUT_MS;
    let fromBlock = dev.deployment.flowDeployBlock;
    const size = o.fileSize ?? BYTES_PER_LOAD;
    const heights = splitNodes(paddedChunks(size));
    for (let i = 0; i < o.files; i++) {
      const data = new Uint8Array(randomBytes(size));
      // Node roots hashed in wasm on every core: a few GiB of sample data take seconds, not minutes.
      const roots = (await hashFile(data, heights)).nodeRoots;
      const nodes = { length: BigInt(data.length), nodes: heights.map((height, k) => ({ root: roots[k]!, height })) };
      const submission = await step(
        uploadWithRetry(dev, nodes, { fromBlock, timeoutMs: timeout, what: `sample file ${i + 1}/${o.files}`, warn: o.warn ?? o.log }),
        `uploading sample file ${i + 1}/${o.files}`
      );
      fromBlock = submission.blockNumber;
      if (o.onUpload) {
        await o.onUpload({ submission, data });
        uploads.push({ submission, data: new Uint8Array(0) });
      } else uploads.push({ submission, data });
      o.log(
        `uploaded sample file ${i + 1}/${o.files}: tx ${submission.txSeq}, sectors [${submission.startPos}, ${submission.startPos + submission.lengthSectors}), fee ${submission.lengthSectors * dev.deployment.pricePerSector} wei`
      );
    }
    watchdog.start();
    stopDriver = dev.startBlockDriver(o.blockMs, o.log, watchdog);
    return { anvil, deployment: dev.deployment, chainId: anvil.chainId, minerKey: anvil.keys[1]!, uploads, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
