/**
 * `Flow.submit` for data this process uploads itself (devnet, tests): pays
 * Σ 2^height × pricePerSector as the market requires and returns where the data landed.
 */
import { Contract, hexlify, type Signer } from 'ethers';
import type { Bytes32, FlowSubmission } from '../types.js';
import { MinerError } from '../errors.js';
import { MARKET_ABI } from './abi.js';
import { flowIface, parseSubmitLog } from './flowEvents.js';
import { Interface } from 'ethers';

export interface SubmissionNodes {
  /** File size in bytes. */
  length: bigint;
  tags?: Uint8Array;
  nodes: { root: Bytes32; height: number }[];
}

/** Submits one file's nodes to the Flow and returns its Submit event. */
export async function submitToFlow(flowAddress: string, signer: Signer, sub: SubmissionNodes): Promise<FlowSubmission> {
  const flow = new Contract(flowAddress, flowIface, signer);
  const marketAddr = (await flow.getFunction('market').staticCall()) as string;
  const market = new Contract(marketAddr, new Interface(MARKET_ABI), signer);
  const price = (await market.getFunction('pricePerSector').staticCall()) as bigint;
  const sectors = sub.nodes.reduce((s, n) => s + (1n << BigInt(n.height)), 0n);
  const arg = [
    [sub.length, hexlify(sub.tags ?? new Uint8Array()), sub.nodes.map((n) => [hexlify(n.root), BigInt(n.height)])],
    await signer.getAddress(),
  ];
  const tx = await flow.getFunction('submit').send(arg, { value: sectors * price });
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new MinerError('CHAIN_ERROR', 'Flow.submit transaction failed');
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== flowAddress.toLowerCase()) continue;
    const submission = parseSubmitLog(log);
    if (submission !== null) return submission;
  }
  throw new MinerError('CHAIN_ERROR', 'Flow.submit receipt has no Submit event');
}
