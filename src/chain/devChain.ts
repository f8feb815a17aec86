/**
 * A local development chain seen from the deployer's side (devnet command, e2e tests): the
 * deployed contract set, uploads through `Flow.submit` with fees, and a block driver that keeps
 * blocks coming (anvil only mines on transactions) and materialises each new epoch with
 * `Flow.makeContext()` so its data gets a sealing digest. Never used against a real chain.
 */
import { Contract, Interface, JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import type { ContractSet } from './contracts.js';
import { deployMarketEnabled, type DeployOptions, type Deployment } from './deploy.js';
import { submitToFlow, type SubmissionNodes } from './flowUpload.js';
import { mineBlocks } from './blocks.js';
import { FLOW_ABI } from './abi.js';
import type { FlowSubmission } from '../types.js';

export interface DevChain {
  deployment: Deployment;
  upload(sub: SubmissionNodes): Promise<FlowSubmission>;
  /** Starts driving blocks every `blockMs`; the returned function stops it. */
  startBlockDriver(blockMs: number, log: (line: string) => void): () => Promise<void>;
  /** Mines blocks to the next epoch start and makes that epoch now. */
  advanceEpoch(): Promise<void>;
  destroy(): void;
}

export async function deployDevChain(rpcUrl: string, adminKey: string, set: ContractSet, opts: DeployOptions): Promise<DevChain> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  provider.pollingInterval = 100;
  const admin = new NonceManager(new Wallet(adminKey, provider));
  let deployment: Deployment;
  try {
    deployment = await deployMarketEnabled(set, admin, opts);
  } catch (e) {
    provider.destroy();
    throw e;
  }
  const flow = new Contract(deployment.flow, new Interface(FLOW_ABI), admin);
  const firstBlock = (await flow.getFunction('firstBlock').staticCall()) as bigint;
  const per = deployment.blocksPerEpoch;
  const makeContext = async (): Promise<void> => {
    const tx = await flow.getFunction('makeContext').send();
    await tx.wait();
  };
  return {
    deployment,
    upload: (sub) => submitToFlow(deployment.flow, admin, sub),
    startBlockDriver(blockMs, log) {
      let stopped = false;
      // Epoch 0 exists from Flow.initialize; makeContext matters from epoch 1 on.
      let lastEpoch = 0n;
      const loop = (async () => {
        while (!stopped) {
          try {
            await mineBlocks(provider, 1);
            const n = BigInt(await provider.getBlockNumber());
            const epoch = n > firstBlock ? (n - firstBlock - 1n) / per : 0n;
            if (epoch > lastEpoch) {
              await makeContext();
              lastEpoch = epoch;
              log(`block ${n}: epoch ${epoch} made (Flow.makeContext)`);
            }
          } catch (e) {
            if (!stopped) log(`block driver: ${(e as Error).message.split('\n')[0]}`);
          }
          await new Promise((r) => setTimeout(r, blockMs));
        }
      })();
      return async () => {
        stopped = true;
        await loop;
      };
    },
    async advanceEpoch() {
      const n = BigInt(await provider.getBlockNumber());
      const next = n <= firstBlock ? firstBlock + per : firstBlock + ((n - firstBlock - 1n) / per + 1n) * per;
      await mineBlocks(provider, Number(next - n));
      await makeContext();
    },
    destroy: () => provider.destroy(),
  };
}
