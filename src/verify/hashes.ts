/**
 * The hash work of one verification, as a port: the scratch pad of a nonce (steps 1–2), the
 * quality of a seal with that pad (step 5), unsealing and the Merkle path. verifyAnswer holds the
 * contract's checks and their order; an implementation only hashes, so a faster one (pora.wasm,
 * verifyBatch/wasmHashes.ts) can never change a verdict's logic. `coreHashes` is the oracle.
 */
import type { RecallRange } from '../types.js';
import { computePadSeed, computeScratchPad } from '../core/scratchpad.js';
import { mixSeal, poraOutput } from '../core/pora.js';
import { unseal } from '../core/seal.js';
import { recoverMerkleRoot } from '../core/merkle.js';

export interface PoraHashes {
  /** Steps 1–2 for one nonce; the pad stays with the implementation for quality(). */
  scratchPad(minerId: Uint8Array, nonce: Uint8Array, subtaskDigest: Uint8Array, range: RecallRange): { recallSeed: Uint8Array };
  /** Step 5: the PoRA output of `sealedData` at `sealOffset` with the pad of the last scratchPad(). */
  quality(sealedData: Uint8Array, sealOffset: bigint): Uint8Array;
  /** MineLib.unseal: the 4096 unsealed bytes. */
  unseal(sealedData: Uint8Array, minerId: Uint8Array, sealedContextDigest: Uint8Array, recallPosition: bigint): Uint8Array;
  /** MineLib.recoverMerkleRoot: the flow root the seal and its proof fold to. */
  merkleRoot(unsealed: Uint8Array, recallPosition: bigint, proof: readonly Uint8Array[]): Uint8Array;
}

/** The pure-TypeScript implementation over core/ (the oracle every other one is tested against). */
export function coreHashes(): PoraHashes {
  let last: { padSeed: Uint8Array; pad: Uint8Array } | null = null;
  return {
    scratchPad(minerId, nonce, subtaskDigest, range) {
      const padSeed = computePadSeed(minerId, nonce, subtaskDigest, range);
      const { pad, recallSeed } = computeScratchPad(padSeed);
      last = { padSeed, pad };
      return { recallSeed };
    },
    quality(sealedData, sealOffset) {
      if (last === null) throw new Error('coreHashes.quality before scratchPad (a bug)');
      return poraOutput(sealOffset, last.padSeed, mixSeal(sealedData, last.pad, sealOffset));
    },
    unseal: (sealedData, minerId, sealedContextDigest, recallPosition) => unseal(sealedData, minerId, sealedContextDigest, recallPosition),
    merkleRoot: (unsealed, recallPosition, proof) => recoverMerkleRoot(unsealed, recallPosition, proof),
  };
}
