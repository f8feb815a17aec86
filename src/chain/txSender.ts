/**
 * Sends one legacy transaction of this process's account and waits for its receipt (spec §7.7's
 * `submit_with_retry`): the nonce comes from the account's NonceSequence, a send refused for its
 * price ("underpriced", "fee too low", mempool, timeout) is re-sent at a bumped price, and a
 * receipt that does not come in time gets a replacement: the same nonce at a bumped price. Every
 * hash sent for the nonce is remembered, so when a replacement finds the nonce used ("nonce too
 * low", "already been used") the receipt of whichever of them was mined is the outcome.
 */
import { isError, type TransactionReceipt, type TransactionResponse } from 'ethers';
import { MinerError } from '../errors.js';
import type { NonceSequence } from './nonceSequence.js';

export interface SendPolicy {
  initialGasPrice?: bigint;
  maxGasPrice?: bigint;
  /** Gas price multiplier per bump, in tenths (11 = ×1.1). */
  gasIncreaseFactor: number;
  maxRetries: number;
  intervalSecs: number;
  /** Milliseconds to wait for a receipt before a replacement (default intervalSecs × 15 s, at least 15 s). */
  receiptTimeoutMs?: number;
  onBump?: (gasPrice: bigint, error: string) => void;
}

export interface TxSource {
  nonces: NonceSequence;
  gasPrice(): Promise<bigint>;
  receipt(hash: string): Promise<TransactionReceipt | null>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function bumpGasPrice(price: bigint, policy: Pick<SendPolicy, 'gasIncreaseFactor' | 'maxGasPrice'>): bigint {
  const next = (price * BigInt(policy.gasIncreaseFactor)) / 10n;
  const raised = next > price ? next : price + 1n;
  return policy.maxGasPrice !== undefined && raised > policy.maxGasPrice ? policy.maxGasPrice : raised;
}

const firstLine = (e: unknown): string => ((e as { shortMessage?: string }).shortMessage ?? (e as Error).message ?? String(e)).split('\n')[0] ?? '';

/** Send errors a higher gas price can fix. */
export function isRetryableSend(e: unknown): boolean {
  if (isError(e, 'REPLACEMENT_UNDERPRICED') || isError(e, 'TIMEOUT')) return true;
  const m = ((e as Error).message ?? '').toLowerCase();
  return m.includes('mempool') || m.includes('underpriced') || m.includes('timeout') || m.includes('already known') || m.includes('base fee') || m.includes('fee too low');
}

/** Send errors meaning the nonce is no longer free: a transaction with it was mined. */
export function isNonceUsed(e: unknown): boolean {
  if (isError(e, 'NONCE_EXPIRED')) return true;
  const m = ((e as Error).message ?? '').toLowerCase();
  return m.includes('nonce too low') || m.includes('nonce has already been used') || m.includes('nonce is too low');
}

/**
 * Sends through `send` and returns the mined receipt (status 1 or 0). A revert of the send or of
 * the mined transaction surfaces as ethers' CALL_EXCEPTION, as from ethers itself.
 * @throws {MinerError} CHAIN_ERROR when no receipt came after every retry.
 */
export async function sendWithReplacement(
  src: TxSource,
  send: (o: { nonce: number; gasPrice: bigint; gasLimit?: bigint }) => Promise<TransactionResponse>,
  policy: SendPolicy
): Promise<TransactionReceipt> {
  let gasPrice = policy.initialGasPrice ?? (await src.gasPrice());
  const sent: string[] = [];
  let attempts = 0;
  const bump = async (e: unknown): Promise<void> => {
    if (++attempts > policy.maxRetries) throw e;
    gasPrice = bumpGasPrice(gasPrice, policy);
    policy.onBump?.(gasPrice, firstLine(e));
    await sleep(policy.intervalSecs * 1000);
  };
  /** The receipt of any transaction sent for this nonce, if one was mined. */
  const minedOne = async (): Promise<TransactionReceipt | null> => {
    for (const h of sent) {
      const r = await src.receipt(h);
      if (r) return r;
    }
    return null;
  };
  // The first broadcast holds the account's sequence, so no other send can take this nonce.
  let nonce = -1;
  let tx = await src.nonces.use(async (n) => {
    nonce = n;
    for (;;) {
      try {
        return await send({ nonce, gasPrice });
      } catch (e) {
        if (!isRetryableSend(e)) throw e;
        await bump(e);
      }
    }
  });
  sent.push(tx.hash);
  // Replacements keep the first send's gas limit: estimating again would run against a pending
  // state that already holds the first send (and revert where the call succeeds once only).
  const gasLimit = tx.gasLimit;
  const timeoutMs = policy.receiptTimeoutMs ?? Math.max(1, policy.intervalSecs) * 15_000;
  for (;;) {
    try {
      const receipt = await tx.wait(1, timeoutMs);
      if (receipt) return receipt;
    } catch (e) {
      if (isError(e, 'TRANSACTION_REPLACED') && e.receipt && sent.includes(e.replacement.hash)) return e.receipt;
      if (!isError(e, 'TIMEOUT')) throw e;
      const mined = await minedOne();
      if (mined) return mined;
      await bump(e);
    }
    // No receipt in time: replace it (same nonce, higher price).
    for (;;) {
      try {
        tx = await send({ nonce, gasPrice, gasLimit });
        sent.push(tx.hash);
        break;
      } catch (e) {
        if (isNonceUsed(e)) {
          const mined = await minedOne();
          if (mined) return mined;
          throw new MinerError('CHAIN_ERROR', `nonce ${nonce} was used by another transaction of this key (is it used by another program?)`, { cause: e });
        }
        if (!isRetryableSend(e)) throw e;
        await bump(e);
      }
    }
  }
}
