/**
 * What the miner needs from the other layers, as interfaces: miner/ never imports chain/,
 * store/, metrics/ or a library (design "Dependency direction"); cli/ wires the instances.
 * `MinerStore` is the subset of `SealedStore` (src/store/sealedStore.ts) the miner calls.
 */
import type { LoadSource, PoraBackend } from '../backend/backend.js';
import type { Bytes32, EpochRange, FlowSubmission, MineContext, PoraAnswer, SubmitResult } from '../types.js';

// The backend port: the rest of miner/ takes these from here, never from backend/ itself.
export type { Hit, LoadSource, MineJob, PoraBackend, SealInput } from '../backend/backend.js';

/** The roots of one verified load (core/flowTree.ts `hashLoad`): level-10 root, 64 level-4 seal roots. */
export interface LoadRootsView {
  loadRoot: Bytes32;
  sealRoots: Bytes32[];
}

export interface MinerStore {
  writeFlowData(startSector: bigint, data: Uint8Array): Promise<void>;
  /**
   * Stores a submission's file at `startSector` (last sector zero-padded) and its node padding up
   * to `endSector` as known zeros; `roots` (by flow load index, from hashing the file once) are
   * used for the loads it completes instead of hashing them again. A promise of them lets the
   * store write while the file is hashed; when it rejects, nothing is recorded and it rejects.
   */
  writeSubmission(startSector: bigint, endSector: bigint, data: Uint8Array, roots?: Map<bigint, LoadRootsView> | Promise<Map<bigint, LoadRootsView> | undefined>): Promise<void>;
  /**
   * Stores a whole load (262144 bytes) whose roots the caller has ALREADY checked against the
   * chain (the flow tree), without hashing it again: marks it complete, keeps its seal roots and
   * records them in the flow tree. Durable when it resolves; a load already complete is left as is.
   */
  writeVerifiedLoad(loadIndex: bigint, bytes: Uint8Array, roots: LoadRootsView): Promise<void>;
  markKnownZero(startSector: bigint, endSector: bigint): Promise<void>;
  isLoadComplete(loadIndex: bigint): boolean;
  /** True when every sector of [start, end) is known (stored data or known zeros). */
  rangeKnown(start: bigint, end: bigint): boolean;
  readRawLoad(loadIndex: bigint): Promise<Uint8Array>;
  sealedMask(loadIndex: bigint): bigint;
  commitSealed(loadIndex: bigint, seals: { sealIndex: number; sealed: Uint8Array; contextDigest: Uint8Array }[]): Promise<void>;
  /** commitSealed for several loads in one group commit (one fdatasync per file); optional. */
  commitSealedMany?(items: readonly { loadIndex: bigint; seals: { sealIndex: number; sealed: Uint8Array; contextDigest: Uint8Array }[] }[]): Promise<void>;
  readSealedSeal(loadIndex: bigint, sealIndex: number): Promise<Uint8Array>;
  loadRoot(loadIndex: bigint): Uint8Array | null;
  sealRoots(loadIndex: bigint): Uint8Array[] | null;
  /** The lowest complete load ≥ `from` that this miner seals and that is not fully sealed, or null (O(1) when none). */
  nextUnsealedLoad(from: bigint): bigint | null;
  loadSource(): LoadSource;
  stats(): { knownSectors: bigint; sealedSectors: bigint; completeLoads: number; sealedLoads: number };
  /** Loads forgotten because their raw data failed its check, not complete again (store/scrub.ts). */
  forgottenLoads?(): bigint[];
  /** Changes each time the store forgets a load (O(1) to compare). */
  readonly forgets?: number;
}

/**
 * Hashes a submitted file once (store/loadHash.ts `hashFile`, wasm on every core): the root of each Submit node
 * (`heights` in order over the zero-padded file) and the roots of each whole load, by file-relative index.
 */
export type FileHasher = (data: Uint8Array, heights: readonly number[]) => Promise<{ nodeRoots: Bytes32[]; loads: Map<number, LoadRootsView> }>;

/** The flow's Merkle tree as the chain committed it (spec §6.1–6.3): built from Submit events and verified data. */
export interface FlowTreePort {
  /** Sectors in the flow per the applied Submit events (a fresh flow has length 1: leaf 0). */
  length(): bigint;
  /**
   * Applies one Submit event, in submissionIndex (txSeq) order; a repeat is ignored. Durable when
   * it resolves. Returns where the submission's data lies in the flow.
   * @throws MinerError when an earlier submission is missing or the event disagrees with the tree.
   */
  addSubmission(sub: FlowSubmission): Promise<{ startSector: bigint; endSector: bigint }>;
  /** Root of the flow when it had `flowLength` sectors (any length ≤ length(); mined contexts are older). */
  rootAt(flowLength: bigint): Promise<Bytes32>;
  /** Complete node (level, index) of the current flow if known (from events, or from a recorded verified load), else null. */
  node(level: number, index: bigint): Promise<Bytes32 | null>;
  /**
   * Siblings from `level` up to height(flowLength)−1 of node (level, index) in the flow of
   * `flowLength` (answer proofs: levels ≥ 10 here, 4..9 from the load's seal roots; sector proofs
   * for the RPC: the caller supplies levels 0..9 from data and asks for levels ≥ 10).
   * @throws MinerError if a needed node is unknown.
   */
  proof(level: number, index: bigint, flowLength: bigint): Promise<Bytes32[]>;
  /**
   * Records the roots of a verified, stored load (its level-10 root; the 64 level-4 seal roots
   * stay with the store, which serves levels 4..9) so proofs reach below the events' granularity.
   * @throws MinerError if the load lies beyond length() or disagrees with a known node.
   */
  recordLoad(loadIndex: bigint, loadRoot: Bytes32, sealRoots: Bytes32[]): Promise<void>;
}

/**
 * Flow data from peers (sync/ implements it; cli/ wires it): one pass fetches, verifies against
 * the flow tree and stores what this shard lacks. Returns the number of loads stored.
 */
export interface SyncPort {
  /** `beat` is called as loads arrive (the watchdog's sign of progress). */
  step(signal?: AbortSignal, beat?: () => void): Promise<number>;
}

export interface WorkerContextView {
  context: MineContext;
  poraTarget: bigint;
  subtaskDigest: Bytes32;
  maxShards: bigint;
}

/** A Flow `Submit` event (the domain type; the chain adapter decodes it). */
export type FlowSubmissionView = FlowSubmission;

export interface SubmitOutcomeView {
  result: SubmitResult;
  reason?: string;
  txHash?: string;
}

/** The chain calls the miner makes (implemented over chain/ChainClient by cli/). */
export interface MinerChain {
  blockNumber(): Promise<number>;
  computeWorkerContext(minerId: Bytes32): Promise<WorkerContextView>;
  submissions(fromBlock: number, toBlock: number): Promise<FlowSubmissionView[]>;
  epochRangesFrom(index: number): Promise<(EpochRange & { digest: Bytes32 })[]>;
  sealedContextDigest(recallPosition: bigint): Promise<Bytes32>;
  submit(answer: PoraAnswer): Promise<SubmitOutcomeView>;
}

/** Metric hooks: the subset of metrics/'s `MinerMetrics` the miner calls (cli/ passes it in). */
export interface MinerMetricsSink {
  recordNonces(device: string, n: number): void;
  recordSealHashes(device: string, n: number): void;
  recordHit(device: string): void;
  recordHitRejected(reason: string): void;
  recordSubmission(result: SubmitResult): void;
  setSealedSectors(sectors: bigint): void;
  setContextEpoch(epoch: bigint): void;
}

/** The subset of log/'s `Logger` the miner calls (cli/ passes the process logger in). */
export interface MinerLogger {
  info(line: string): void;
  warn(line: string): void;
  debug?(line: string): void;
  /**
   * A repeated event, summarised as one line per interval (`<what> in the last 30 s: N (<why>)`)
   * with `detail` at debug level. Loggers without it log `detail` at info.
   */
  repeated?(what: string, why: string, detail: string): void;
}

/** Logs a repeated event through `log.repeated` (one summary line per interval), else `detail` at info. */
export function logRepeated(log: MinerLogger, what: string, why: string, detail: string): void {
  if (log.repeated) log.repeated(what, why, detail);
  else log.info(detail);
}

/**
 * The store's damage check (store/scrub.ts `Scrubber`): a load whose sealed or raw bytes failed a
 * hit's check is checked now, ahead of the background walk, and repaired or forgotten.
 */
export interface DamagePort {
  /** Queues load L for a check; false when it is already queued (the caller warned once already). */
  suspect(loadIndex: bigint): boolean;
}

export interface MinerDeps {
  chain: MinerChain;
  store: MinerStore;
  backend: PoraBackend;
  source: import('./dataSource.js').DataSource;
  flowTree: FlowTreePort;
  minerId: Bytes32;
  log: MinerLogger;
  metrics?: MinerMetricsSink;
}
