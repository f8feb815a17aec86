/**
 * What the miner needs from the other layers, as interfaces: miner/ never imports chain/,
 * store/, metrics/ or a library (design "Dependency direction"); cli/ wires the instances.
 * `MinerStore` is the subset of `SealedStore` (src/store/sealedStore.ts) the miner calls.
 */
import type { LoadSource, PoraBackend } from '../backend/backend.js';
import type { Bytes32, EpochRange, FlowSubmission, MineContext, PoraAnswer, SubmitResult } from '../types.js';

// The backend port: the rest of miner/ takes these from here, never from backend/ itself.
export type { Hit, LoadSource, MineJob, PoraBackend, SealInput } from '../backend/backend.js';

export interface MinerStore {
  writeFlowData(startSector: bigint, data: Uint8Array): Promise<void>;
  markKnownZero(startSector: bigint, endSector: bigint): Promise<void>;
  isLoadComplete(loadIndex: bigint): boolean;
  readRawLoad(loadIndex: bigint): Promise<Uint8Array>;
  sealedMask(loadIndex: bigint): bigint;
  commitSealed(loadIndex: bigint, seals: { sealIndex: number; sealed: Uint8Array; contextDigest: Uint8Array }[]): Promise<void>;
  readSealedSeal(loadIndex: bigint, sealIndex: number): Promise<Uint8Array>;
  loadRoot(loadIndex: bigint): Uint8Array | null;
  sealRoots(loadIndex: bigint): Uint8Array[] | null;
  completeLoads(): bigint[];
  loadSource(): LoadSource;
  stats(): { knownSectors: bigint; sealedSectors: bigint; completeLoads: number; sealedLoads: number };
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

export interface MinerLogger {
  info(line: string): void;
  warn(line: string): void;
}

export interface MinerDeps {
  chain: MinerChain;
  store: MinerStore;
  backend: PoraBackend;
  source: import('./dataSource.js').DataSource;
  minerId: Bytes32;
  log: MinerLogger;
  metrics?: MinerMetricsSink;
}
