/**
 * Follows the Flow through its `Submit` events and fills the sealed store with raw flow data:
 * gaps between submissions (alignment, segment padding, the placeholder sector 0) are known
 * zeros; each transaction's sectors come from the DataSource, checked against its node roots.
 * Progress lives in `<dataDir>/follower.json` (temp + rename), the transactions still waiting for
 * their data in an append-only log beside it (`follower.pending.jsonl`, made durable first);
 * re-processing a transaction after a crash rewrites the same bytes, so no further ordering is needed.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { isPendingEntry, PendingLog, type PendingEntry } from './pendingLog.js';
import type { DataSource } from './dataSource.js';
import { checkFileAgainstNodes } from './dataSource.js';
import type { FileHasher, FlowSubmissionView, FlowTreePort, LoadRootsView, MinerChain, MinerLogger, MinerStore } from './ports.js';
import { SECTORS_PER_LOAD_N } from '../spec.js';
import { equalBytes, toHex } from '../bytes.js';

interface FollowerState {
  /** Next block whose logs are unread. */
  nextBlock: number;
  /** End (sector) of the last submission seen; data before it is accounted for or pending. */
  flowEnd: string;
  /**
   * Submissions seen whose data is not stored yet, in flow order (retried when their file arrives,
   * or by the sweep). Kept in the pending log; a state file from before the log holds them here.
   */
  pending: PendingEntry[];
}

const isDecimal = (v: unknown): v is string => typeof v === 'string' && /^\d+$/.test(v);

/** The follower state in `text`, or null when it is not one (garbled, truncated, wrong shape). */
export function parseFollowerState(text: string): FollowerState | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const s = v as Partial<FollowerState>;
  if (typeof v !== 'object' || v === null || !Number.isSafeInteger(s.nextBlock) || s.nextBlock! < 0 || !isDecimal(s.flowEnd)) return null;
  if (s.pending !== undefined && !(Array.isArray(s.pending) && s.pending.every(isPendingEntry))) return null;
  return { nextBlock: s.nextBlock!, flowEnd: s.flowEnd, pending: s.pending ?? [] };
}

/** How many blocks one eth_getLogs asks for. */
const LOG_SPAN = 5000;

/**
 * Pending transactions re-checked per poll whatever their file: their data can also arrive from
 * peers or through RPC uploads (then `held`), so a rotating sweep of this many keeps a poll's cost
 * bounded while a long pending list still drains.
 */
export const PENDING_SWEEP = 256;

export interface FlowFollowerOptions {
  chain: MinerChain;
  store: MinerStore;
  /** Every Submit event is applied here first (the flow tree answers proofs). */
  flowTree: FlowTreePort;
  source: DataSource;
  stateFile: string;
  /** The Flow's deployment block (first block with possible Submit events). */
  fromBlock: number;
  /** Hashes a file once (wasm) for the node check and the store's load roots; default: the TypeScript check, and the store hashes. */
  hashFile?: FileHasher;
  log: MinerLogger;
  /** Called with each block range's Submit events before the follower moves past them (the RPC's tx index). */
  onSubmissions?: (subs: FlowSubmissionView[]) => Promise<void>;
  /**
   * True when the consumer of `onSubmissions` holds none of the events the follower has passed
   * (the RPC's transaction index in a data dir from before it existed): they are read again.
   */
  needsEventReplay?: () => boolean;
  /** True when the submission's data is already held (synced from peers or uploaded): it leaves the pending list. */
  held?: (sub: FlowSubmissionView) => boolean;
  /** Appended to the "no local data yet" line (e.g. that peers will be asked). */
  pendingHint?: string;
  /**
   * The transactions overlapping flow sectors [start, end) (the RPC's tx index): when the store
   * forgets a load whose raw data failed its check, its transactions are pending again, so an
   * imported file (or a peer) brings the data back.
   */
  txsIn?: (start: bigint, end: bigint) => FlowSubmissionView[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function pendingEntry(sub: FlowSubmissionView): PendingEntry {
  return {
    txSeq: String(sub.txSeq),
    startPos: String(sub.startPos),
    lengthSectors: String(sub.lengthSectors),
    sizeBytes: String(sub.sizeBytes),
    nodes: sub.nodes.map((n) => ({ root: hex(n.root), height: n.height })),
  };
}

export class FlowFollower {
  private readonly o: FlowFollowerOptions;
  private state: FollowerState | null = null;
  /** Submissions seen so far (flow end in sectors), for status lines. */
  get flowEnd(): bigint {
    return BigInt(this.state?.flowEnd ?? '0');
  }
  get pendingCount(): number {
    return this.state?.pending.length ?? 0;
  }
  /** The last block whose Submit events are applied (-1 before the first poll). */
  get syncedBlock(): number {
    return (this.state?.nextBlock ?? 0) - 1;
  }

  constructor(o: FlowFollowerOptions) {
    this.o = o;
  }

  /** The pending log's file: `follower.json` → `follower.pending.jsonl`. */
  private get pendingFile(): string {
    return `${this.o.stateFile.replace(/\.json$/, '')}.pending.jsonl`;
  }
  private pendingLog: PendingLog | null = null;
  /** The txSeqs in `pending`: an event read again after a crash is not added twice. */
  private pendingSeqs = new Set<string>();

  private async loadState(): Promise<FollowerState> {
    if (this.state) return this.state;
    let text: string | null = null;
    try {
      text = await readFile(this.o.stateFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const parsed = text === null ? null : parseFollowerState(text);
    if (text !== null && parsed === null) {
      // A garbled state file must not stop flow following for good: everything in it can be read
      // from the chain again (stored data is kept; a repeated event is ignored by the tree).
      this.o.log.warn(`${this.o.stateFile} is damaged: rebuilding the follower state from the chain (Submit events from block ${this.o.fromBlock})`);
    }
    const { log, entries } = await PendingLog.open(this.pendingFile);
    this.pendingLog = log;
    let state = parsed ?? { nextBlock: this.o.fromBlock, flowEnd: '0', pending: [] };
    // A state file from before the log carries its pending list: it moves into the log.
    let pending = state.pending.length > 0 && entries.length === 0 ? state.pending : entries;
    if (parsed === null) pending = [];
    let replay: string | null = null;
    if (this.o.flowTree.length() === 1n && BigInt(state.flowEnd) > 0n) {
      // A store from before the flow tree (or one whose tree was deleted): read every Submit
      // event again so the tree holds them; stored data is not rewritten (known sectors are kept).
      replay = 'flow tree is empty';
    } else if (BigInt(state.flowEnd) > 0n && this.o.needsEventReplay?.()) {
      // The tree and the store ignore the repeated events; only the consumer is filled.
      replay = 'transaction index is empty';
    }
    if (replay !== null) {
      this.o.log.info(`${replay}: re-reading Submit events from block ${this.o.fromBlock}`);
      state = { nextBlock: this.o.fromBlock, flowEnd: '0', pending: [] };
      pending = [];
    }
    state.pending = pending;
    this.pendingSeqs = new Set(pending.map((p) => p.txSeq));
    if (pending !== entries && (pending.length > 0 || entries.length > 0)) await log.rewrite(pending);
    this.state = state;
    this.savedBlock = state.nextBlock;
    if (parsed !== null && parsed.pending.length > 0) await this.saveState(); // drop the old inline list
    return state;
  }

  /** nextBlock as last written to the state file. */
  private savedBlock = 0;
  /** The store's `forgets` when forgotten loads were last turned into pending transactions (-1: not yet). */
  private forgetsSeen = -1;

  /**
   * Makes the transactions of every forgotten load pending again (first poll, and whenever the
   * store forgets another load); returns whether any was added.
   */
  private requeueForgotten(st: FollowerState): boolean {
    const forgets = this.o.store.forgets ?? 0;
    if (forgets === this.forgetsSeen || this.o.store.forgottenLoads === undefined || this.o.txsIn === undefined) return false;
    this.forgetsSeen = forgets;
    let added = false;
    for (const L of this.o.store.forgottenLoads()) {
      for (const sub of this.o.txsIn(L * SECTORS_PER_LOAD_N, (L + 1n) * SECTORS_PER_LOAD_N)) {
        if (this.pendingSeqs.has(String(sub.txSeq)) || this.o.store.rangeKnown(sub.startPos, sub.startPos + sub.lengthSectors)) continue;
        this.addPending(st, sub);
        added = true;
        this.o.log.info(`tx ${sub.txSeq}: its data in load ${L} was forgotten (damaged on disk): pending again${this.o.pendingHint ?? ` (zg-miner import --tx ${sub.txSeq} FILE)`}`);
      }
    }
    return added;
  }

  /** Adds `sub` to the pending list and its log (durable with the next saveState). */
  private addPending(st: FollowerState, sub: FlowSubmissionView): void {
    const entry = pendingEntry(sub);
    st.pending.push(entry);
    this.pendingSeqs.add(entry.txSeq);
    this.pendingLog!.add(entry);
    this.pendingPos = null;
  }

  private async saveState(): Promise<void> {
    const st = this.state!;
    // Pending additions first: the state must not pass the events that added them before they last.
    await this.pendingLog!.flush(() => st.pending);
    this.savedBlock = st.nextBlock;
    const tmp = `${this.o.stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify({ nextBlock: st.nextBlock, flowEnd: st.flowEnd }));
    await rename(tmp, this.o.stateFile);
  }

  /** Closes the pending log after a poll in flight (the follower can be polled again after: it reopens). */
  async close(): Promise<void> {
    await this.inflight?.catch(() => {});
    await this.pendingLog?.close();
    this.pendingLog = null;
    this.state = null;
  }

  /** Where each pending txSeq sits in `pending` (rebuilt after the list changes). */
  private pendingPos: Map<string, number> | null = null;
  private sweepCursor = 0;

  /** Indexes of the pending transactions worth a try this poll. */
  private async retryCandidates(pending: FollowerState['pending']): Promise<{ indexes: Iterable<number>; files: ReadonlySet<bigint> | null }> {
    if (pending.length === 0) return { indexes: [], files: null };
    const files = this.o.source.available ? await this.o.source.available() : null;
    if (files === null) return { indexes: pending.keys(), files };
    const out = new Set<number>();
    if (files.size > 0) {
      if (this.pendingPos === null) this.pendingPos = new Map(pending.map((p, i) => [p.txSeq, i]));
      for (const t of files) {
        const i = this.pendingPos.get(String(t));
        if (i !== undefined) out.add(i);
      }
    }
    const sweep = Math.min(PENDING_SWEEP, pending.length);
    for (let k = 0; k < sweep; k++) out.add((this.sweepCursor + k) % pending.length);
    this.sweepCursor = (this.sweepCursor + sweep) % pending.length;
    return { indexes: [...out].sort((a, b) => a - b), files };
  }

  /** Stores one submission's data; false when the DataSource does not have it (yet). */
  private async storeSubmission(sub: FlowSubmissionView, fileMayBeThere = true): Promise<boolean> {
    // Stored before a restart (its file is gone by now, and its event read again): nothing to do.
    if (this.o.store.rangeKnown(sub.startPos, sub.startPos + sub.lengthSectors)) return true;
    // Synced from peers or uploaded through the RPC (a shard miner holds only its loads of it).
    if (this.o.held?.(sub)) return true;
    if (!fileMayBeThere) return false;
    const data = await this.o.source.fileData(sub.txSeq, sub.sizeBytes);
    if (data === null) return false;
    const end = sub.startPos + sub.lengthSectors;
    if (this.o.hashFile === undefined || BigInt(data.length) !== sub.sizeBytes) {
      const bad = checkFileAgainstNodes(data, sub.sizeBytes, sub.nodes);
      if (bad !== null) return this.rejectFile(sub, bad);
      await this.o.store.writeSubmission(sub.startPos, end, data);
    } else {
      // One hashing of the file (on the hash pool), while the store writes it: its node roots are
      // checked here, its load roots go to the store, which records nothing if the check fails.
      const heights = sub.nodes.map((n) => n.height);
      const checked = this.o.hashFile(data, heights).then((h) => {
        const i = sub.nodes.findIndex((n, k) => !equalBytes(n.root, h.nodeRoots[k]!));
        if (i >= 0) throw new FileRejected(`node ${i} (height ${sub.nodes[i]!.height}) root ${toHex(h.nodeRoots[i]!)} differs from the transaction's ${toHex(sub.nodes[i]!.root)}`);
        if (sub.startPos % SECTORS_PER_LOAD_N !== 0n) return undefined;
        const roots = new Map<bigint, LoadRootsView>();
        for (const [k, r] of h.loads) roots.set(sub.startPos / SECTORS_PER_LOAD_N + BigInt(k), r);
        return roots;
      });
      try {
        await this.o.store.writeSubmission(sub.startPos, end, data, checked);
      } catch (e) {
        if (e instanceof FileRejected) return this.rejectFile(sub, e.message);
        throw e;
      }
    }
    // The store holds the data now: the imported copy goes (no second copy of the flow on disk).
    await this.o.source.remove?.(sub.txSeq);
    this.o.log.info(`tx ${sub.txSeq}: stored ${data.length} bytes at sectors [${sub.startPos}, ${end})`);
    return true;
  }

  private rejectFile(sub: FlowSubmissionView, reason: string): false {
    this.o.log.warn(`tx ${sub.txSeq}: local file rejected: ${reason}`);
    return false;
  }

  private inflight: Promise<number> | null = null;

  /** Reads new Submit events and stores what it can; returns the number of transactions stored. */
  async poll(): Promise<number> {
    const p = this.pollOnce();
    this.inflight = p;
    try {
      return await p;
    } finally {
      if (this.inflight === p) this.inflight = null;
    }
  }

  private async pollOnce(): Promise<number> {
    const st = await this.loadState();
    const requeued = this.requeueForgotten(st);
    let stored = 0;
    // Retry pending transactions first: those whose file has arrived, and a bounded sweep for data
    // that came another way. Without a listing source, every one (the cost is then O(pending)).
    const done = new Set<number>();
    const { indexes, files } = await this.retryCandidates(st.pending);
    for (const i of indexes) {
      const p = st.pending[i]!;
      const sub: FlowSubmissionView = {
        txSeq: BigInt(p.txSeq),
        startPos: BigInt(p.startPos),
        lengthSectors: BigInt(p.lengthSectors),
        sizeBytes: BigInt(p.sizeBytes),
        nodes: p.nodes.map((n) => ({ root: unhex(n.root), height: n.height })),
        blockNumber: 0,
      };
      if (await this.storeSubmission(sub, files === null || files.has(sub.txSeq))) {
        stored++;
        done.add(i);
      }
    }
    let changed = requeued || done.size > 0;
    if (done.size > 0) {
      // The sweep goes on where it was: entries removed before the cursor shift it back.
      let before = 0;
      for (const i of done) if (i < this.sweepCursor) before++;
      for (const i of done) {
        const seq = st.pending[i]!.txSeq;
        this.pendingLog!.remove(seq);
        this.pendingSeqs.delete(seq);
      }
      st.pending = st.pending.filter((_, i) => !done.has(i));
      this.sweepCursor = st.pending.length === 0 ? 0 : (this.sweepCursor - before) % st.pending.length;
      this.pendingPos = null;
    }
    const head = await this.o.chain.blockNumber();
    while (st.nextBlock <= head) {
      const to = Math.min(head, st.nextBlock + LOG_SPAN - 1);
      const subs = await this.o.chain.submissions(st.nextBlock, to);
      for (const sub of subs) {
        await this.o.flowTree.addSubmission(sub);
        const prevEnd = BigInt(st.flowEnd);
        // The gap before this submission (sector 0 placeholder, alignment, segment padding) is zeros.
        if (sub.startPos > prevEnd) await this.o.store.markKnownZero(prevEnd, sub.startPos);
        if (await this.storeSubmission(sub)) stored++;
        else if (!this.pendingSeqs.has(String(sub.txSeq))) {
          this.addPending(st, sub);
          this.o.log.info(`tx ${sub.txSeq}: no local data yet for sectors [${sub.startPos}, ${sub.startPos + sub.lengthSectors}) ${this.o.pendingHint ?? ` (zg-miner import --tx ${sub.txSeq} FILE)`}`);
        }
        const end = sub.startPos + sub.lengthSectors;
        if (end > prevEnd) st.flowEnd = String(end);
        changed = true;
      }
      if (subs.length > 0) await this.o.onSubmissions?.(subs);
      st.nextBlock = to + 1;
    }
    // The state file is rewritten only when something changed, or after a long stretch of empty
    // blocks (so a restart does not rescan them all): an idle poll writes nothing.
    if (changed || st.nextBlock - this.savedBlock >= LOG_SPAN) await this.saveState();
    return stored;
  }
}

/** A file whose hash disagrees with its Submit event (the store records nothing of it). */
class FileRejected extends Error {}
