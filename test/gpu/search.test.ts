import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { toHex } from '../../src/bytes.js';
import { UINT64_MAX } from '../../src/spec.js';
import { createReferenceBackend } from '../../src/backend/referenceBackend.js';
import type { LoadSource, MineJob, NonceRange, SearchResult } from '../../src/backend/backend.js';
import { memoryLoadSource } from '../../src/backend/memorySource.js';
import { createGpuBackend, type GpuBackend } from '../../src/gpu/gpuBackend.js';
import { gpuGate, seededBigInt, seededBytes } from '../helpers/gpu.js';

const gate = await gpuGate();
const LOAD_BYTES = 262144;

/**
 * A synthetic source of `count` loads from `firstLoad`: seeded bytes (load 0 all zero, load 1 all
 * 0xff), availability masks that mix full, empty and partial loads.
 */
function makeSource(firstLoad: bigint, count: number, loadsPerChunk: number, seed: number): { resident: LoadSource; streaming: LoadSource } {
  const resident = memoryLoadSource({
    firstLoad,
    loadCount: count,
    loadsPerChunk,
    fill: (load, rel) => {
      if (rel === 1) load.fill(0xff);
      else if (rel !== 0) load.set(seededBytes(seed * 1000 + rel, LOAD_BYTES));
    },
    mask: (i) => (i % 5 === 4 ? 0n : i % 3 === 0 ? UINT64_MAX : seededBigInt(seed * 77 + i, 64)),
  });
  return { resident, streaming: { availability: resident.availability, read: resident.read } };
}

function assertSame(got: SearchResult, want: SearchResult, what: string): void {
  assert.equal(got.stats.rejected, 0, `${what}: no hit rejected by the CPU re-check`);
  assert.deepEqual({ nonces: got.stats.nonces, skipped: got.stats.skipped }, { nonces: want.stats.nonces, skipped: want.stats.skipped }, `${what}: stats`);
  // The GPU hashes every held seal of a recalled load; the reference stops at the first hit.
  assert.ok(got.stats.sealHashes >= want.stats.sealHashes, `${what}: sealHashes ${got.stats.sealHashes} >= ${want.stats.sealHashes}`);
  const flat = (r: SearchResult) =>
    r.hits.map((h) => ({ jobId: h.jobId, nonce: toHex(h.nonce), pos: h.recallPosition, so: h.sealOffset, q: toHex(h.quality), data: toHex(h.sealedData) }));
  assert.deepEqual(flat(got), flat(want), `${what}: hits byte for byte`);
}

describe('GPU search vs the reference backend', { skip: gate.skip }, () => {
  const ref = createReferenceBackend();
  let gpu: GpuBackend;
  let tiny: GpuBackend;
  before(async () => {
    // Small batches, a short ring and 7 loads per binding so the chunk split runs on lavapipe.
    gpu = await createGpuBackend({ batch: 48, inFlight: 3, loadsPerBinding: 7, skipSelfCheck: true, log: () => {} });
    tiny = await createGpuBackend({ batch: 40, hitCap: 2, loadsPerBinding: 16, skipSelfCheck: true, log: () => {} });
  });
  after(async () => {
    await gpu.dispose();
    await tiny.dispose();
  });

  const start = 1n << 60n; // above 2^53 (sectors), 2^25-aligned
  const cases: { name: string; shards: bigint; shardId: bigint; target: bigint; residentFrom: bigint; count: number }[] = [
    { name: '1 shard, 1/64 seals meet the target', shards: 1n, shardId: 0n, target: 1n << 250n, residentFrom: 8n, count: 40 },
    { name: '2 shards', shards: 2n, shardId: 1n, target: 1n << 251n, residentFrom: 0n, count: 64 },
    { name: '8 shards, loads before the range start', shards: 8n, shardId: 3n, target: 1n << 252n, residentFrom: -16n, count: 64 },
    { name: '32 shards, almost every seal meets', shards: 32n, shardId: 31n, target: UINT64_MAX << 192n, residentFrom: 40n, count: 30 },
  ];
  type Case = (typeof cases)[number];
  async function checkCase(backend: GpuBackend, c: Case): Promise<void> {
    const range = { startPosition: start, mineLength: 64n * 1024n + 5n, shardId: c.shardId, shardMask: ~(c.shards - 1n) & UINT64_MAX };
    const job: MineJob = {
      id: 7,
      minerId: seededBytes(11, 32),
      subtaskDigest: seededBytes(12, 32),
      range,
      poraTarget: c.target,
      flowLength: start + range.mineLength + 999n,
    };
    const nonces: NonceRange = { base: seededBytes(13, 32), start: (1n << 56n) - 37n, count: 130 };
    const src = makeSource(start / 1024n + c.residentFrom, c.count, 9, Number(c.shards));
    const want = await ref.search(job, nonces, src.streaming);
    assert.ok(want.hits.length > 0 && want.stats.skipped > 0, 'the case exercises hits and skips');
    const resident = await backend.search(job, nonces, src.resident);
    assertSame(resident, want, 'resident');
    const streaming = await backend.search(job, nonces, src.streaming);
    assertSame(streaming, want, 'streaming');
    assert.equal(resident.stats.sealHashes, streaming.stats.sealHashes, 'both paths hash the same held seals');
  }
  for (const c of cases) {
    test(`resident and streaming: ${c.name}`, () => checkCase(gpu, c));
  }

  test('the alternative kernels (pad staged in workgroup memory, scalar BLAKE2b) equal the reference', async () => {
    const alt = await createGpuBackend({ batch: 48, loadsPerBinding: 7, poraPad: 'workgroup', blake2b: 'scalar', skipSelfCheck: true, log: () => {} });
    try {
      await checkCase(alt, cases[0]!);
      await checkCase(alt, cases[3]!);
    } finally {
      await alt.dispose();
    }
  });

  test('more hits than the hit buffer holds: overflow is detected and the pass re-run', async () => {
    const range = { startPosition: 0n, mineLength: 16n * 1024n, shardId: 0n, shardMask: UINT64_MAX };
    const job: MineJob = { id: 1, minerId: seededBytes(21, 32), subtaskDigest: seededBytes(22, 32), range, poraTarget: UINT64_MAX << 192n, flowLength: 16n * 1024n + 1n };
    const nonces: NonceRange = { base: seededBytes(23, 32), start: 0n, count: 100 };
    const src = makeSource(0n, 17, 17, 5);
    const want = await ref.search(job, nonces, src.streaming);
    assert.ok(want.hits.length > 2 * 3, 'several batches each overflow a 2-entry hit buffer');
    assertSame(await tiny.search(job, nonces, src.resident), want, 'resident, overflowing');
    assertSame(await tiny.search(job, nonces, src.streaming), want, 'streaming, overflowing');
  });

  test('an aborted search stops early and reports what it hashed', async () => {
    const range = { startPosition: 0n, mineLength: 16n * 1024n, shardId: 0n, shardMask: UINT64_MAX };
    const job: MineJob = { id: 2, minerId: seededBytes(31, 32), subtaskDigest: seededBytes(32, 32), range, poraTarget: 1n << 240n, flowLength: 16n * 1024n };
    const ac = new AbortController();
    ac.abort();
    const r = await gpu.search(job, { base: seededBytes(33, 32), start: 0n, count: 1000 }, makeSource(0n, 16, 16, 9).resident, ac.signal);
    assert.equal(r.stats.nonces, 0);
    assert.equal(r.hits.length, 0);
  });
});
