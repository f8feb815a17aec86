/**
 * The peers a miner syncs from. Each is probed first (`zgs_getStatus`: same chain id and Flow
 * address as ours, else refused for good with one line naming both; `zgs_getShardConfig`: which
 * loads it can answer for). Work is handed out with bounded concurrency per peer and overall.
 * A failing peer is backed off (1 s, 2 s, 4 s …); after 3 failures in a row, or at once when it
 * served data that does not match the chain, it is dropped for a while with a one-line reason.
 */
import { RpcClient, PeerError, type PeerFailure } from './rpcClient.js';

export type DataEncoding = 'binary' | 'base64' | 'numbers';

export type PeerState = 'probing' | 'ready' | 'backoff' | 'dropped' | 'refused';
export const PEER_STATES: readonly PeerState[] = ['probing', 'ready', 'backoff', 'dropped', 'refused'];

export interface PeerIdentity {
  chainId: bigint;
  flowAddress: string;
}

export interface PeerView {
  url: string;
  state: PeerState;
  /** Why it is backed off, dropped or refused. */
  reason: string | null;
  shardId: bigint;
  numShard: bigint;
  inflight: number;
  loads: number;
  bytes: number;
  failures: number;
}

export class Peer {
  readonly url: string;
  readonly client: RpcClient;
  state: PeerState = 'probing';
  reason: string | null = null;
  shardId = 0n;
  numShard = 1n;
  inflight = 0;
  loads = 0;
  bytes = 0;
  /** Failures in a row (reset by a success). */
  streak = 0;
  failures = 0;
  /** When it may be asked again (backoff/dropped/probe retry), ms since epoch. */
  until = 0;
  /**
   * The form zgs_getDataByNodeIndex is asked in: zg-miner extensions first (raw bytes, then
   * base64), one step down each time the peer refuses the param (older zg-miners, nodes).
   */
  dataEncoding: DataEncoding = 'binary';
  /** False once the peer answered a zgs_getHashAtNodeIndex batch with "method not found". */
  hashBatch = true;
  constructor(url: string, client: RpcClient) {
    this.url = url;
    this.client = client;
  }
  holds(load: bigint): boolean {
    return load % this.numShard === this.shardId;
  }
  view(): PeerView {
    const { url, state, reason, shardId, numShard, inflight, loads, bytes, failures } = this;
    return { url, state, reason, shardId, numShard, inflight, loads, bytes, failures };
  }
}

export interface PeerPoolOptions {
  urls: readonly string[];
  expect: PeerIdentity;
  /** Requests in flight to one peer (default 4) and to all peers together (default 8). */
  perPeer?: number;
  overall?: number;
  timeoutMs?: number;
  /** How long a peer stays dropped (default 60 s). */
  dropMs?: number;
  log: { info(line: string): void; warn(line: string): void };
  now?: () => number;
}

/** Reads `zgs_getStatus`'s identity and checks it against ours; null when it matches, else the refusal line. */
export function identityMismatch(url: string, status: unknown, expect: PeerIdentity): string | null {
  const ni = (status as { networkIdentity?: { chainId?: unknown; flowAddress?: unknown } } | null)?.networkIdentity;
  const chainId = ni?.chainId;
  const flow = ni?.flowAddress;
  const theirs = `chain ${String(chainId)}, Flow ${String(flow)}`;
  const ours = `chain ${expect.chainId}, Flow ${expect.flowAddress}`;
  let id: bigint | null = null;
  if (typeof chainId === 'number' && Number.isSafeInteger(chainId)) id = BigInt(chainId);
  else if (typeof chainId === 'string' && /^\d+$/.test(chainId)) id = BigInt(chainId);
  else if (chainId !== null && typeof chainId === 'object' && 'digits' in chainId) id = BigInt((chainId as { digits: string }).digits);
  if (id === null || typeof flow !== 'string') return `peer ${url}: its zgs_getStatus has no networkIdentity (chainId, flowAddress): refused`;
  if (id !== expect.chainId || flow.toLowerCase() !== expect.flowAddress.toLowerCase())
    return `peer ${url}: it serves ${theirs}, we mine ${ours}: refused`;
  return null;
}

export class PeerPool {
  readonly peers: Peer[];
  private readonly o: PeerPoolOptions;
  private readonly perPeer: number;
  private readonly overall: number;
  private readonly dropMs: number;
  private readonly now: () => number;
  private inflightAll = 0;
  private waiters: (() => void)[] = [];

  constructor(o: PeerPoolOptions) {
    this.o = o;
    this.perPeer = o.perPeer ?? 4;
    this.overall = o.overall ?? 8;
    this.dropMs = o.dropMs ?? 60_000;
    this.now = o.now ?? Date.now;
    const seen = new Set<string>();
    this.peers = [];
    for (const raw of o.urls) {
      const url = raw.replace(/\/+$/, '');
      if (seen.has(url)) continue;
      seen.add(url);
      this.peers.push(new Peer(url, new RpcClient(url, { maxSockets: this.perPeer, timeoutMs: o.timeoutMs ?? 30_000 })));
    }
  }

  /** Probes peers that are new or whose probe/drop time is over. */
  async probeDue(): Promise<void> {
    const t = this.now();
    await Promise.all(
      this.peers
        .filter((p) => (p.state === 'probing' || p.state === 'dropped') && p.until <= t)
        .map(async (p) => {
          try {
            const status = await p.client.call('zgs_getStatus');
            const refusal = identityMismatch(p.url, status, this.o.expect);
            if (refusal !== null) {
              p.state = 'refused';
              p.reason = refusal;
              this.o.log.warn(refusal);
              return;
            }
            const shard = (await p.client.call('zgs_getShardConfig')) as { shardId?: unknown; numShard?: unknown } | null;
            const sid = shard?.shardId;
            const num = shard?.numShard;
            if (typeof sid !== 'number' || typeof num !== 'number' || !Number.isSafeInteger(sid) || !Number.isSafeInteger(num) || num < 1 || sid < 0 || sid >= num || (num & (num - 1)) !== 0)
              throw new PeerError('garbage', 'zgs_getShardConfig: expected {shardId, numShard} with numShard a power of two above shardId');
            p.shardId = BigInt(sid);
            p.numShard = BigInt(num);
            const was = p.state;
            p.state = 'ready';
            p.reason = null;
            p.streak = 0;
            this.o.log.info(`peer ${p.url}: ${was === 'dropped' ? 'back, ' : ''}shard ${sid}/${num}`);
          } catch (e) {
            const reason = e instanceof PeerError ? e.message : String(e);
            p.state = 'probing';
            p.reason = reason;
            p.failures++;
            // A peer that is down at start is asked again later, not refused.
            p.until = this.now() + Math.min(60_000, 2000 * 2 ** Math.min(5, p.streak++));
            if (p.streak === 1) this.o.log.warn(`peer ${p.url}: probe failed (${reason}); retrying`);
          }
        })
    );
  }

  /** Ready peers that hold `load`, least busy first. */
  candidates(load: bigint, exclude: ReadonlySet<Peer> = new Set()): Peer[] {
    const t = this.now();
    for (const p of this.peers) if (p.state === 'backoff' && p.until <= t) p.state = 'ready';
    return this.peers.filter((p) => p.state === 'ready' && p.holds(load) && !exclude.has(p)).sort((a, b) => a.inflight - b.inflight);
  }

  /** Whether any peer could serve `load` now or after its backoff/drop/probe. */
  anyCouldServe(load: bigint): boolean {
    return this.peers.some((p) => p.state !== 'refused' && (p.state === 'probing' || p.holds(load)));
  }

  /**
   * Waits for a slot on `peer` and overall; returns the release function, or null when the peer
   * was backed off or dropped meanwhile (the caller picks another).
   */
  async acquire(peer: Peer): Promise<(() => void) | null> {
    while (this.inflightAll >= this.overall || peer.inflight >= this.perPeer) {
      await new Promise<void>((r) => this.waiters.push(r));
      if (peer.state !== 'ready') return null;
    }
    if (peer.state !== 'ready') return null;
    this.inflightAll++;
    peer.inflight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflightAll--;
      peer.inflight--;
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    };
  }

  succeeded(peer: Peer, bytes: number): void {
    peer.streak = 0;
    peer.loads++;
    peer.bytes += bytes;
  }

  /**
   * A failed request or bad data. `mismatch` (data that contradicts the chain) drops at once;
   * other failures back off and drop after 3 in a row. Returns the line logged.
   */
  failed(peer: Peer, reason: PeerFailure, what: string): string {
    peer.failures++;
    peer.streak++;
    const t = this.now();
    let line: string;
    if (peer.state === 'dropped' && peer.until > t) {
      // A request that was in flight when the peer was dropped: it stays dropped (not shortened to a backoff).
      line = `peer ${peer.url}: ${what} (already dropped)`;
      this.o.log.info(line);
    } else if (reason === 'mismatch' || peer.streak >= 3) {
      peer.state = 'dropped';
      peer.until = t + this.dropMs;
      peer.reason = what;
      line = `peer ${peer.url}: ${what}: dropped for ${Math.round(this.dropMs / 1000)} s`;
      this.o.log.warn(line);
    } else {
      const ms = 1000 * 2 ** (peer.streak - 1);
      peer.state = 'backoff';
      peer.until = t + ms;
      peer.reason = what;
      line = `peer ${peer.url}: ${what}: backing off ${ms / 1000} s`;
      this.o.log.info(line);
    }
    return line;
  }

  counts(): Record<PeerState, number> {
    const c = Object.fromEntries(PEER_STATES.map((s) => [s, 0])) as Record<PeerState, number>;
    for (const p of this.peers) c[p.state]++;
    return c;
  }

  views(): PeerView[] {
    return this.peers.map((p) => p.view());
  }

  close(): void {
    for (const p of this.peers) p.client.close();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
