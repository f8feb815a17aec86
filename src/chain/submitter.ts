/**
 * Answer submission (spec §7.7): a `staticCall` first (a revert costs nothing and its reason is
 * reported), then a legacy transaction with gas bumping per `[submission_config]` and a gas
 * limit 20 % over `estimateGas` (an exact estimate was seen to revert behind beacon proxies),
 * then the receipt. Every outcome is one of accepted / reverted(reason) / stale / error.
 */
import { isError, type TransactionResponse } from 'ethers';
import type { Bytes32, PoraAnswer, SubmitResult } from '../types.js';
import { MinerError } from '../errors.js';
import { answerToAbi, revertReason, type ChainClient } from './chainClient.js';

/** `[submission_config]` of the node config (gas values in wei). */
export interface SubmitPolicy {
  initialGasPrice?: bigint;
  maxGasPrice?: bigint;
  maxGas?: bigint;
  /** Gas price multiplier per bump, in tenths (11 = ×1.1). */
  gasIncreaseFactor: number;
  maxRetries: number;
  intervalSecs: number;
  /** Called before each re-send with the bumped price and the send error (for logs/tests). */
  onBump?: (gasPrice: bigint, error: string) => void;
}

export const DEFAULT_SUBMIT_POLICY: SubmitPolicy = { gasIncreaseFactor: 11, maxRetries: 5, intervalSecs: 2 };

export interface SubmitOutcome {
  result: SubmitResult;
  reason?: string;
  txHash?: string;
  gasUsed?: bigint;
}

/** Reasons meaning the answer's window or epoch has passed: nothing was wrong with it. */
const STALE_REASONS = new Set(['Inconsistent mining digest', 'Mine deadline exceed', 'Epoch has enough submissions']);

/** The digest that sealed the seal at `recallPosition`: its last sector's epoch range (spec §5.2, §5.4). */
export async function sealedContextDigestFor(client: ChainClient, recallPosition: bigint): Promise<Bytes32> {
  return (await client.queryContextAtPosition(recallPosition + 15n)).digest;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function bump(price: bigint, policy: SubmitPolicy): bigint {
  const next = (price * BigInt(policy.gasIncreaseFactor)) / 10n;
  const raised = next > price ? next : price + 1n;
  return policy.maxGasPrice !== undefined && raised > policy.maxGasPrice ? policy.maxGasPrice : raised;
}

/** True for send errors that a higher gas price can fix (mempool replacement, timeouts). */
function isRetryableSend(e: unknown): boolean {
  if (isError(e, 'REPLACEMENT_UNDERPRICED') || isError(e, 'TIMEOUT') || isError(e, 'NONCE_EXPIRED')) return true;
  const m = ((e as Error).message ?? '').toLowerCase();
  return (
    m.includes('mempool') ||
    m.includes('underpriced') ||
    m.includes('timeout') ||
    m.includes('already known') ||
    m.includes('base fee') ||
    m.includes('fee too low')
  );
}

/** Submits `answer`; never throws for chain-side outcomes (they are returned). */
export async function submitAnswer(client: ChainClient, answer: PoraAnswer, policy: SubmitPolicy = DEFAULT_SUBMIT_POLICY): Promise<SubmitOutcome> {
  const wallet = client.requireWallet('submit');
  let reason: string | null;
  try {
    reason = await client.staticSubmit(answer, wallet.address);
  } catch (e) {
    return { result: 'error', reason: (e as Error).message };
  }
  if (reason !== null) return { result: STALE_REASONS.has(reason) ? 'stale' : 'reverted', reason };
  const submit = client.mine.getFunction('submit');
  const args = [answerToAbi(answer)];
  try {
    let gasLimit = policy.maxGas;
    if (gasLimit === undefined) {
      const est = await submit.estimateGas(...args, { from: wallet.address });
      gasLimit = (est * 12n) / 10n;
    }
    let gasPrice = policy.initialGasPrice ?? (await client.provider.getFeeData()).gasPrice ?? 1_000_000_000n;
    const nonce = await client.provider.getTransactionCount(wallet.address, 'pending');
    let tx: TransactionResponse | null = null;
    for (let attempt = 0; attempt <= policy.maxRetries; attempt++) {
      try {
        tx = await submit.send(...args, { type: 0, gasPrice, gasLimit, nonce });
        const receipt = await tx.wait(1, Math.max(1, policy.intervalSecs) * 1000 * 15);
        if (receipt && receipt.status === 1) return { result: 'accepted', txHash: receipt.hash, gasUsed: receipt.gasUsed };
        return { result: 'reverted', reason: 'transaction reverted on chain', txHash: tx.hash };
      } catch (e) {
        if (isError(e, 'CALL_EXCEPTION')) {
          const r = revertReason(e) ?? 'transaction reverted on chain';
          return { result: STALE_REASONS.has(r) ? 'stale' : 'reverted', reason: r, ...(tx ? { txHash: tx.hash } : {}) };
        }
        if (!isRetryableSend(e) || attempt === policy.maxRetries) throw e;
        gasPrice = bump(gasPrice, policy);
        policy.onBump?.(gasPrice, (e as Error).message.split('\n')[0] ?? '');
        await sleep(policy.intervalSecs * 1000);
      }
    }
    return { result: 'error', reason: 'no receipt after all retries' };
  } catch (e) {
    const r = revertReason(e);
    if (r !== null) return { result: STALE_REASONS.has(r) ? 'stale' : 'reverted', reason: r };
    const msg = e instanceof MinerError ? e.message : ((e as { shortMessage?: string }).shortMessage ?? (e as Error).message);
    return { result: 'error', reason: msg.split('\n')[0] ?? 'unknown error' };
  }
}
