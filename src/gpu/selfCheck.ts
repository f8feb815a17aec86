/**
 * The GPU backend's known-answer self-check against core/, run before mining: any difference
 * means this driver/adapter miscompiles a kernel, and the caller falls back to the CPU.
 */
import { BYTES_PER_LOAD, BYTES_PER_SEAL, SECTORS_PER_LOAD_N, UINT64_MAX } from '../spec.js';
import { equalBytes, toHex } from '../bytes.js';
import { MinerError } from '../errors.js';
import { createReferenceBackend } from '../backend/referenceBackend.js';
import type { MineJob, NonceRange, PoraBackend, PoraInput, SealInput, SearchResult } from '../backend/backend.js';
import { memoryLoadSource } from '../backend/memorySource.js';

/**
 * Known-answer self-check against core/ (the reference backend): pad seed, pad digest, recall
 * seed and quality of a few inputs (sealOffset 0, 3, 63, a start above 2^53, 8 shards), a seal
 * and an unseal, and a tiny resident search where every held seal meets the target.
 */
export async function selfCheck(gpu: PoraBackend): Promise<void> {
  const ref = createReferenceBackend();
  const bytes = (seed: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (seed * 131 + i * 197 + (i >> 7)) & 0xff);
  const inputs: PoraInput[] = [0n, 3n, 63n].map((so, k) => ({
    minerId: bytes(1 + k, 32),
    nonce: bytes(7 + k, 32),
    subtaskDigest: bytes(13 + k, 32),
    range: { startPosition: (1n << 60n) + (BigInt(k) << 25n), mineLength: 1n << 30n, shardId: BigInt(k), shardMask: ~7n & UINT64_MAX },
    sealOffset: so,
    sealedData: bytes(29 + k, BYTES_PER_SEAL),
  }));
  const [g, r] = await Promise.all([gpu.evaluate(inputs), ref.evaluate(inputs)]);
  for (let i = 0; i < inputs.length; i++) {
    for (const f of ['padSeed', 'padDigest', 'recallSeed', 'quality'] as const) {
      if (!equalBytes(g[i]![f], r[i]![f]))
        throw new MinerError('GPU_VALIDATION', `GPU self-check failed: ${f} of case ${i} is ${toHex(g[i]![f])}, core/ says ${toHex(r[i]![f])}; use --backend cpu`);
    }
  }
  const sealIn: SealInput[] = [{ minerId: bytes(3, 32), sealContextDigest: bytes(5, 32), startSector: (1n << 62n) + 16n, data: bytes(9, BYTES_PER_SEAL) }];
  for (const mode of ['seal', 'unseal'] as const) {
    const [gs] = await gpu.seal(sealIn, mode);
    const [rs] = await ref.seal(sealIn, mode);
    if (!equalBytes(gs!, rs!)) throw new MinerError('GPU_VALIDATION', `GPU self-check failed: ${mode} differs from core/; use --backend cpu`);
  }
  // A tiny resident search (2 loads, half the seals held, an easy target) against the reference.
  const loads = 2;
  const loadMasks = [0x5555555555555555n, 0xf0f0f0f0f0f0f0f0n];
  const content = bytes(41, loads * BYTES_PER_LOAD);
  const data = memoryLoadSource({
    loadCount: loads,
    loadsPerChunk: loads,
    fill: (load, rel) => load.set(content.subarray(rel * BYTES_PER_LOAD, (rel + 1) * BYTES_PER_LOAD)),
    mask: (rel) => loadMasks[rel]!,
  });
  const job: MineJob = {
    id: 0,
    minerId: bytes(43, 32),
    subtaskDigest: bytes(44, 32),
    range: { startPosition: 0n, mineLength: BigInt(loads) * SECTORS_PER_LOAD_N, shardId: 0n, shardMask: UINT64_MAX },
    poraTarget: 1n << 252n,
    flowLength: BigInt(loads) * SECTORS_PER_LOAD_N,
  };
  const nonces: NonceRange = { base: bytes(45, 32), start: 0n, count: 12 };
  const [gr, rr] = [await gpu.search(job, nonces, data), await ref.search(job, nonces, data)];
  const key = (r: SearchResult) => r.hits.map((h) => `${toHex(h.nonce)}:${h.sealOffset}:${toHex(h.quality)}`).join(',');
  if (gr.stats.rejected > 0 || key(gr) !== key(rr) || gr.stats.nonces !== rr.stats.nonces)
    throw new MinerError('GPU_VALIDATION', `GPU self-check failed: search found ${gr.hits.length} hits (${gr.stats.rejected} rejected), core/ ${rr.hits.length}; use --backend cpu`);
}
