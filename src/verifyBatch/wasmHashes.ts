/**
 * PoraHashes (verify/hashes.ts) on pora.wasm, the miner's own WebAssembly PoRA code: the scratch
 * pad, the seal quality, unsealing and the Merkle path run in wasm; the checks stay in verify/verifyAnswer.ts.
 * One instance per thread. A sealOffset above 2^64 − 1 (valid on chain, never mined) takes the
 * TypeScript quality over the wasm pad, since pora.wasm's header takes a 64-bit offset; a proof
 * longer than the wasm buffer holds (never on a real flow: 64 levels at most) folds in TypeScript.
 */
import type { PoraHashes } from '../verify/hashes.js';
import { MAX_WASM_PROOF, WasmPora } from '../backend/wasmPora.js';
import { rangeDigest } from '../core/recallRange.js';
import { mixSeal, poraOutput } from '../core/pora.js';
import { recoverMerkleRoot } from '../core/merkle.js';
import { SECTORS_PER_SEAL_N, UINT64_MAX } from '../spec.js';

export function wasmHashes(): PoraHashes {
  const w = new WasmPora();
  return {
    scratchPad(minerId, nonce, subtaskDigest, range) {
      w.setJob({ minerId, subtaskDigest, rangeDigest: rangeDigest(range), range, bound: 0n });
      w.setNonce(nonce);
      w.scratchPad(0);
      return { recallSeed: w.recallSeed(0) };
    },
    quality(sealedData, sealOffset) {
      if (sealOffset <= UINT64_MAX) return w.sealQuality(sealedData, sealOffset);
      return poraOutput(sealOffset, w.padSeed(0), mixSeal(sealedData, w.pad(0), sealOffset));
    },
    unseal: (sealedData, minerId, sealedContextDigest, recallPosition) => w.sealOne(sealedData, minerId, sealedContextDigest, recallPosition, 'unseal'),
    merkleRoot: (unsealed, recallPosition, proof) =>
      proof.length <= MAX_WASM_PROOF ? w.merkleRoot(unsealed, recallPosition / SECTORS_PER_SEAL_N, proof) : recoverMerkleRoot(unsealed, recallPosition, proof),
  };
}
