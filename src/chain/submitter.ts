/**
 * Answer submission (spec §7.7): a `staticCall` first (a revert costs nothing and its reason is
 * reported), then a legacy transaction (txSender.ts: the account's one nonce sequence, gas
 * bumping per `[submission_config]`, replacement when no receipt comes) with a gas limit 20 % over
 * `estimateGas` (an exact estimate was seen to revert behind beacon proxies), then the receipt. Every outcome is one of accepted / reverted(reason) / stale / error.
 */
import type { Bytes32, PoraAnswer, SubmitResult } from '../types.js';
import { MinerError } from '../errors.js';
import { answerToAbi, revertReason, type ChainClient } from './chainClient.js';
import { sendWithReplacement, type SendPolicy } from './txSender.js';

/** `[submission_config]` of the node config (gas values in wei); bumping as in txSender.ts. */
export interface SubmitPolicy extends SendPolicy {
  maxGas?: bigint;
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
    const limit = gasLimit;
    // One nonce sequence per account (txSender.ts): concurrent answers never share a nonce.
    const receipt = await sendWithReplacement(client.txSource(), (o) => submit.send(...args, { type: 0, gasLimit: limit, ...o }), policy);
    if (receipt.status === 1) return { result: 'accepted', txHash: receipt.hash, gasUsed: receipt.gasUsed };
    return { result: 'reverted', reason: 'transaction reverted on chain', txHash: receipt.hash };
  } catch (e) {
    const r = revertReason(e);
    if (r !== null) return { result: STALE_REASONS.has(r) ? 'stale' : 'reverted', reason: r };
    const msg = e instanceof MinerError ? e.message : ((e as { shortMessage?: string }).shortMessage ?? (e as Error).message);
    return { result: 'error', reason: msg.split('\n')[0] ?? 'unknown error' };
  }
}
