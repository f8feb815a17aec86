/**
 * The one interface every PoRA search backend implements (CPU worker pool, WebGPU). The host loop
 * sees only this; the CPU backend is the oracle and the fallback.
 */
import type { Bytes32, RecallRange } from '../types.js';

export type BackendKind = 'cpu' | 'gpu';

/** Everything the PoRA hash of one context depends on. */
export interface MineJob {
  /** Changes with every new context/window; hits carry it so stale ones can be dropped. */
  id: number;
  minerId: Bytes32;
  subtaskDigest: Bytes32;
  range: RecallRange;
  poraTarget: bigint;
  /** The context's full flowLength (for the shard target scale). */
  flowLength: bigint;
}

/** Nonces `base ⊕ u64le(i)` for i in [start, start + count) (core/nonce.ts). */
export interface NonceRange {
  base: Bytes32;
  start: bigint;
  count: number;
}

/** A nonce whose recalled load holds a seal meeting the target (the first such seal, ascending). */
export interface Hit {
  jobId: number;
  nonce: Bytes32;
  /** recallLoadStart + 16 * sealOffset. */
  recallPosition: bigint;
  sealOffset: number;
  /** The 32-byte PoRA output (re-verified on the CPU before it leaves the backend). */
  quality: Bytes32;
  /** The 4096 sealed bytes of that seal, as stored (not mixed). */
  sealedData: Uint8Array;
}

export interface SearchStats {
  /** Nonces whose scratch pad was computed. */
  nonces: number;
  /** BLAKE2b quality hashes computed (one per held seal of a recalled, held load). */
  sealHashes: number;
  /** Nonces skipped because the recalled load is out of bound or not held. */
  skipped: number;
  /** Hits the CPU re-check rejected (never returned; counted and logged). */
  rejected: number;
}

export interface SearchResult {
  hits: Hit[];
  stats: SearchStats;
}

/**
 * Sealed loads a backend mines. Load index L = flow sector / 1024 (absolute).
 * `availability(L)` is a 64-bit mask: bit i set = seal i of load L is sealed and may be mined.
 */
export interface LoadSource {
  availability(loadIndex: bigint): bigint;
  /** The 262144 sealed bytes of load L; only called when its availability is non-zero. */
  read(loadIndex: bigint): Promise<Uint8Array>;
  /** Set when every held load lives in shared memory, so workers and GPU uploads need no copy. */
  resident?: ResidentLoads;
}

/** Loads [firstLoad, firstLoad + loadCount) in shared memory. */
export interface ResidentLoads {
  firstLoad: bigint;
  loadCount: number;
  /** Consecutive loads; chunk k holds loads [k*loadsPerChunk, (k+1)*loadsPerChunk). */
  chunks: SharedArrayBuffer[];
  loadsPerChunk: number;
  /** loadCount little-endian u64 availability masks (a BigUint64Array view fits). */
  masks: SharedArrayBuffer;
}

/** Inputs of one PoRA evaluation (selftest, known-answer self-check, GPU-vs-CPU tests). */
export interface PoraInput {
  minerId: Bytes32;
  nonce: Bytes32;
  subtaskDigest: Bytes32;
  range: RecallRange;
  sealOffset: bigint;
  sealedData: Uint8Array;
}

export interface PoraEvaluation {
  padSeed: Uint8Array;
  padDigest: Uint8Array;
  recallSeed: Bytes32;
  /** poraOutput of sealedData at sealOffset (pad slice sealOffset mod 4). */
  quality: Bytes32;
}

export interface SealInput {
  minerId: Bytes32;
  sealContextDigest: Bytes32;
  /** First sector of the seal (= its recallPosition). */
  startSector: bigint;
  data: Uint8Array;
}

export interface BackendInfo {
  kind: BackendKind;
  /** CPU model or GPU adapter description. */
  device: string;
  /** CPU worker threads (the CPU re-check pool for the GPU backend). */
  threads: number;
}

export interface PoraBackend {
  readonly info: BackendInfo;
  /** Searches the nonces of `nonces` for `job` over `data`; every hit is re-verified on the CPU. */
  search(job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult>;
  /** Per-input pad seed, pad digest, recall seed and quality, computed by this backend's kernels. */
  evaluate(inputs: PoraInput[]): Promise<PoraEvaluation[]>;
  /** Seals (or with `unseal`, unseals) 4 KiB seals with this backend's kernels. */
  seal(inputs: SealInput[], mode: 'seal' | 'unseal'): Promise<Uint8Array[]>;
  dispose(): Promise<void>;
}
