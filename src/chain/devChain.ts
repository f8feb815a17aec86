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
import { SUBMIT_TOPIC, parseSubmitLog } from './flowEvents.js';
import { equalBytes } from '../bytes.js';
import type { FlowSubmission } from '../types.js';
import { supervisedLoop, sleep } from '../watchdog/loop.js';
import type { Watchdog } from '../watchdog/watchdog.js';
import { withDeadline } from '../watchdog/deadline.js';

/** A driven block that takes longer than this is logged and driven again (the watchdog's stall time). */
export const BLOCK_DRIVER_STALL_MS = 30_000;

export interface DevChain {
  deployment: Deployment;
  upload(sub: SubmissionNodes): Promise<FlowSubmission>;
  /**
   * Forgets the deployer's locally counted nonce (it is read from the chain again): after an upload
   * that was abandoned mid-way, the next send would otherwise leave a nonce gap and never be mined.
   */
  resyncNonce(): void;
  /**
   * The Submit event of an earlier upload of exactly these nodes from `fromBlock` on, else null:
   * after an upload whose receipt never came, it tells "landed" from "lost" so a retry never pays twice.
   */
  findSubmission(sub: SubmissionNodes, fromBlock: number): Promise<FlowSubmission | null>;
  /**
   * Starts driving blocks every `blockMs`; the returned function stops it (without waiting more
   * than a few seconds for a chain call that hangs). Under `watchdog`, a block that takes longer
   * than BLOCK_DRIVER_STALL_MS is logged and the driver restarted.
   */
  startBlockDriver(blockMs: number, log: (line: string) => void, watchdog?: Watchdog): () => Promise<void>;
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
    resyncNonce: () => admin.reset(),
    async findSubmission(sub, fromBlock) {
      const logs = await provider.getLogs({ address: deployment.flow, topics: [SUBMIT_TOPIC], fromBlock, toBlock: 'latest' });
      const same = (s: FlowSubmission): boolean =>
        s.sizeBytes === sub.length && s.nodes.length === sub.nodes.length && s.nodes.every((n, i) => n.height === sub.nodes[i]!.height && equalBytes(n.root, sub.nodes[i]!.root));
      for (const l of logs) {
        const s = parseSubmitLog(l);
        if (s !== null && same(s)) return s;
      }
      return null;
    },
    startBlockDriver(blockMs, log, watchdog) {
      const stop = new AbortController();
      // Epoch 0 exists from Flow.initialize; makeContext matters from epoch 1 on.
      let lastEpoch = 0n;
      const loop = supervisedLoop({
        name: 'block driver',
        stallMs: BLOCK_DRIVER_STALL_MS,
        signal: stop.signal,
        ...(watchdog ? { watchdog } : {}),
        iteration: async (signal) => {
          try {
            await mineBlocks(provider, 1);
            const n = BigInt(await provider.getBlockNumber());
            const epoch = n > firstBlock ? (n - firstBlock - 1n) / per : 0n;
            if (epoch > lastEpoch && !signal.aborted) {
              // makeContext() acts only when an epoch is due, so a try repeated after a restart is harmless.
              await withDeadline(makeContext(), BLOCK_DRIVER_STALL_MS, 'Flow.makeContext');
              lastEpoch = epoch;
              log(`block ${n}: epoch ${epoch} made (Flow.makeContext)`);
            }
          } catch (e) {
            if (!signal.aborted) log(`block driver: ${(e as Error).message.split('\n')[0]}`);
          }
        },
        between: (signal) => sleep(blockMs, signal),
        stopGraceMs: 2000,
      });
      return async () => {
        stop.abort();
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
