/**
 * Wires the zgs JSON-RPC server (`--rpc-address`) and the peer sync client (`--peer`, `[sync]
 * peers`) to a sealed store, its flow tree and the follower's transaction index. Used by `mine`,
 * `devnet` and `serve`.
 */
import { join } from 'node:path';
import type { MinerConfig } from '../config/config.js';
import type { SealedStore } from '../store/sealedStore.js';
import { hashLoad, hashLoadPooled } from '../store/loadHash.js';
import type { MinerMetrics } from '../metrics/metrics.js';
import type { Logger } from '../log/logger.js';
import { numChunks } from '../core/fileRoot.js';
import { SECTORS_PER_LOAD_N } from '../spec.js';
import type { FlowSubmission } from '../types.js';
import { TxIndex } from '../sync/txIndex.js';
import { ZgsNode } from '../sync/zgsNode.js';
import { startRpcServer, type RpcServer } from '../sync/rpcServer.js';
import { PeerPool } from '../sync/peerPool.js';
import { LoadSync } from '../sync/loadSync.js';
import { SyncProgress } from '../sync/progress.js';

export { DEFAULT_RPC_ADDRESS } from '../sync/rpcServer.js';

export interface PeerServicesOptions {
  config: MinerConfig;
  chainId: bigint;
  store: SealedStore;
  /** `host:port`, or `none` for no server. */
  rpcAddress: string;
  /** Last block whose Submit events the follower applied. */
  syncedBlock: () => number;
  log: Logger;
  metrics?: MinerMetrics;
}

export interface PeerServices {
  txs: TxIndex;
  rpcUrl: string | null;
  /** Null when no peer is configured. */
  sync: LoadSync | null;
  /** The follower's `held`: true when every data sector of `sub` in this shard's loads is stored. */
  held(sub: FlowSubmission): boolean;
  /** The /status `sync` section (null without peers). */
  status(): object | null;
  close(): Promise<void>;
}

export async function startPeerServices(o: PeerServicesOptions): Promise<PeerServices> {
  const c = o.config;
  const holds = (l: bigint): boolean => l % c.numShards === c.shardId;
  const txs = await TxIndex.open(join(c.dataDir, 'txs.jsonl'));
  const cleanups: (() => Promise<void>)[] = [() => txs.close()];
  const flowAddress = c.logContractAddress ?? '';
  let pool: PeerPool | null = null;
  let sync: LoadSync | null = null;
  let progress: SyncProgress | null = null;
  let server: RpcServer | null = null;
  try {
    if (c.syncPeers.length > 0) {
      pool = new PeerPool({ urls: c.syncPeers, expect: { chainId: o.chainId, flowAddress }, log: o.log });
      const p = pool;
      cleanups.push(async () => p.close());
      sync = new LoadSync({
        pool,
        tree: o.store.flowTree,
        store: o.store,
        txs,
        hashLoad: hashLoadPooled,
        holds,
        log: o.log,
        ...(o.metrics ? { metrics: o.metrics } : {}),
      });
      const s = sync;
      progress = new SyncProgress({ status: () => s.status(), tty: process.stderr.isTTY ? process.stderr : null, log: (l) => o.log.info(l) });
      progress.start();
      const pr = progress;
      cleanups.push(async () => pr.stop());
      o.log.info(`sync: ${c.syncPeers.length} peer(s): ${c.syncPeers.join(', ')}; shard ${c.shardId}/${c.numShards}`);
    }
    if (o.rpcAddress !== 'none') {
      const node = new ZgsNode({
        chainId: o.chainId,
        flowAddress,
        shardId: c.shardId,
        numShard: c.numShards,
        txs,
        tree: o.store.flowTree,
        store: o.store,
        hashLoad,
        logSyncHeight: () => Math.max(0, o.syncedBlock()),
        connectedPeers: () => pool?.counts().ready ?? 0,
        onFinalized: (t) => o.log.info(`rpc: tx ${t.txSeq} uploaded and finalized (${t.sizeBytes} bytes at sector ${t.startPos})`),
      });
      server = await startRpcServer({
        address: o.rpcAddress,
        methods: node.methods(),
        onInternalError: (m, e) => o.log.warn(`rpc ${m}: ${e instanceof Error ? e.message : String(e)}`),
      });
      const srv = server;
      cleanups.push(() => srv.close());
      o.log.info(`zgs JSON-RPC on ${server.url} (shard ${c.shardId}/${c.numShards})`);
    }
  } catch (e) {
    for (const f of cleanups.reverse()) await f().catch(() => {});
    throw e;
  }
  const held = (sub: FlowSubmission): boolean => {
    const end = sub.startPos + BigInt(numChunks(Number(sub.sizeBytes)));
    for (let l = sub.startPos / SECTORS_PER_LOAD_N; l * SECTORS_PER_LOAD_N < end; l++) {
      if (!holds(l)) continue;
      const a = l * SECTORS_PER_LOAD_N > sub.startPos ? l * SECTORS_PER_LOAD_N : sub.startPos;
      const b = (l + 1n) * SECTORS_PER_LOAD_N < end ? (l + 1n) * SECTORS_PER_LOAD_N : end;
      if (!o.store.rangeKnown(a, b)) return false;
    }
    return true;
  };
  return {
    txs,
    rpcUrl: server?.url ?? null,
    sync,
    held,
    status: () => {
      if (sync === null) return null;
      const s = sync.status();
      return {
        wantedLoads: s.wantedLoads,
        storedLoads: s.storedLoads,
        syncedLoads: s.syncedLoads,
        syncedBytes: s.syncedBytes,
        rejected: s.rejected,
        peers: s.peers.map((p) => ({
          url: p.url,
          state: p.state,
          reason: p.reason,
          shard: `${p.shardId}/${p.numShard}`,
          loaded: p.loads,
          bytes: p.bytes,
          failures: p.failures,
          inflight: p.inflight,
        })),
      };
    },
    close: async () => {
      for (const f of cleanups.reverse()) await f().catch(() => {});
    },
  };
}
