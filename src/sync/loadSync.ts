/**
 * The sync client: fills this miner's shard of the flow with data fetched from peers, storing
 * NOTHING that the chain has not vouched for (spec §9.3).
 *
 * For every complete load L of the flow that this shard holds and the store lacks: fetch it with
 * `zgs_getDataByNodeIndex(L)` (raw bytes from zg-miner peers, byte numbers from nodes), or, when the
 * peer has no whole load (older nodes, loads it holds in parts), assemble it from each overlapping
 * transaction's sectors with `zgs_downloadSegmentByTxSeq`; hash it once (wasm: 1024 leaves → the
 * 64 seal roots → the load root); compare the load root with the flow tree's node (10, L) built
 * from Submit events, or, when the events only know a larger ancestor, fold it up the peer's
 * `zgs_getSectorProof` siblings to the first node the tree knows. Only then is it written
 * (`writeVerifiedLoad`, one durable step: a kill -9 before it leaves nothing that counts).
 * A peer whose data contradicts the chain is dropped for a while and the load is asked of another.
 */
import { BYTES_PER_LOAD, BYTES_PER_SECTOR, SECTORS_PER_LOAD_N } from '../spec.js';
import { equalBytes } from '../bytes.js';
import { completeRoot, hashPair } from '../core/merkle.js';
import { numChunks } from '../core/fileRoot.js';
import type { Bytes32 } from '../types.js';
import { PeerError, type PeerFailure } from './rpcClient.js';
import type { Peer, PeerPool, PeerView } from './peerPool.js';
import type { TxIndex } from './txIndex.js';
import { decodeLoadAnswer, decodeSegment, peerHash } from './wire.js';
import type { FlowTreeReader, LoadRootsOut } from './zgsNode.js';
import { RPC_INVALID_PARAMS } from './jsonRpc.js';

const LOAD = SECTORS_PER_LOAD_N;

export interface SyncStore {
  isLoadComplete(loadIndex: bigint): boolean;
  /** Stores a load whose roots the caller checked against the chain; durable when it resolves. */
  writeVerifiedLoad(loadIndex: bigint, bytes: Uint8Array, roots: LoadRootsOut): Promise<void>;
  /** Several at once with one durable commit (group commit), when the store offers it. */
  writeVerifiedLoads?(items: readonly { loadIndex: bigint; bytes: Uint8Array; roots: LoadRootsOut }[]): Promise<void>;
  /** Changes when the store forgets a load whose raw data failed its check: it is wanted again. */
  readonly forgets?: number;
}

/** Metric hooks (metrics/ implements them; cli/ passes them in). */
export interface SyncMetricsSink {
  recordSyncedLoad(bytes: number): void;
  recordSyncRejected(reason: string): void;
  setSyncPeers(counts: Record<string, number>): void;
}

/** The flow tree as the sync client uses it: read nodes, and record proven nodes above loads. */
export interface SyncTree extends Pick<FlowTreeReader, 'length' | 'node'> {
  /** Records a node proven by a verified load and a peer's proof path (a shard miner's proof levels). */
  recordNode?(level: number, index: bigint, root: Bytes32): Promise<void>;
  /** recordNode for many proven nodes with one durable flush. */
  recordNodes?(nodes: readonly { level: number; index: bigint; root: Bytes32 }[]): Promise<void>;
}

/**
 * The highest level whose node a peer's load roots are checked against as a group: up to 2^10
 * loads (zgs_getHashAtNodeIndex in batches of GROUP_BATCH). Above it a load is proven alone with
 * zgs_getSectorProof, which records its path, so its 2^10-load ancestor becomes known.
 */
const GROUP_MAX_LEVEL = 20;
const GROUP_BATCH = 128;
/**
 * Consecutive loads asked of a zg-miner peer in one binary request: one HTTP round trip (a
 * request write, a wake-up of each side) per 1 MiB instead of per 256 KiB.
 */
const RUN_LOADS = 4;

export interface LoadSyncOptions {
  pool: PeerPool;
  tree: SyncTree;
  store: SyncStore;
  txs: TxIndex;
  /** Roots of a fetched load (the store's hash pool: loads fetched at once are hashed on every core). */
  hashLoad(loadIndex: bigint, load: Uint8Array): LoadRootsOut | Promise<LoadRootsOut>;
  /** Whether this miner's shard holds load L. */
  holds(loadIndex: bigint): boolean;
  log: { info(line: string): void; warn(line: string): void };
  metrics?: SyncMetricsSink;
  /** Loads checked per step (a window, so a huge flow is walked in pieces). Default 4096. */
  window?: number;
}

export interface SyncStatus {
  /** Complete loads of the flow this shard holds, and how many of them are stored. */
  wantedLoads: number;
  storedLoads: number;
  syncedLoads: number;
  syncedBytes: number;
  rejected: Record<string, number>;
  peers: PeerView[];
  /** Loads no ready peer could serve in the last step. */
  unavailable: number;
}

class LoadRejected extends Error {
  readonly reason: PeerFailure;
  constructor(reason: PeerFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

export class LoadSync {
  private readonly o: LoadSyncOptions;
  /** Every held load below this is stored (the walk restarts here), while the store's `forgets` is `forgetsSeen`. */
  private low = 0n;
  private forgetsSeen = 0;
  private synced = 0;
  private bytes = 0;
  private readonly rejected: Record<string, number> = {};
  private unavailable = 0;
  private wanted = 0;
  private stored = 0;

  /**
   * Load roots of held, not yet stored loads, proven as a group: the peer's level-10 roots under
   * a node the events know hash to exactly that node. A load is then checked against its root.
   */
  private readonly provenRoots = new Map<bigint, Bytes32>();
  /** Group proofs in flight, by peer and anchor node (concurrent loads of one group share one). */
  private readonly groups = new Map<string, Promise<boolean>>();

  /** Verified loads waiting for the next group commit, and whether one is running. */
  private queued: { loadIndex: bigint; bytes: Uint8Array; roots: LoadRootsOut; done: (e?: unknown) => void }[] = [];
  private committing = false;

  constructor(o: LoadSyncOptions) {
    this.o = o;
  }

  /**
   * Stores a verified load. With `writeVerifiedLoads`, loads verified while a commit is running
   * wait for the next one and go in together: one fdatasync per batch, not per load.
   */
  private write(loadIndex: bigint, bytes: Uint8Array, roots: LoadRootsOut): Promise<void> {
    const many = this.o.store.writeVerifiedLoads?.bind(this.o.store);
    if (!many) return this.o.store.writeVerifiedLoad(loadIndex, bytes, roots);
    const p = new Promise<void>((resolve, reject) => this.queued.push({ loadIndex, bytes, roots, done: (e) => (e === undefined ? resolve() : reject(e)) }));
    if (!this.committing) {
      this.committing = true;
      void (async () => {
        while (this.queued.length > 0) {
          const batch = this.queued.splice(0, 64);
          try {
            await many(batch);
            for (const b of batch) b.done();
          } catch (e) {
            // One bad load must not fail the others: retry them one by one.
            for (const b of batch) await this.o.store.writeVerifiedLoad(b.loadIndex, b.bytes, b.roots).then(() => b.done(), (err: unknown) => b.done(err ?? e));
          }
        }
        this.committing = false;
      })();
    }
    return p;
  }

  private reject(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.o.metrics?.recordSyncRejected(reason);
  }

  status(): SyncStatus {
    return {
      wantedLoads: this.wanted,
      storedLoads: this.stored,
      syncedLoads: this.synced,
      syncedBytes: this.bytes,
      rejected: { ...this.rejected },
      peers: this.o.pool.views(),
      unavailable: this.unavailable,
    };
  }

  /** Fetches `load` from `peer` as 262144 bytes, or throws PeerError/LoadRejected. */
  private async fetch(peer: Peer, load: bigint): Promise<Uint8Array> {
    let pieces: Uint8Array[] | null;
    const enc = peer.dataEncoding;
    try {
      const a = await peer.client.callAnswer('zgs_getDataByNodeIndex', enc === 'numbers' ? [load] : [load, enc]);
      pieces = decodeLoadAnswer('zgs_getDataByNodeIndex', a, BYTES_PER_LOAD);
    } catch (e) {
      // A peer without our extension refuses the extra param: ask it in the next plainer form from now on.
      if (enc !== 'numbers' && e instanceof PeerError && e.reason === 'rpc' && e.code === RPC_INVALID_PARAMS) {
        if (peer.dataEncoding === enc) peer.dataEncoding = enc === 'binary' ? 'base64' : 'numbers';
        return this.fetch(peer, load);
      }
      if (!(e instanceof PeerError && e.reason === 'rpc' && e.code === -32601)) throw e;
      pieces = null; // an older node without the method: per transaction below
    }
    if (pieces !== null && pieces.length === 1 && pieces[0]!.length === BYTES_PER_LOAD) return pieces[0]!;
    return this.fetchByTx(peer, load);
  }

  /** The load assembled from each overlapping transaction's data sectors (gaps are zeros). */
  private async fetchByTx(peer: Peer, load: bigint): Promise<Uint8Array> {
    const from = load * LOAD;
    const to = from + LOAD;
    const out = new Uint8Array(BYTES_PER_LOAD);
    for (const t of this.o.txs.overlapping(from, to)) {
      const dataEnd = t.startPos + BigInt(numChunks(Number(t.sizeBytes)));
      const a = t.startPos > from ? t.startPos : from;
      const b = dataEnd < to ? dataEnd : to;
      if (b <= a) continue;
      const v = await peer.client.call('zgs_downloadSegmentByTxSeq', [t.txSeq, a - t.startPos, b - t.startPos]);
      const seg = decodeSegment('zgs_downloadSegmentByTxSeq', v);
      if (seg === null) throw new PeerError('missing', `load ${load}: it does not have tx ${t.txSeq}`);
      if (seg.length !== Number(b - a) * BYTES_PER_SECTOR) throw new PeerError('garbage', `load ${load}: tx ${t.txSeq} segment of ${seg.length} bytes, expected ${Number(b - a) * BYTES_PER_SECTOR}`);
      out.set(seg, Number(a - from) * BYTES_PER_SECTOR);
    }
    return out;
  }

  /** The lowest node above load L (levels 11..GROUP_MAX_LEVEL) that the tree knows, or null. */
  private async anchorOf(load: bigint): Promise<{ level: number; index: bigint; root: Bytes32 } | null> {
    for (let level = 11; level <= GROUP_MAX_LEVEL; level++) {
      const index = load >> BigInt(level - 10);
      const root = await this.o.tree.node(level, index);
      if (root !== null) return { level, index, root };
    }
    return null;
  }

  /**
   * Proves the level-10 roots of every load under `anchor` at once: the peer's roots (one batch
   * of zgs_getHashAtNodeIndex) must hash up to the anchor the chain gave. True when proven; false
   * when the peer cannot say (no such method, a root it lacks): then each load is proven alone.
   * @throws LoadRejected 'mismatch' when the roots contradict the chain (on behalf of `load`).
   */
  private async proveGroup(peer: Peer, load: bigint, anchor: { level: number; index: bigint; root: Bytes32 }): Promise<boolean> {
    const span = 1 << (anchor.level - 10);
    const base = anchor.index << BigInt(anchor.level - 10);
    const roots: Bytes32[] = [];
    try {
      for (let i = 0; i < span; i += GROUP_BATCH) {
        const n = Math.min(GROUP_BATCH, span - i);
        const got = await peer.client.callBatch(
          'zgs_getHashAtNodeIndex',
          Array.from({ length: n }, (_, j) => [base + BigInt(i + j)])
        );
        for (const v of got) {
          if (v === null) return false;
          roots.push(peerHash('zgs_getHashAtNodeIndex', v));
        }
      }
    } catch (e) {
      if (e instanceof PeerError && e.reason === 'rpc') {
        if (e.code === -32601) peer.hashBatch = false;
        return false;
      }
      throw e;
    }
    if (!equalBytes(completeRoot(roots), anchor.root)) throw new LoadRejected('mismatch', `load ${load} does not match the chain's root`);
    const record: { level: number; index: bigint; root: Bytes32 }[] = [];
    for (let i = 0; i < span; i++) {
      const l = base + BigInt(i);
      if (this.o.holds(l)) {
        if (!this.o.store.isLoadComplete(l)) this.provenRoots.set(l, roots[i]!);
      } else record.push({ level: 10, index: l, root: roots[i]! });
    }
    // A shard miner keeps the roots of loads it does not hold: its answers' proofs climb through them.
    if (record.length > 0) {
      if (this.o.tree.recordNodes) await this.o.tree.recordNodes(record);
      else if (this.o.tree.recordNode) for (const r of record) if ((await this.o.tree.node(10, r.index)) === null) await this.o.tree.recordNode(10, r.index, r.root);
    }
    return true;
  }

  /** The load's root as the chain vouches for it without a per-load proof, or null. */
  private async knownRoot(peer: Peer, load: bigint): Promise<Bytes32 | null> {
    const known = (await this.o.tree.node(10, load)) ?? this.provenRoots.get(load) ?? null;
    if (known !== null || !peer.hashBatch) return known;
    const anchor = await this.anchorOf(load);
    if (anchor === null) return null;
    const key = `${peer.url} ${anchor.level}:${anchor.index}`;
    let p = this.groups.get(key);
    if (p === undefined) {
      p = this.proveGroup(peer, load, anchor).finally(() => this.groups.delete(key));
      this.groups.set(key, p);
    }
    if (!(await p)) return null;
    return (await this.o.tree.node(10, load)) ?? this.provenRoots.get(load) ?? null;
  }

  /**
   * Checks a load root against the chain: the tree's node (10, L) when known, or the load's root
   * proven with its group (proveGroup), else the peer's sector-proof siblings folded up to the
   * first node the tree knows.
   */
  private async verify(peer: Peer, load: bigint, root: Bytes32): Promise<[number, bigint, Bytes32][]> {
    const known = await this.knownRoot(peer, load);
    if (known !== null) {
      if (!equalBytes(known, root)) throw new LoadRejected('mismatch', `load ${load} does not match the chain's root`);
      return [];
    }
    const p = (await peer.client.call('zgs_getSectorProof', [load * LOAD, null])) as { lemma?: unknown } | null;
    if (p === null || typeof p !== 'object' || !Array.isArray(p.lemma) || p.lemma.length < 13 || p.lemma.length > 66)
      throw new PeerError('garbage', `load ${load}: zgs_getSectorProof is not a flow proof`);
    const lemma = p.lemma.map((x) => peerHash('zgs_getSectorProof', x));
    // lemma = [leaf, sib_0 … sib_{H-1}, root]: the level-k sibling is lemma[1 + k].
    const height = lemma.length - 2;
    let h = root;
    let idx = load;
    const siblings: [number, bigint, Bytes32][] = [];
    for (let k = 10; k < height; k++) {
      const sib = lemma[1 + k]!;
      siblings.push([k, idx ^ 1n, sib]);
      h = (idx & 1n) === 0n ? hashPair(h, sib) : hashPair(sib, h);
      idx >>= 1n;
      const anchor = await this.o.tree.node(k + 1, idx);
      if (anchor !== null) {
        if (!equalBytes(anchor, h)) throw new LoadRejected('mismatch', `load ${load} does not match the chain's root`);
        // Every sibling below the anchor is now proven: it hashes with our load to a node of the chain.
        return siblings;
      }
    }
    throw new LoadRejected('unverifiable', `load ${load}: no node of its proof is known from the chain yet`);
  }

  /** One load from one peer: fetch, hash once, verify, store. */
  private async syncFrom(peer: Peer, load: bigint, release: () => void, fetched?: Uint8Array): Promise<void> {
    const bytes = fetched ?? (await this.fetch(peer, load));
    const roots = await this.o.hashLoad(load, bytes);
    const proven = await this.verify(peer, load, roots.loadRoot);
    // The peer's part is done: its slot serves the next load while this one waits for a group commit.
    release();
    if (this.o.store.isLoadComplete(load)) return; // stored meanwhile (upload, follower)
    await this.write(load, bytes, roots);
    this.provenRoots.delete(load);
    // Bottom-up, so each recorded node climbs through the ones before it to the anchor.
    if (this.o.tree.recordNode) for (const [k, i, v] of proven) if ((await this.o.tree.node(k, i)) === null) await this.o.tree.recordNode(k, i, v);
    this.o.pool.succeeded(peer, bytes.length);
    this.synced++;
    this.bytes += bytes.length;
    this.o.metrics?.recordSyncedLoad(bytes.length);
  }

  /**
   * Fetches a run of consecutive loads from one zg-miner peer in one binary request. Returns the
   * loads it answered (a leading part of the run; none on a failure, which is counted and backs
   * the peer off like any other): each still goes through syncLoad's hash, verify and store.
   */
  private async fetchRun(run: readonly bigint[]): Promise<{ peer: Peer; loads: Map<bigint, Uint8Array> } | null> {
    const peer = this.o.pool.candidates(run[0]!, new Set())[0];
    if (peer === undefined || peer.dataEncoding !== 'binary' || peer.numShard !== 1n) return null;
    const release = await this.o.pool.acquire(peer);
    if (release === null) return null;
    try {
      const a = await peer.client.callAnswer('zgs_getDataByNodeIndex', [run[0]!, 'binary', run.length]);
      // A JSON answer (L incomplete there, or a peer that ignores the count): the loads go one by one.
      if (!a.binary) return null;
      const pieces = decodeLoadAnswer('zgs_getDataByNodeIndex', a, BYTES_PER_LOAD, run.length)!;
      release(); // the peer's part is done
      return { peer, loads: new Map(pieces.map((p, i) => [run[i]!, p])) };
    } catch (e) {
      if (!(e instanceof PeerError)) throw e;
      if (e.reason === 'rpc') return null; // e.g. a peer that refuses the count: one by one, where fetch() adapts
      this.reject(e.reason);
      this.o.pool.failed(peer, e.reason, `loads ${run[0]}..${run[run.length - 1]}: ${e.message}`);
      return null;
    } finally {
      release();
    }
  }

  /** Tries the load's peers in turn until one serves verified data; false when none could. */
  private async syncLoad(load: bigint, fetched?: { peer: Peer; bytes: Uint8Array }): Promise<boolean> {
    const tried = new Set<Peer>();
    for (;;) {
      // Bytes fetched with a run come from that peer: checked first, like a fetch of its own.
      const pre = fetched !== undefined && tried.size === 0 ? fetched : undefined;
      const peer = pre?.peer ?? this.o.pool.candidates(load, tried)[0];
      if (peer === undefined) return false;
      tried.add(peer);
      const slot = await this.o.pool.acquire(peer);
      if (slot === null) continue;
      let held = true;
      const release = (): void => {
        if (held) slot();
        held = false;
      };
      try {
        await this.syncFrom(peer, load, release, pre?.bytes);
        return true;
      } catch (e) {
        if (e instanceof LoadRejected) {
          this.reject(e.reason);
          if (e.reason === 'mismatch') this.o.pool.failed(peer, 'mismatch', e.message);
          else this.o.log.info(`peer ${peer.url}: ${e.message}`);
        } else if (e instanceof PeerError) {
          this.reject(e.reason);
          // A peer that lacks a load is not at fault; anything else backs it off.
          if (e.reason !== 'missing') this.o.pool.failed(peer, e.reason, `load ${load}: ${e.message}`);
        } else throw e;
      } finally {
        release();
      }
    }
  }

  /**
   * One pass: probes peers that are due, then syncs the held, complete, missing loads of the next
   * window with bounded concurrency. Returns the number of loads stored.
   */
  async step(signal?: AbortSignal, beat?: () => void): Promise<number> {
    await this.o.pool.probeDue();
    beat?.();
    this.o.metrics?.setSyncPeers(this.o.pool.counts());
    // A forgotten load below `low` is missing again: walk from the start.
    const forgets = this.o.store.forgets ?? 0;
    if (forgets !== this.forgetsSeen) {
      this.forgetsSeen = forgets;
      this.low = 0n;
    }
    const complete = this.o.tree.length() / LOAD;
    const window = BigInt(this.o.window ?? 4096);
    const todo: bigint[] = [];
    let wanted = 0;
    let stored = 0;
    let low = this.low;
    let lowFixed = false;
    for (let l = 0n; l < complete; l++) {
      if (!this.o.holds(l)) continue;
      wanted++;
      if (l < this.low || this.o.store.isLoadComplete(l)) {
        stored++;
        if (!lowFixed) low = l + 1n;
        continue;
      }
      lowFixed = true;
      if (BigInt(todo.length) < window) todo.push(l);
      // Past the window only the counts matter; skip the rest quickly.
    }
    this.low = low;
    this.wanted = wanted;
    this.stored = stored;
    let done = 0;
    let unavailable = 0;
    const queue = todo.filter((l) => this.o.pool.anyCouldServe(l));
    unavailable += todo.length - queue.length;
    // More loads in flight than peer slots: verified loads wait for a group commit without holding one.
    const workers = Math.max(1, Math.min(queue.length, 12));
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (;;) {
          if (signal?.aborted) return;
          const l = queue.shift();
          if (l === undefined) return;
          const run = [l];
          while (run.length < RUN_LOADS && queue[0] === run[run.length - 1]! + 1n) run.push(queue.shift()!);
          const got = run.length > 1 ? await this.fetchRun(run) : null;
          const results = await Promise.all(
            run.map((x) => {
              const bytes = got?.loads.get(x);
              return this.syncLoad(x, bytes === undefined ? undefined : { peer: got!.peer, bytes });
            })
          );
          for (const ok of results) {
            if (ok) done++;
            else unavailable++;
          }
          beat?.();
        }
      })
    );
    this.unavailable = unavailable;
    this.stored += done;
    this.o.metrics?.setSyncPeers(this.o.pool.counts());
    return done;
  }
}
