/**
 * The `VerifyView` of verify/verifyAnswer.ts read from chain for one answer: the worker context
 * of the answer's miner id (as computeWorkerContext gives it now), the seal/proof settings, the
 * epoch range of its sealedContextDigest and whether its miner id is registered.
 */
import type { PoraAnswer, VerifyView } from '../types.js';
import { isZero } from '../bytes.js';
import type { ChainClient } from './chainClient.js';

export async function readVerifyView(client: ChainClient, answer: PoraAnswer): Promise<VerifyView> {
  const registered = isZero(answer.minerId) ? true : await client.isRegistered(answer.minerId);
  // computeWorkerContext reverts for an unregistered or zero id; the verdict is decided before
  // the context is used then, so any registered id's context does (the flow context is shared).
  const wc = registered && !isZero(answer.minerId) ? await client.computeWorkerContext(answer.minerId) : null;
  const ctx = wc?.context ?? (await client.simulatedContext());
  const settings = await client.settings();
  const range = await client.getEpochRange(answer.sealedContextDigest);
  return {
    context: { digest: ctx.digest, flowRoot: ctx.flowRoot, flowLength: ctx.flowLength },
    poraTarget: wc?.poraTarget ?? 0n,
    subtaskDigest: wc?.subtaskDigest ?? new Uint8Array(32),
    maxShards: wc?.maxShards ?? 0n,
    sealDataEnabled: settings.sealDataEnabled,
    dataProofEnabled: settings.dataProofEnabled,
    sealedContextRange: range.start === 0n && range.end === 0n ? null : range,
    minerRegistered: registered,
  };
}
