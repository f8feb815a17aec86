/**
 * A zg-miner zgs RPC peer over loopback holding N random loads in memory, under one height-16
 * Submit node per 64 loads (the events know no load root). The serving side of `zg-miner bench
 * sync` (benchSyncPeerMain.ts runs it as its own process) and of the kill -9 sync test.
 */
import { randomFillSync } from 'node:crypto';
import { BYTES_PER_LOAD, BYTES_PER_SECTOR, SECTORS_PER_LOAD_N } from '../../spec.js';
import { FlowTree } from '../../core/flowTree.js';
import { completeRoot } from '../../core/merkle.js';
import { hashLoad } from '../../store/loadHash.js';
import { TxIndex } from '../../sync/txIndex.js';
import { ZgsNode, type ZgsStore } from '../../sync/zgsNode.js';
import { startRpcServer } from '../../sync/rpcServer.js';
import type { FlowSubmission } from '../../types.js';
import { BENCH_SYNC_CHAIN, BENCH_SYNC_GROUP, type BenchSyncPeerReady } from './benchSync.js';

const LOAD = SECTORS_PER_LOAD_N;

/** The server's flow: N random loads after the 64 zero loads the first height-16 node skips. */
class MemFlow implements ZgsStore {
  readonly first: bigint;
  readonly data: Uint8Array;
  constructor(first: bigint, data: Uint8Array) {
    this.first = first;
    this.data = data;
  }
  rangeKnown(start: bigint, end: bigint): boolean {
    return start >= this.first * LOAD && end <= this.first * LOAD + BigInt(this.data.length / BYTES_PER_SECTOR);
  }
  isLoadComplete(l: bigint): boolean {
    return this.rangeKnown(l * LOAD, (l + 1n) * LOAD);
  }
  async readRawLoad(l: bigint): Promise<Uint8Array> {
    const o = Number(l - this.first) * BYTES_PER_LOAD;
    return this.data.subarray(o, o + BYTES_PER_LOAD);
  }
  async writeFlowData(): Promise<void> {
    throw new Error('read-only');
  }
  async markKnownZero(): Promise<void> {
    throw new Error('read-only');
  }
}

export interface RandomPeer extends BenchSyncPeerReady {
  /** The loads' bytes (load `first + i` at i × 262144) and their roots, as the chain has them. */
  data: Uint8Array;
  first: bigint;
  roots: Uint8Array[];
  close(): Promise<void>;
}

/**
 * Starts the peer. `onData` sees the load index of every zgs_getDataByNodeIndex call (tests count
 * what a syncing miner fetched).
 */
export async function startRandomPeer(n: number, o: { fill?: (data: Uint8Array) => void; onData?: (load: bigint) => void } = {}): Promise<RandomPeer> {
  if (!Number.isInteger(n) || n < 1 || n % BENCH_SYNC_GROUP !== 0) throw new RangeError(`startRandomPeer: ${n} loads is not a positive multiple of ${BENCH_SYNC_GROUP}`);
  const groups = n / BENCH_SYNC_GROUP;
  const data = new Uint8Array(n * BYTES_PER_LOAD);
  (o.fill ?? randomFillSync)(data);
  const first = BigInt(BENCH_SYNC_GROUP); // the first height-16 node starts at sector 65536 = load 64
  const roots = Array.from({ length: n }, (_, i) => hashLoad(first + BigInt(i), data.subarray(i * BYTES_PER_LOAD, (i + 1) * BYTES_PER_LOAD)).loadRoot);
  const subs: FlowSubmission[] = [];
  const tree = new FlowTree();
  for (let g = 0; g < groups; g++) {
    const nodes = [{ root: completeRoot(roots.slice(g * BENCH_SYNC_GROUP, (g + 1) * BENCH_SYNC_GROUP)), height: 16 }];
    const { startPos, length } = tree.submit(nodes);
    subs.push({ txSeq: BigInt(g), startPos, lengthSectors: length, sizeBytes: BigInt(BENCH_SYNC_GROUP * BYTES_PER_LOAD), nodes, blockNumber: 1 });
  }
  // The serving miner knows every load root (it holds the data).
  roots.forEach((r, i) => tree.recordNode(10, first + BigInt(i), r));
  const txs = await TxIndex.open(null);
  await txs.add(subs);
  const node = new ZgsNode({
    ...BENCH_SYNC_CHAIN,
    shardId: 0n,
    numShard: 1n,
    txs,
    tree: {
      length: () => tree.length,
      rootAt: async (len) => tree.rootAt(len),
      node: async (level, index) => tree.completeNode(level, index) ?? null,
      proof: async (level, index, len) => tree.proofAt(level, index, len),
    },
    store: new MemFlow(first, data),
    hashLoad,
    logSyncHeight: () => 1,
  });
  const methods = node.methods();
  const getData = methods['zgs_getDataByNodeIndex']!;
  const onData = o.onData;
  if (onData !== undefined)
    methods['zgs_getDataByNodeIndex'] = (p) => {
      if (typeof p[0] === 'number') onData(BigInt(p[0]));
      return getData(p);
    };
  const server = await startRpcServer({ address: '127.0.0.1:0', methods });
  return { url: server.url, subs, data, first, roots, close: () => server.close() };
}
