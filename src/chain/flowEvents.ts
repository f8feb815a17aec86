/**
 * The Flow contract's `Submit` event, decoded once for every reader: the miner's log scan
 * (ChainClient.submissions) and the receipt of an upload of our own (flowUpload.ts).
 */
import { Interface, getBytes, type Log } from 'ethers';
import type { FlowSubmission } from '../types.js';
import { FLOW_ABI } from './abi.js';

export const flowIface = new Interface(FLOW_ABI);
export const SUBMIT_TOPIC = flowIface.getEvent('Submit')!.topicHash;

/** The Submit event a log carries (startPos = args[3], length in sectors = args[4]), or null when the log is some other event. */
export function parseSubmitLog(log: Pick<Log, 'topics' | 'data' | 'blockNumber'>): FlowSubmission | null {
  const p = flowIface.parseLog(log);
  if (p?.name !== 'Submit') return null;
  const sub = p.args[5] as unknown as [bigint, string, [string, bigint][]];
  return {
    txSeq: p.args[2] as bigint,
    startPos: p.args[3] as bigint,
    lengthSectors: p.args[4] as bigint,
    sizeBytes: sub[0],
    nodes: sub[2].map(([root, height]) => ({ root: getBytes(root), height: Number(height) })),
    blockNumber: log.blockNumber,
  };
}
