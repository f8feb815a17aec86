/**
 * The chain calls the mining service makes, bound to one ChainClient and submit policy
 * (structurally the `MinerChain` port of miner/ports.ts; chain/ does not import miner/).
 */
import type { Bytes32, PoraAnswer } from '../types.js';
import type { ChainClient } from './chainClient.js';
import { sealedContextDigestFor, submitAnswer, DEFAULT_SUBMIT_POLICY, type SubmitPolicy } from './submitter.js';

export function bindMinerChain(client: ChainClient, policy: SubmitPolicy = DEFAULT_SUBMIT_POLICY) {
  return {
    blockNumber: () => client.blockNumber(),
    computeWorkerContext: (minerId: Bytes32) => client.computeWorkerContext(minerId),
    submissions: (from: number, to: number) => client.submissions(from, to),
    epochRangesFrom: (index: number) => client.epochRangesFrom(index),
    sealedContextDigest: (recallPosition: bigint) => sealedContextDigestFor(client, recallPosition),
    submit: (answer: PoraAnswer) => submitAnswer(client, answer, policy),
  };
}
