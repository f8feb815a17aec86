/**
 * A single-threaded PoraBackend written directly over core/: slow (pure TypeScript hashing) but
 * obviously right. It is the oracle the fast backends are compared with in tests, and the
 * re-check path for hits; it is never chosen for mining by `--backend`.
 */
import { SECTORS_PER_SEAL, SEALS_PER_LOAD, BYTES_PER_SEAL, SECTORS_PER_LOAD_N } from '../spec.js';
import { batchNonce } from '../core/nonce.js';
import { computePadSeed, computeScratchPad } from '../core/scratchpad.js';
import { mixSeal, poraOutput } from '../core/pora.js';
import { seal, unseal } from '../core/seal.js';
import {
  meetsTarget,
  qualityBound,
  recallChunkOffset,
  recallInBound,
  recallLoadStart,
  targetScaleX64,
} from '../core/recallRange.js';
import type {
  Hit,
  LoadSource,
  MineJob,
  NonceRange,
  PoraBackend,
  PoraEvaluation,
  PoraInput,
  SealInput,
  SearchResult,
} from './backend.js';

export function createReferenceBackend(): PoraBackend {
  return {
    info: { kind: 'cpu', device: 'core/ reference (single thread)', threads: 1 },

    async search(job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult> {
      const bound = qualityBound(job.poraTarget, targetScaleX64(job.range, job.flowLength));
      const hits: Hit[] = [];
      const stats = { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 };
      for (let k = 0; k < nonces.count; k++) {
        if (signal?.aborted) break;
        const nonce = batchNonce(nonces.base, nonces.start + BigInt(k));
        const padSeed = computePadSeed(job.minerId, nonce, job.subtaskDigest, job.range);
        const { pad, recallSeed } = computeScratchPad(padSeed);
        stats.nonces++;
        const chunkOffset = recallChunkOffset(job.range, recallSeed);
        if (!recallInBound(job.range, chunkOffset)) {
          stats.skipped++;
          continue;
        }
        const loadStart = recallLoadStart(job.range, chunkOffset);
        const loadIndex = loadStart / SECTORS_PER_LOAD_N;
        const mask = data.availability(loadIndex);
        if (mask === 0n) {
          stats.skipped++;
          continue;
        }
        const load = await data.read(loadIndex);
        for (let i = 0; i < SEALS_PER_LOAD; i++) {
          if (((mask >> BigInt(i)) & 1n) === 0n) continue;
          const sealed = load.subarray(i * BYTES_PER_SEAL, (i + 1) * BYTES_PER_SEAL);
          const quality = poraOutput(i, padSeed, mixSeal(sealed, pad, i));
          stats.sealHashes++;
          if (meetsTarget(quality, bound)) {
            hits.push({
              jobId: job.id,
              nonce,
              recallPosition: loadStart + BigInt(i * SECTORS_PER_SEAL),
              sealOffset: i,
              quality,
              sealedData: Uint8Array.from(sealed),
            });
            break;
          }
        }
      }
      return { hits, stats };
    },

    async evaluate(inputs: PoraInput[]): Promise<PoraEvaluation[]> {
      return inputs.map((x) => {
        const padSeed = computePadSeed(x.minerId, x.nonce, x.subtaskDigest, x.range);
        const { pad, padDigest, recallSeed } = computeScratchPad(padSeed);
        return { padSeed, padDigest, recallSeed, quality: poraOutput(x.sealOffset, padSeed, mixSeal(x.sealedData, pad, x.sealOffset)) };
      });
    },

    async seal(inputs: SealInput[], mode: 'seal' | 'unseal'): Promise<Uint8Array[]> {
      const f = mode === 'seal' ? seal : unseal;
      return inputs.map((x) => f(x.data, x.minerId, x.sealContextDigest, x.startSector));
    },

    async dispose(): Promise<void> {},
  };
}
