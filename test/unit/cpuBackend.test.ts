/**
 * The worker-pool CPU backend against a core/-only reference search of the same nonces: hits
 * (nonce, recallPosition, sealOffset, quality, sealed bytes) and stats, for resident and read()
 * load sources, masks with holes, sharded ranges with out-of-bound recalls, and abort.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCpuBackend } from '../../src/backend/cpuBackend.js';
import { createBackend } from '../../src/cli/backendFactory.js';
import { isSoftwareAdapter, listGpuAdapters } from '../../src/gpu/device.js';
import { isMinerError } from '../../src/errors.js';
import type { Hit, LoadSource, MineJob, NonceRange, PoraBackend, SearchResult } from '../../src/backend/backend.js';
import { batchNonce } from '../../src/core/nonce.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { seal, unseal } from '../../src/core/seal.js';
import {
  meetsTarget,
  qualityBound,
  recallChunkOffset,
  recallInBound,
  recallLoadStart,
  targetScaleX64,
} from '../../src/core/recallRange.js';
import { toHex } from '../../src/bytes.js';
import { benchJob, measureHashrate, syntheticResidentSource } from '../../src/backend/hashrate.js';
import { memoryLoadSource } from '../../src/backend/memorySource.js';
import type { RecallRange } from '../../src/types.js';
import { xorshiftStream } from '../helpers/random.js';

const UINT64_MAX = (1n << 64n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;
const LOAD_BYTES = 262144;

const prng = xorshiftStream;

/** Loads [firstLoad, firstLoad + count) in shared memory (2 loads per chunk) with the given masks. */
function residentSource(rnd: (n: number) => Uint8Array, firstLoad: bigint, masks: bigint[], resident = true): LoadSource {
  const mem = memoryLoadSource({ firstLoad, loadCount: masks.length, loadsPerChunk: 2, fill: (load) => load.set(rnd(LOAD_BYTES)), mask: (rel) => masks[rel]! });
  const { chunks, loadsPerChunk } = mem.resident!;
  const source: LoadSource = {
    availability: mem.availability,
    // three shapes a store may return: a view of shared memory, a private copy, a view into a larger private buffer
    read: async (L) => {
      const r = Number(L - firstLoad);
      const shared = new Uint8Array(chunks[Math.floor(r / loadsPerChunk)]!, (r % loadsPerChunk) * LOAD_BYTES, LOAD_BYTES);
      if (r % 3 === 0) return shared;
      if (r % 3 === 1) return shared.slice();
      const big = new Uint8Array(LOAD_BYTES + 96);
      big.set(shared, 64);
      return big.subarray(64, 64 + LOAD_BYTES);
    },
  };
  if (resident) source.resident = mem.resident!;
  return source;
}

/** The same search written directly over core/ (one nonce at a time). */
async function referenceSearch(job: MineJob, nonces: NonceRange, data: LoadSource): Promise<SearchResult> {
  const bound = qualityBound(job.poraTarget, targetScaleX64(job.range, job.flowLength));
  const hits: Hit[] = [];
  const stats = { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 };
  for (let k = 0; k < nonces.count; k++) {
    const nonce = batchNonce(nonces.base, nonces.start + BigInt(k));
    const padSeed = computePadSeed(job.minerId, nonce, job.subtaskDigest, job.range);
    const { pad, recallSeed } = computeScratchPad(padSeed);
    stats.nonces++;
    const chunkOffset = recallChunkOffset(job.range, recallSeed);
    const loadStart = recallLoadStart(job.range, chunkOffset);
    const mask = recallInBound(job.range, chunkOffset) ? data.availability(loadStart / 1024n) : 0n;
    if (mask === 0n) {
      stats.skipped++;
      continue;
    }
    const load = (await data.read(loadStart / 1024n)).slice();
    for (let i = 0; i < 64; i++) {
      if (((mask >> BigInt(i)) & 1n) === 0n) continue;
      const sealed = load.subarray(i * 4096, (i + 1) * 4096);
      const quality = poraOutput(i, padSeed, mixSeal(sealed, pad, i));
      stats.sealHashes++;
      if (meetsTarget(quality, bound)) {
        hits.push({ jobId: job.id, nonce, recallPosition: loadStart + BigInt(16 * i), sealOffset: i, quality, sealedData: sealed.slice() });
        break;
      }
    }
  }
  return { hits, stats };
}

function show(r: SearchResult): unknown {
  return {
    stats: r.stats,
    hits: r.hits.map((h) => ({ ...h, nonce: toHex(h.nonce), quality: toHex(h.quality), sealedData: toHex(h.sealedData) })),
  };
}

function makeJob(rnd: (n: number) => Uint8Array, range: RecallRange, poraTarget: bigint, flowLength: bigint): MineJob {
  return { id: 7, minerId: rnd(32), subtaskDigest: rnd(32), range, poraTarget, flowLength };
}

let backend: PoraBackend;
before(async () => {
  backend = await createCpuBackend({ threads: 2 });
});
after(async () => {
  await backend.dispose();
});

test('info names the CPU and the thread count', () => {
  assert.equal(backend.info.kind, 'cpu');
  assert.equal(backend.info.threads, 2);
  assert.ok(backend.info.device.length > 0);
});

test('target 2^256-1: every held recall hits at its first held seal (resident, masks with holes)', async () => {
  const rnd = prng(11);
  const range: RecallRange = { startPosition: 1n << 25n, mineLength: 6n * 1024n, shardId: 0n, shardMask: UINT64_MAX };
  const masks = [UINT64_MAX, 0xfff0n, 0n, 1n << 63n, 0x0101_0101_0101_0100n, UINT64_MAX];
  const data = residentSource(rnd, (1n << 25n) / 1024n, masks);
  const job = makeJob(rnd, range, UINT256_MAX, (1n << 25n) + 6n * 1024n);
  const nonces = { base: rnd(32), start: 5n, count: 24 };
  const got = await backend.search(job, nonces, data);
  const want = await referenceSearch(job, nonces, data);
  assert.deepEqual(show(got), show(want));
  assert.equal(got.hits.length, 24 - want.stats.skipped);
  assert.ok(want.stats.skipped > 0 && got.hits.some((h) => h.sealOffset > 0));
});

test('moderate target over 8 shards: same hits and stats as core/, resident and read()', async () => {
  const rnd = prng(12);
  // shard 5 of 8: offsets ≡ 5 (mod 8); 3 of the 4 shard loads held; scale = 8 (flowLength / 8 < 2^35)
  const range: RecallRange = { startPosition: 0n, mineLength: 32n * 1024n, shardId: 5n, shardMask: ~7n & UINT64_MAX };
  const masks = Array.from({ length: 32 }, (_, i) => (i % 8 === 5 && i !== 13 ? UINT64_MAX ^ (1n << BigInt(i)) : 0n));
  const job = makeJob(rnd, range, 1n << 254n, 32n * 1024n);
  const nonces = { base: rnd(32), start: 1000n, count: 20 };
  const resident = residentSource(prng(5), 0n, masks);
  const read = residentSource(prng(5), 0n, masks, false);
  const want = await referenceSearch(job, nonces, resident);
  assert.ok(want.hits.length > 0 && want.hits.length < 20 - want.stats.skipped, 'the target is moderate');
  assert.deepEqual(show(await backend.search(job, nonces, resident)), show(want));
  assert.deepEqual(show(await backend.search(job, nonces, read)), show(want));
});

test('out-of-bound recalls with 4 shards are skipped, not mined (read() source)', async () => {
  const rnd = prng(13);
  // 6 loads, shard 3 of 4: chunk offsets 3 (in range) or 7 (7*1024 > mineLength: out of bound)
  const range: RecallRange = { startPosition: 0n, mineLength: 6n * 1024n, shardId: 3n, shardMask: ~3n & UINT64_MAX };
  const data = residentSource(rnd, 0n, Array.from({ length: 8 }, () => UINT64_MAX), false);
  const job = makeJob(rnd, range, UINT256_MAX, 6n * 1024n);
  const nonces = { base: rnd(32), start: 0n, count: 16 };
  const got = await backend.search(job, nonces, data);
  assert.deepEqual(show(got), show(await referenceSearch(job, nonces, data)));
  assert.ok(got.stats.skipped > 0 && got.hits.length > 0);
  for (const h of got.hits) assert.equal(h.recallPosition, 3n * 1024n + BigInt(16 * h.sealOffset));
});

test('abort: an aborted signal stops the search early with partial stats', async () => {
  const rnd = prng(14);
  const range: RecallRange = { startPosition: 0n, mineLength: 2n * 1024n, shardId: 0n, shardMask: UINT64_MAX };
  const data = residentSource(rnd, 0n, [UINT64_MAX, UINT64_MAX]);
  const job = makeJob(rnd, range, 0n, 2n * 1024n);
  const pre = new AbortController();
  pre.abort();
  const none = await backend.search(job, { base: rnd(32), start: 0n, count: 1000 }, data, pre.signal);
  assert.equal(none.stats.nonces, 0);
  const ctl = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ctl.abort(), 50);
  const part = await backend.search(job, { base: rnd(32), start: 0n, count: 1_000_000 }, data, ctl.signal);
  assert.ok(part.stats.nonces > 0 && part.stats.nonces < 1_000_000);
  assert.ok(performance.now() - t0 < 2000, 'returns soon after the abort');
  const readCtl = new AbortController();
  setTimeout(() => readCtl.abort(), 50);
  const readPart = await backend.search(job, { base: rnd(32), start: 0n, count: 1_000_000 }, residentSource(rnd, 0n, [1n, 1n], false), readCtl.signal);
  assert.ok(readPart.stats.nonces < 1_000_000);
});

test('evaluate and seal equal core/', async () => {
  const rnd = prng(15);
  const range: RecallRange = { startPosition: 1n << 60n, mineLength: 1n << 35n, shardId: 1n, shardMask: ~1n & UINT64_MAX };
  const inputs = [0n, 3n, 4n, 63n, (1n << 70n) + 2n].map((sealOffset) => ({
    minerId: rnd(32),
    nonce: rnd(32),
    subtaskDigest: rnd(32),
    range,
    sealOffset,
    sealedData: rnd(4096),
  }));
  const got = await backend.evaluate(inputs);
  inputs.forEach((x, i) => {
    const padSeed = computePadSeed(x.minerId, x.nonce, x.subtaskDigest, x.range);
    const sp = computeScratchPad(padSeed);
    assert.deepEqual(got[i], {
      padSeed,
      padDigest: sp.padDigest,
      recallSeed: sp.recallSeed,
      quality: poraOutput(x.sealOffset, padSeed, mixSeal(x.sealedData, sp.pad, x.sealOffset)),
    });
  });
  const s = { minerId: rnd(32), sealContextDigest: rnd(32), startSector: (1n << 54n) + 16n, data: rnd(4096) };
  const [sealed] = await backend.seal([s], 'seal');
  assert.deepEqual(sealed, seal(s.data, s.minerId, s.sealContextDigest, s.startSector));
  const [plain] = await backend.seal([{ ...s, data: sealed! }], 'unseal');
  assert.deepEqual(plain, unseal(sealed!, s.minerId, s.sealContextDigest, s.startSector));
  assert.deepEqual(plain, s.data);
});

test('cpuPercentage < 100 throttles but finds the same hits; a malformed resident source is refused', async () => {
  const rnd = prng(16);
  const range: RecallRange = { startPosition: 0n, mineLength: 4n * 1024n, shardId: 0n, shardMask: UINT64_MAX };
  const data = residentSource(rnd, 0n, [UINT64_MAX, 0n, 0xffn, UINT64_MAX]);
  const job = makeJob(rnd, range, 1n << 253n, 4n * 1024n);
  const nonces = { base: rnd(32), start: 0n, count: 8 };
  const slow = await createCpuBackend({ threads: 1, cpuPercentage: 50 });
  try {
    assert.deepEqual(show(await slow.search(job, nonces, data)), show(await referenceSearch(job, nonces, data)));
  } finally {
    await slow.dispose();
  }
  const broken: LoadSource = { ...data, resident: { ...data.resident!, loadCount: 6 } };
  await assert.rejects(backend.search(job, nonces, broken), /resident loads/);
});

test('bench hashrate: synthetic data is resident and fully held; the result has the JSON fields', async () => {
  const data = syntheticResidentSource(1);
  assert.equal(data.resident!.loadCount, 4);
  assert.equal(data.availability(3n), UINT64_MAX);
  assert.equal(data.availability(4n), 0n);
  const a = await data.read(0n);
  const b = await data.read(1n);
  assert.equal(a.length, LOAD_BYTES);
  assert.notDeepEqual(a, b);
  assert.equal(benchJob(data).range.mineLength, 4n * 1024n);
  const r = await measureHashrate(backend, data, { seconds: 0.2, warmupSeconds: 0.05, rangeMiB: 1 });
  assert.deepEqual(Object.keys(r).sort(), [
    'backend', 'commit', 'cpuSeconds', 'device', 'node', 'noncesPerSecond', 'rangeMiB', 'sealHashesPerSecond', 'seconds', 'threads',
  ]);
  assert.equal(r.backend, 'cpu');
  assert.equal(r.threads, 2);
  assert.ok(r.noncesPerSecond > 0);
  assert.ok(Math.abs(r.sealHashesPerSecond - 64 * r.noncesPerSecond) <= 64, 'every seal of every nonce is hashed');
});

test('dispose ends a running search early, then refuses new ones', async () => {
  const rnd = prng(17);
  const data = residentSource(rnd, 0n, [UINT64_MAX, UINT64_MAX]);
  const job = makeJob(rnd, { startPosition: 0n, mineLength: 2048n, shardId: 0n, shardMask: UINT64_MAX }, 0n, 2048n);
  const b = await createCpuBackend({ threads: 1 });
  const running = b.search(job, { base: rnd(32), start: 0n, count: 1_000_000 }, data);
  await new Promise((r) => setTimeout(r, 50));
  await b.dispose();
  const partial = await running;
  assert.ok(partial.stats.nonces < 1_000_000);
  await assert.rejects(b.search(job, { base: rnd(32), start: 0n, count: 1 }, data), /disposed/);
});

test('bad options are config errors', async () => {
  await assert.rejects(createCpuBackend({ threads: 0 }), /threads/);
  await assert.rejects(createCpuBackend({ cpuPercentage: 0 }), /cpu percentage/);
});

test('backend factory: cpu gives the CPU pool; auto skips software GPUs; gpu opens an adapter or says none', async () => {
  const cpu = await createBackend({ backend: 'cpu', threads: 1, cpuPercentage: 100 });
  try {
    assert.deepEqual({ kind: cpu.info.kind, threads: cpu.info.threads }, { kind: 'cpu', threads: 1 });
  } finally {
    await cpu.dispose();
  }
  const adapters = await listGpuAdapters();
  const hardware = adapters.some((a) => !isSoftwareAdapter(a.description, a.device, a.architecture));
  const lines: string[] = [];
  const auto = await createBackend({ backend: 'auto', threads: 1, log: (l) => lines.push(l) });
  try {
    assert.equal(auto.info.kind, hardware ? 'gpu' : 'cpu');
    if (!hardware && adapters.length > 0) assert.match(lines.join('\n'), /only a software GPU .*mining on the CPU/);
  } finally {
    await auto.dispose();
  }
  if (adapters.length === 0) {
    await assert.rejects(createBackend({ backend: 'gpu' }), (e: unknown) => isMinerError(e, 'GPU_UNAVAILABLE') && !e.message.includes('\n'));
  } else {
    const gpu = await createBackend({ backend: 'gpu', gpu: { batch: 64 } });
    try {
      assert.equal(gpu.info.kind, 'gpu');
    } finally {
      await gpu.dispose();
    }
  }
});

test('seal(): a batch spread over the worker pool equals core seal/unseal for every input, in order', async () => {
  const rnd = prng(77);
  const backend = await createCpuBackend({ threads: 2 });
  try {
    const inputs = Array.from({ length: 13 }, (_, i) => ({ minerId: rnd(32), sealContextDigest: rnd(32), startSector: BigInt(i) * 16n + 1024n, data: rnd(4096) }));
    const sealed = await backend.seal(inputs, 'seal');
    assert.equal(sealed.length, inputs.length);
    inputs.forEach((x, i) => assert.deepEqual(sealed[i], seal(x.data, x.minerId, x.sealContextDigest, x.startSector), `input ${i}`));
    const plain = await backend.seal(inputs.map((x, i) => ({ ...x, data: sealed[i]! })), 'unseal');
    inputs.forEach((x, i) => assert.deepEqual(plain[i], x.data, `input ${i} unsealed`));
  } finally {
    await backend.dispose();
  }
});
