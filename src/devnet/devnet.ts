/**
 * A throw-away local 0G network for `zg-miner devnet`: anvil on 127.0.0.1, the real contracts
 * (market-enabled set behind beacon proxies), sample files uploaded through `Flow.submit` with
 * their fees, and a block driver that keeps blocks and epochs advancing.
 */
import { randomBytes } from 'node:crypto';
import { startAnvil, type AnvilNode } from './anvil.js';
import { loadContracts } from '../chain/contracts.js';
import type { Deployment, MineParams } from '../chain/deploy.js';
import { deployDevChain } from '../chain/devChain.js';
import type { FlowSubmission } from '../types.js';
import { nodeRootsFor } from '../miner/dataSource.js';
import { BYTES_PER_LOAD } from '../spec.js';

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
  /** Sample files of 256 KiB each. */
  files: number;
  /** Milliseconds between driven blocks. */
  blockMs: number;
  log: (line: string) => void;
  /** Called as soon as anvil runs, so a caller can stop it even if deployment never finishes. */
  onAnvil?: (anvil: AnvilNode) => void;
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
  const anvil = await startAnvil({ ...(o.port !== undefined ? { port: o.port } : {}), log: o.log });
  o.onAnvil?.(anvil);
  let stopDriver: (() => Promise<void>) | null = null;
  let destroy: (() => void) | null = null;
  const stop = async (): Promise<void> => {
    await stopDriver?.();
    destroy?.();
    await anvil.stop();
  };
  try {
    const dev = await deployDevChain(anvil.rpcUrl, anvil.keys[0]!, set, {
      mineParams: DEVNET_MINE_PARAMS,
      blocksPerEpoch: DEVNET_BLOCKS_PER_EPOCH,
      log: o.log,
    });
    destroy = dev.destroy;
    const uploads: Devnet['uploads'] = [];
    for (let i = 0; i < o.files; i++) {
      const data = new Uint8Array(randomBytes(BYTES_PER_LOAD));
      const submission = await dev.upload({ length: BigInt(data.length), nodes: [{ root: nodeRootsFor(data, [10])[0]!, height: 10 }] });
      uploads.push({ submission, data });
      o.log(
        `uploaded sample file ${i + 1}/${o.files}: tx ${submission.txSeq}, sectors [${submission.startPos}, ${submission.startPos + submission.lengthSectors}), fee ${submission.lengthSectors * dev.deployment.pricePerSector} wei`
      );
    }
    stopDriver = dev.startBlockDriver(o.blockMs, o.log);
    return { anvil, deployment: dev.deployment, chainId: anvil.chainId, minerKey: anvil.keys[1]!, uploads, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
