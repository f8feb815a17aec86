/**
 * Hit records as the pora kernel writes them, and the CPU re-check every hit passes before it
 * leaves the backend: `pora()` of verify/ (the contract's verdict) plus the target check.
 */
import { BYTES_PER_SEAL, SECTORS_PER_SEAL, SECTORS_PER_LOAD_N } from '../spec.js';
import { batchNonce } from '../core/nonce.js';
import { recheckHitOnCpu } from '../backend/recheck.js';
import type { Hit, NonceRange, SearchStats } from '../backend/backend.js';
import type { JobConsts } from './jobParams.js';

/** u32 words per record: nonce index, seal offset, load slot, chunk, 8 words of quality. */
export const HIT_WORDS = 12;
/** The hit count, padded to 16 bytes. */
export const HITS_HEADER = 16;

/** Fields of a hit as the kernel recorded them. */
export interface RawHit {
  nonceIdx: number;
  sealOffset: number;
  slot: number;
  chunk: number;
  quality: Uint8Array;
}

/** The `n` records starting at byte `offset` (the hit buffer's header) of `words`. */
export function parseHits(words: Uint32Array, offset: number, n: number): RawHit[] {
  const out: RawHit[] = [];
  for (let k = 0; k < n; k++) {
    const r = (offset + HITS_HEADER) / 4 + k * HIT_WORDS;
    out.push({
      nonceIdx: words[r]!,
      sealOffset: words[r + 1]!,
      slot: words[r + 2]!,
      chunk: words[r + 3]!,
      quality: new Uint8Array(words.buffer.slice((r + 4) * 4, (r + 12) * 4)),
    });
  }
  return out;
}

/**
 * Re-checks one GPU hit on the CPU; pushes it to `hits`, or counts it in `stats.rejected` and
 * logs why. `load` is the recalled load's bytes as the host holds them, `mask` its availability.
 */
export function recheckHit(
  jc: JobConsts,
  nonces: NonceRange,
  batchStart: bigint,
  h: RawHit,
  loadIndex: bigint,
  load: Uint8Array | null,
  mask: bigint,
  stats: SearchStats,
  hits: Hit[],
  log: (line: string) => void
): void {
  const nonce = batchNonce(nonces.base, batchStart + BigInt(h.nonceIdx));
  const recallPosition = loadIndex * SECTORS_PER_LOAD_N + BigInt(h.sealOffset * SECTORS_PER_SEAL);
  let why = '';
  if (load === null || h.sealOffset >= 64) why = 'hit names a load or seal outside the data';
  else if (((mask >> BigInt(h.sealOffset)) & 1n) === 0n) why = 'hit names a seal that is not sealed';
  const sealedData = load ? Uint8Array.from(load.subarray(h.sealOffset * BYTES_PER_SEAL, (h.sealOffset + 1) * BYTES_PER_SEAL)) : new Uint8Array(BYTES_PER_SEAL);
  const hit: Hit = { jobId: jc.job.id, nonce, recallPosition, sealOffset: h.sealOffset, quality: h.quality, sealedData };
  if (!why) why = recheckHitOnCpu(jc.job, hit, jc.bound) ?? '';
  if (why) {
    stats.rejected++;
    log(`gpu: rejected hit (nonce index ${batchStart + BigInt(h.nonceIdx)}, seal ${h.sealOffset}): ${why}`);
    return;
  }
  hits.push(hit);
}
