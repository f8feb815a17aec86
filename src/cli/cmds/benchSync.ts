/**
 * `zg-miner bench sync [--loads N] [--json]`: a zg-miner zgs RPC server over loopback (in this
 * process, serving N random loads from memory) and a fresh sealed store syncing them with the peer
 * sync client: fetch, hash once (wasm), verify every load through the server's sector proof up to
 * the node the "events" know (one height-16 node per 64 loads, so no load root is known in
 * advance: the hard case), writeVerifiedLoad (fdatasync'ed). Prints the verified MB/s beside the
 * raw loopback rate of the same answers fetched without decoding, hashing or storing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import type { CommandModule } from 'yargs';
import { MinerError } from '../../errors.js';
import { BYTES_PER_LOAD, BYTES_PER_SECTOR, SECTORS_PER_LOAD_N } from '../../spec.js';
import { FlowTree } from '../../core/flowTree.js';
import { completeRoot } from '../../core/merkle.js';
import { hashLoad } from '../../store/loadHash.js';
import { SealedStore } from '../../store/sealedStore.js';
import { TxIndex } from '../../sync/txIndex.js';
import { ZgsNode, type ZgsStore } from '../../sync/zgsNode.js';
import { startRpcServer } from '../../sync/rpcServer.js';
import { PeerPool } from '../../sync/peerPool.js';
import { LoadSync } from '../../sync/loadSync.js';
import { RpcClient } from '../../sync/rpcClient.js';
import { gitCommit } from '../../buildInfo.js';
import type { FlowSubmission } from '../../types.js';

interface BenchSyncArgs {
  loads: number;
  json: boolean;
}

const GROUP = 64; // loads per submission node (height 16)
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

export async function benchSync(args: BenchSyncArgs): Promise<Record<string, unknown>> {
  const groups = Math.ceil(args.loads / GROUP);
  const n = groups * GROUP;
  const data = new Uint8Array(n * BYTES_PER_LOAD);
  randomFillSync(data);
  const first = BigInt(GROUP); // the first height-16 node starts at sector 65536 = load 64
  const roots = Array.from({ length: n }, (_, i) => hashLoad(first + BigInt(i), data.subarray(i * BYTES_PER_LOAD, (i + 1) * BYTES_PER_LOAD)).loadRoot);
  const subs: FlowSubmission[] = [];
  const serverTree = new FlowTree();
  for (let g = 0; g < groups; g++) {
    const nodes = [{ root: completeRoot(roots.slice(g * GROUP, (g + 1) * GROUP)), height: 16 }];
    const { startPos, length } = serverTree.submit(nodes);
    subs.push({ txSeq: BigInt(g), startPos, lengthSectors: length, sizeBytes: BigInt(GROUP * BYTES_PER_LOAD), nodes, blockNumber: 1 });
  }
  // The serving miner knows every load root (it holds the data).
  roots.forEach((r, i) => serverTree.recordNode(10, first + BigInt(i), r));
  const txs = await TxIndex.open(null);
  await txs.add(subs);
  const chain = { chainId: 31337n, flowAddress: '0x' + '00'.repeat(20) };
  const node = new ZgsNode({
    ...chain,
    shardId: 0n,
    numShard: 1n,
    txs,
    tree: {
      length: () => serverTree.length,
      rootAt: async (len) => serverTree.rootAt(len),
      node: async (level, index) => serverTree.completeNode(level, index) ?? null,
      proof: async (level, index, len) => serverTree.proofAt(level, index, len),
    },
    store: new MemFlow(first, data),
    hashLoad,
    logSyncHeight: () => 1,
  });
  const server = await startRpcServer({ address: '127.0.0.1:0', methods: node.methods() });
  const dir = mkdtempSync(join(tmpdir(), 'zg-bench-sync-'));
  try {
    // Raw loopback: the same answers (base64 loads), only transferred.
    const client = new RpcClient(server.url, { maxSockets: 4 });
    let rawBytes = 0;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= n) return;
          const answer = await client.callRaw('zgs_getDataByNodeIndex', [first + BigInt(i), 'base64']);
          rawBytes += answer.length;
        }
      })
    );
    const rawSeconds = (performance.now() - t0) / 1000;
    client.close();
    // Verified sync into a fresh sealed store whose flow tree knows only the submissions.
    const store = await SealedStore.open(join(dir, 'store'), { minerId: new Uint8Array(32) });
    try {
      for (const s of subs) await store.flowTree.addSubmission(s);
      const pool = new PeerPool({ urls: [server.url], expect: chain, log: { info: () => undefined, warn: (l) => process.stderr.write(`${l}\n`) } });
      const sync = new LoadSync({ pool, tree: store.flowTree, store, txs, hashLoad, holds: () => true, log: { info: () => undefined, warn: (l) => process.stderr.write(`${l}\n`) } });
      const t1 = performance.now();
      while (sync.status().storedLoads < n || sync.status().wantedLoads === 0) {
        const got = await sync.step();
        if (got === 0 && sync.status().storedLoads < n) throw new MinerError('BAD_INPUT', `bench sync: stalled at ${sync.status().storedLoads}/${n} loads: ${JSON.stringify(sync.status().rejected)}`);
      }
      const seconds = (performance.now() - t1) / 1000;
      pool.close();
      const bytes = n * BYTES_PER_LOAD;
      return {
        bench: 'sync',
        loads: n,
        bytes,
        verifiedMBps: Math.round((bytes / 1e6 / seconds) * 10) / 10,
        rawLoopbackMBps: Math.round((bytes / 1e6 / rawSeconds) * 10) / 10,
        rawWireMBps: Math.round((rawBytes / 1e6 / rawSeconds) * 10) / 10,
        seconds: Math.round(seconds * 1000) / 1000,
        verification: 'sector proof per load to a height-16 event node',
        encoding: 'base64 (zg-miner extension); nodes answer byte numbers',
        machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
        commit: gitCommit(),
      };
    } finally {
      await store.close();
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchSyncCommand: CommandModule<object, BenchSyncArgs> = {
  command: 'sync',
  describe: 'Peer sync over loopback from an in-process zg-miner RPC into a fresh store: verified MB/s beside raw loopback MB/s',
  builder: (y) =>
    y
      .option('loads', { type: 'number', default: 512, describe: 'loads of 256 KiB to sync (rounded up to a multiple of 64)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line' }) as never,
  handler: async (args) => {
    if (!(Number.isInteger(args.loads) && args.loads >= 1 && args.loads <= 65536)) throw new MinerError('BAD_INPUT', `--loads: expected an integer in 1..65536, got ${args.loads}`);
    const r = await benchSync(args);
    if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `sync: ${r['verifiedMBps']} MB/s verified and stored (${r['loads']} loads in ${r['seconds']} s; ${r['verification']})\n` +
          `raw loopback: ${r['rawLoopbackMBps']} MB/s of load data (${r['rawWireMBps']} MB/s on the wire, base64)\n` +
          `machine: ${JSON.stringify(r['machine'])}, commit ${r['commit']}\n`
      );
  },
};
