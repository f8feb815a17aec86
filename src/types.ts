/**
 * Domain types shared by every layer. Field names are the contracts' (spec §2.1, §3.1, §7.1).
 * Byte strings are Uint8Array; uint256/uint64 values are bigint.
 */

/** A 32-byte value (hash, id, digest). */
export type Bytes32 = Uint8Array;

/** `RecallRange` in ABI order: shardId comes before shardMask. Positions in sectors. */
export interface RecallRange {
  startPosition: bigint;
  mineLength: bigint;
  shardId: bigint;
  shardMask: bigint;
}

/** `MineContext` as the Flow contract returns it. */
export interface MineContext {
  epoch: bigint;
  mineStart: bigint;
  flowRoot: Bytes32;
  flowLength: bigint;
  blockDigest: Bytes32;
  digest: Bytes32;
}

/** `PoraAnswer`, the argument of `PoraMine.submit()` (spec §7.1). */
export interface PoraAnswer {
  contextDigest: Bytes32;
  nonce: Bytes32;
  minerId: Bytes32;
  range: RecallRange;
  recallPosition: bigint;
  sealOffset: bigint;
  sealedContextDigest: Bytes32;
  /** 4096 sealed bytes (the ABI's bytes32[128], in order). */
  sealedData: Uint8Array;
  merkleProof: Bytes32[];
}

/** Epoch range `{start, end}` recorded on chain for a context digest (sectors, end exclusive). */
export interface EpochRange {
  start: bigint;
  end: bigint;
}

/** What an offline verifier knows of the chain (see verify/verifyAnswer.ts). */
export interface VerifyView {
  context: { digest: Bytes32; flowRoot: Bytes32; flowLength: bigint };
  poraTarget: bigint;
  subtaskDigest: Bytes32;
  maxShards: bigint;
  sealDataEnabled: boolean;
  dataProofEnabled: boolean;
  sealedContextRange: EpochRange | null;
  minerRegistered?: boolean;
}

export type VerifyResult =
  | { ok: true; quality: Bytes32; warnings: string[] }
  | { ok: false; reason: string; warnings: string[] };

/** How one answer submission ended: mined in a successful tx, reverted (with a reason), stale, or failed to send. */
export type SubmitResult = 'accepted' | 'reverted' | 'stale' | 'error';

/** One Flow `Submit` event: where a submission landed and the node roots it was built from. */
export interface FlowSubmission {
  txSeq: bigint;
  startPos: bigint;
  /** Σ 2^height sectors the submission occupies. */
  lengthSectors: bigint;
  /** File size in bytes (submission.data.length). */
  sizeBytes: bigint;
  nodes: { root: Bytes32; height: number }[];
  blockNumber: number;
}
