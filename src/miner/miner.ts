/**
 * The mining service (spec §4.2, §8): a context watcher (computeWorkerContext every
 * `mine_context_query_seconds`; pause on a zero target or the EMPTY_HASH digest; a new epoch or
 * window makes a new job and drops older hits), a sync loop (flow follower + sealer), the search
 * loop (nonce batches over the store's sealed loads through the backend, `miner_cpu_percentage`
 * as a duty cycle) and a serial submit queue. `stop()` aborts the search, drains the queue and
 * returns once every loop has ended; disposing the backend is the caller's.
 */
import { randomBytes } from 'node:crypto';
import { EMPTY_HASH_HEX, SECTORS_PER_LOAD_N, SECTORS_PER_SEAL_N } from '../spec.js';
import { equalBytes, fromHex, toHex } from '../bytes.js';
import { chooseRange, numShards } from '../core/recallRange.js';
import { unseal } from '../core/seal.js';
import { recoverMerkleRoot } from '../core/merkle.js';
import type { PoraAnswer, SubmitResult } from '../types.js';
import { logRepeated, type DamagePort, type Hit, type LoadSource, type MineJob, type MinerDeps, type SubmitOutcomeView, type SyncPort, type WorkerContextView } from './ports.js';
import type { FlowFollower } from './flowFollower.js';
import { sleep, supervisedLoop, type LoopOptions } from '../watchdog/loop.js';
import type { Progress, Watchdog } from '../watchdog/watchdog.js';
import type { Sealer } from './sealer.js';
import { sealProof } from './flowProofs.js';
import { HitGate } from './hitGate.js';

const EMPTY_HASH = fromHex(EMPTY_HASH_HEX, 32);
const HASHRATE_LOG_MS = 30_000;
/** A loop iteration silent for this long is logged and restarted (the watchdog's default). */
export const DEFAULT_STALL_SECONDS = 120;

export interface MinerOptions extends MinerDeps {
  shardId: bigint;
  shardMask: bigint;
  /** Nonces per backend.search call (`mine_iter_batch_size`). */
  iterBatchSize: number;
  contextQuerySeconds: number;
  /** 1..100: the search runs this share of the time (`miner_cpu_percentage`). */
  cpuPercentage: number;
  /** Period of the follow + seal loop. */
  syncSeconds: number;
  follower: FlowFollower;
  /** Flow data from peers, run after the follower in the sync loop. */
  sync?: SyncPort;
  sealer: Sealer;
  /** The sealed loads to mine (default `store.loadSource()`); cli/ passes one with read metrics. */
  loadSource?: LoadSource;
  onSubmission?: (outcome: SubmitOutcomeView, answer: PoraAnswer) => void;
  /** Pauses the search while it names a reason (e.g. the GPU above --temperature-limit). */
  guard?: SearchGuard;
  /** Appended to the 30 s hashrate line (e.g. GPU temperature and power); null adds nothing. */
  healthLine?: () => string | null;
  /** Milliseconds clock (tests pass a fake). */
  now?: () => number;
  /** Watches the loops: one that makes no progress for `stallSeconds` is logged and restarted. */
  watchdog?: Watchdog;
  /** Default DEFAULT_STALL_SECONDS. */
  stallSeconds?: number;
  /** The longest a submission may take with its retries (max_retries × interval), added to the submitter's stall time. */
  submitSeconds?: number;
  /** The store's scrub: a load whose bytes fail a hit's check is checked now (one warning, not one per hit). */
  damage?: DamagePort;
}

/** A reason to hold the search, asked before every batch (null = go on). */
export interface SearchGuard {
  pauseReason(): string | null;
}

/** One submitted (or dropped-before-submit) answer, newest last in `status().recentAnswers`. */
export interface AnswerRecord {
  time: string;
  epoch: string;
  recallPosition: string;
  sealOffset: number;
  result: SubmitResult;
  reason?: string;
  txHash?: string;
}

const RECENT_ANSWERS = 10;

interface ActiveJob {
  job: MineJob;
  wc: WorkerContextView;
  abort: AbortController;
}


export class Miner {
  private readonly o: MinerOptions;
  private readonly stopCtl = new AbortController();
  private active: ActiveJob | null = null;
  private nextJobId = 1;
  private pauseReason = 'waiting for the first mining context';
  private readonly queue: { hit: Hit; active: ActiveJob }[] = [];
  private wakeSubmitter: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private loadSource: LoadSource | null = null;
  readonly counts: Record<SubmitResult, number> = { accepted: 0, reverted: 0, stale: 0, error: 0 };
  readonly totals = { nonces: 0, sealHashes: 0, hits: 0, rejected: 0 };
  private windowNonces = 0;
  private windowStart: number;
  readonly startedAt: number;
  private readonly now: () => number;
  /** Nonces per device since start (the exit summary's averages). */
  private readonly deviceNonces = new Map<string, number>();
  private readonly answers: AnswerRecord[] = [];
  private guardReason: string | null = null;
  /** Why the miner stopped by itself (a loop failed); null while running or after stop(). */
  failure: Error | null = null;
  private readonly gate: HitGate;

  constructor(o: MinerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.windowStart = this.startedAt;
    this.gate = new HitGate(o.store);
  }

  get device(): string {
    return `${this.o.backend.info.kind}:${this.o.backend.info.device}`;
  }

  /** What the miner is doing, for /status. */
  status(): object {
    return {
      mining: this.active !== null && this.guardReason === null,
      pauseReason: this.guardReason ?? (this.active ? null : this.pauseReason),
      epoch: this.active ? String(this.active.wc.context.epoch) : null,
      contextDigest: this.active ? toHex(this.active.wc.context.digest) : null,
      poraTarget: this.active ? String(this.active.wc.poraTarget) : null,
      submissions: { ...this.counts },
      totals: { ...this.totals },
      flowEnd: String(this.o.follower.flowEnd),
      pendingTransactions: this.o.follower.pendingCount,
      store: Object.fromEntries(Object.entries(this.o.store.stats()).map(([k, v]) => [k, String(v)])),
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeSeconds: Math.round((this.now() - this.startedAt) / 1000),
      job: this.active ? this.jobView(this.active) : null,
      recentAnswers: this.answers.slice(),
    };
  }

  /** The mining job in force: epoch, its start block, the subtask digest and the recall range. */
  private jobView(a: ActiveJob): object {
    const { context, subtaskDigest, poraTarget } = a.wc;
    return {
      id: a.job.id,
      epoch: String(context.epoch),
      mineStart: String(context.mineStart),
      flowLength: String(context.flowLength),
      subtaskDigest: toHex(subtaskDigest),
      targetLog2: poraTarget.toString(2).length - 256,
      range: { startPosition: String(a.job.range.startPosition), mineLength: String(a.job.range.mineLength), shardId: String(a.job.range.shardId) },
    };
  }

  /** One line for the exit: uptime, nonces, average hashrate per device, hits, submissions by outcome. */
  summaryLine(): string {
    const secs = Math.max(0.001, (this.now() - this.startedAt) / 1000);
    const devices = [...this.deviceNonces].map(([d, n]) => `${d} ${(n / secs).toFixed(1)} nonces/s`).join(', ') || 'no device ran';
    const c = this.counts;
    return (
      `summary: up ${formatDuration(secs)}, ${this.totals.nonces} nonces (average ${devices}), ${this.totals.hits} hits ` +
      `(${this.totals.rejected} refused by the re-checks), submissions accepted ${c.accepted}, reverted ${c.reverted}, stale ${c.stale}, error ${c.error}`
    );
  }

  start(): void {
    const guard = (name: string, p: Promise<void>): Promise<void> =>
      p.catch((e: unknown) => {
        if (this.stopCtl.signal.aborted) return;
        this.o.log.warn(`${name} loop stopped: ${(e as Error).message}`);
        this.failure = new Error(`the ${name} loop failed: ${(e as Error).message}`, { cause: e });
        this.stopCtl.abort();
      });
    const signal = this.stopCtl.signal;
    const stallMs = (this.o.stallSeconds ?? DEFAULT_STALL_SECONDS) * 1000;
    // Every long-running loop runs under the watchdog: a stalled iteration is logged and restarted.
    const loop = (name: string, iteration: LoopOptions['iteration'], between: LoopOptions['between'], stall = stallMs): Promise<void> =>
      supervisedLoop({ name, stallMs: stall, signal, iteration, ...(between ? { between } : {}), ...(this.o.watchdog ? { watchdog: this.o.watchdog } : {}) });
    this.loops = [
      guard('context', loop('context watcher', () => this.contextRound(), (s) => sleep(this.o.contextQuerySeconds * 1000, s))),
      guard('sync', loop('flow sync and sealer', (s, p) => this.syncRound(s, p), (s) => sleep(this.o.syncSeconds * 1000, s))),
      guard('search', loop('search', (s) => this.searchRound(s), undefined)),
      // A submission retries with rising gas for up to max_retries × interval: never a stall.
      guard('submit', loop('submitter', () => this.submitRound(), () => this.workQueued(), stallMs + (this.o.submitSeconds ?? 0) * 1000)),
      guard('hashrate', this.hashrateLoop()),
    ];
  }

  /** Stops every loop: the current search is aborted, queued hits are dropped as stale. */
  async stop(): Promise<void> {
    this.stopCtl.abort();
    this.active?.abort.abort();
    this.wakeSubmitter?.();
    await Promise.all(this.loops);
  }

  /** Resolves when the miner stops by itself (a loop failed) or through stop(). */
  get stopped(): Promise<void> {
    return new Promise((r) => {
      if (this.stopCtl.signal.aborted) r();
      else this.stopCtl.signal.addEventListener('abort', () => r(), { once: true });
    });
  }

  private setPause(reason: string): void {
    if (this.active) {
      this.active.abort.abort();
      this.active = null;
    }
    if (reason !== this.pauseReason) this.o.log.info(`mining paused: ${reason}`);
    this.pauseReason = reason;
  }

  private onContext(wc: WorkerContextView): void {
    this.o.metrics?.setContextEpoch(wc.context.epoch);
    if (wc.poraTarget === 0n) return this.setPause('outside this miner id\'s subtask window (or the epoch has enough submissions)');
    if (equalBytes(wc.context.digest, EMPTY_HASH)) return this.setPause('the context digest is EMPTY_HASH (no epoch made yet, or it was made more than 8191 blocks late)');
    const cur = this.active;
    if (
      cur &&
      equalBytes(cur.wc.context.digest, wc.context.digest) &&
      equalBytes(cur.wc.subtaskDigest, wc.subtaskDigest) &&
      cur.wc.poraTarget === wc.poraTarget
    )
      return;
    const range = chooseRange(wc.context.flowLength, this.o.shardMask, this.o.shardId);
    if (range.mineLength === 0n) return this.setPause(`flow length ${wc.context.flowLength} holds no whole load yet`);
    if (numShards(range) > wc.maxShards) return this.setPause(`${numShards(range)} shards exceed the contract's maxShards ${wc.maxShards}`);
    if (numShards(range) > wc.context.flowLength) return this.setPause('more shards than flow sectors');
    cur?.abort.abort();
    const job: MineJob = {
      id: this.nextJobId++,
      minerId: this.o.minerId,
      subtaskDigest: wc.subtaskDigest,
      range,
      poraTarget: wc.poraTarget,
      flowLength: wc.context.flowLength,
    };
    this.active = { job, wc, abort: new AbortController() };
    this.pauseReason = '';
    this.o.log.info(
      `new job ${job.id}: epoch ${wc.context.epoch}, flowLength ${wc.context.flowLength}, range [${range.startPosition}, +${range.mineLength}) shard ${range.shardId}, target 2^${(wc.poraTarget.toString(2).length - 256).toString()}`
    );
  }

  private async contextRound(): Promise<void> {
    try {
      this.onContext(await this.o.chain.computeWorkerContext(this.o.minerId));
    } catch (e) {
      this.setPause(`context query failed: ${(e as Error).message}`);
    }
  }

  private async syncRound(signal: AbortSignal, progress: Progress): Promise<void> {
    try {
      await this.o.follower.poll();
      progress.beat();
      await this.o.sync?.step(signal, () => progress.beat());
      await this.o.sealer.sealPending(signal, () => progress.beat());
    } catch (e) {
      if (!signal.aborted) this.o.log.warn(`flow sync: ${(e as Error).message}`);
    }
  }

  /** One search batch (or a short wait while there is no job or the guard holds the search). */
  private async searchRound(signal: AbortSignal): Promise<void> {
    const cpu = Math.min(100, Math.max(1, this.o.cpuPercentage));
    const a = this.active;
    const held = this.o.guard?.pauseReason() ?? null;
    if (held !== this.guardReason) {
      if (held !== null) this.o.log.warn(`search paused: ${held}`);
      else this.o.log.info(`search resumed (${this.guardReason})`);
      this.guardReason = held;
    }
    if (!a || held !== null) return sleep(200, signal);
    this.loadSource ??= this.o.loadSource ?? this.o.store.loadSource();
    const t0 = performance.now();
    // Aborted by a new job, by stop() and by the watchdog's restart.
    const res = await this.o.backend.search(a.job, { base: randomBytes(32), start: 0n, count: this.o.iterBatchSize }, this.loadSource, AbortSignal.any([a.abort.signal, signal]));
    if (signal.aborted && !this.stopCtl.signal.aborted) return; // restarted: this batch is abandoned
    const dev = this.device;
    this.totals.nonces += res.stats.nonces;
    this.totals.sealHashes += res.stats.sealHashes;
    this.totals.rejected += res.stats.rejected;
    this.windowNonces += res.stats.nonces;
    this.deviceNonces.set(dev, (this.deviceNonces.get(dev) ?? 0) + res.stats.nonces);
    this.o.metrics?.recordNonces(dev, res.stats.nonces);
    this.o.metrics?.recordSealHashes(dev, res.stats.sealHashes);
    for (let i = 0; i < res.stats.rejected; i++) this.o.metrics?.recordHitRejected('cpu_recheck');
    for (const hit of res.hits) {
      this.totals.hits++;
      this.o.metrics?.recordHit(dev);
      // Every hit of every backend passes the gate (hitGate.ts) before it can reach the submitter.
      const refused = await this.gate.check(a.job, hit);
      if (refused) {
        this.totals.rejected++;
        this.o.metrics?.recordHitRejected(refused.reason);
        if (refused.damagedLoad !== undefined) this.suspectLoad(refused.damagedLoad, `${refused.detail}; not submitted`);
        else if (refused.reason !== 'seal0_load0') this.o.log.warn(`${refused.detail}; not submitted`);
        continue;
      }
      this.queue.push({ hit, active: a });
      this.wakeSubmitter?.();
    }
    if (res.stats.sealHashes === 0 && res.stats.nonces > 0 && res.hits.length === 0) {
      // Nothing held in range yet: avoid spinning on empty loads.
      await sleep(50, signal);
    }
    if (cpu < 100) await sleep(((performance.now() - t0) * (100 - cpu)) / cpu, signal);
    // A backend that computes on this thread resolves without a macrotask turn; let timers and
    // RPC replies (context watcher, submitter) run between batches.
    else await new Promise<void>((r) => setImmediate(r));
  }

  /**
   * A hit on load L failed because of the bytes the store holds: with the store's scrub wired in,
   * L is checked now (repaired, or forgotten when its raw data is bad) and only the hit that queued
   * it is warned about; later hits on it until that check are summarised. Without it, every one.
   */
  private suspectLoad(loadIndex: bigint, line: string): void {
    if (this.o.damage === undefined) this.o.log.warn(line);
    else if (this.o.damage.suspect(loadIndex)) this.o.log.warn(`${line}; load ${loadIndex} queued for the store check (repaired, or forgotten if its raw data is bad)`);
    else logRepeated(this.o.log, 'hits on a load queued for the store check', 'its stored bytes failed; not submitted', line);
  }

  /** Resolves once a hit is queued (or on stop): the submitter's idle wait. */
  private async workQueued(): Promise<void> {
    while (this.queue.length === 0 && !this.stopCtl.signal.aborted) {
      await new Promise<void>((r) => {
        this.wakeSubmitter = r;
      });
      this.wakeSubmitter = null;
    }
  }

  private async submitRound(): Promise<void> {
    const item = this.queue.shift();
    if (item) await this.submitHit(item.hit, item.active);
  }

  private count(result: SubmitResult, hit: Hit, epoch: bigint, outcome?: SubmitOutcomeView): void {
    this.counts[result]++;
    this.o.metrics?.recordSubmission(result);
    const rec: AnswerRecord = {
      time: new Date(this.now()).toISOString(),
      epoch: String(epoch),
      recallPosition: String(hit.recallPosition),
      sealOffset: hit.sealOffset,
      result,
    };
    if (outcome?.reason !== undefined) rec.reason = outcome.reason;
    if (outcome?.txHash !== undefined) rec.txHash = outcome.txHash;
    this.answers.push(rec);
    if (this.answers.length > RECENT_ANSWERS) this.answers.shift();
  }

  private async submitHit(hit: Hit, a: ActiveJob): Promise<void> {
    if (this.active?.job.id !== hit.jobId || a.job.id !== hit.jobId) {
      this.count('stale', hit, a.wc.context.epoch, { result: 'stale', reason: 'context or subtask window passed' });
      logRepeated(this.o.log, 'hits dropped', 'their context or subtask window had passed', `hit at ${hit.recallPosition} dropped: its context or window has passed`);
      return;
    }
    let answer: PoraAnswer;
    try {
      const sealedContextDigest = await this.o.chain.sealedContextDigest(hit.recallPosition);
      const merkleProof = await sealProof(this.o.store, this.o.flowTree, hit.recallPosition / SECTORS_PER_SEAL_N, a.wc.context.flowLength);
      answer = {
        contextDigest: a.wc.context.digest,
        nonce: hit.nonce,
        minerId: this.o.minerId,
        range: a.job.range,
        recallPosition: hit.recallPosition,
        sealOffset: BigInt(hit.sealOffset),
        sealedContextDigest,
        sealedData: hit.sealedData,
        merkleProof,
      };
      const root = recoverMerkleRoot(unseal(hit.sealedData, this.o.minerId, sealedContextDigest, hit.recallPosition), hit.recallPosition, merkleProof);
      if (!equalBytes(root, a.wc.context.flowRoot)) {
        this.count('error', hit, a.wc.context.epoch, { result: 'error', reason: 'local data or proof does not give the flow root' });
        this.suspectLoad(hit.recallPosition / SECTORS_PER_LOAD_N, `hit at ${hit.recallPosition}: local data/proof gives root ${toHex(root)}, the context's flowRoot is ${toHex(a.wc.context.flowRoot)}; not submitted`);
        return;
      }
    } catch (e) {
      this.count('error', hit, a.wc.context.epoch, { result: 'error', reason: `cannot build the answer: ${(e as Error).message}` });
      this.o.log.warn(`hit at ${hit.recallPosition}: cannot build the answer: ${(e as Error).message}`);
      return;
    }
    const outcome = await this.o.chain.submit(answer);
    this.count(outcome.result, hit, a.wc.context.epoch, outcome);
    const tail = outcome.reason ? `: ${outcome.reason}` : outcome.txHash ? ` (tx ${outcome.txHash})` : '';
    // A reverted or failed answer is a warning (the dashboard lists warnings); accepted and stale are routine.
    const bad = outcome.result === 'reverted' || outcome.result === 'error';
    const say = (line: string): void => (bad ? this.o.log.warn(line) : this.o.log.info(line));
    say(`answer epoch ${a.wc.context.epoch} recallPosition ${hit.recallPosition} sealOffset ${hit.sealOffset}: ${outcome.result}${tail}`);
    this.o.onSubmission?.(outcome, answer);
  }

  private async hashrateLoop(): Promise<void> {
    const signal = this.stopCtl.signal;
    while (!signal.aborted) {
      await sleep(HASHRATE_LOG_MS, signal);
      if (signal.aborted) break;
      const secs = (this.now() - this.windowStart) / 1000;
      const rate = secs > 0 ? this.windowNonces / secs : 0;
      this.windowNonces = 0;
      this.windowStart = this.now();
      const c = this.counts;
      const health = this.o.healthLine?.() ?? null;
      const state = this.guardReason !== null ? `paused: ${this.guardReason}` : this.active ? `mining epoch ${this.active.wc.context.epoch}` : `paused: ${this.pauseReason}`;
      this.o.log.info(
        `hashrate ${this.device} ${rate.toFixed(1)} nonces/s${health ? ` | ${health}` : ''} | ${state} | submissions accepted ${c.accepted}, reverted ${c.reverted}, stale ${c.stale}, error ${c.error}`
      );
    }
  }
}

/** 3725 s → "1h 2m 5s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m ${s % 60}s` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}
