/**
 * The miner's hit gate (src/miner/hitGate.ts): a backend that returns corrupted hits (wrong
 * quality, wrong recall position, a flipped sealed byte with a quality computed from it) gets
 * none of them submitted, and each is counted in recordHitRejected under its reason; a good hit
 * in the same batch still reaches the submitter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Miner } from '../../src/miner/miner.js';
import { HitGate } from '../../src/miner/hitGate.js';
import type { FlowFollower } from '../../src/miner/flowFollower.js';
import type { Sealer } from '../../src/miner/sealer.js';
import { sealProof } from '../../src/miner/flowProofs.js';
import type { FlowTreePort } from '../../src/miner/ports.js';
import type { Hit, LoadSource, MineJob, MinerChain, MinerMetricsSink, MinerStore, PoraBackend, WorkerContextView } from '../../src/miner/ports.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { chooseRange, recallChunkOffset, recallInBound, recallLoadStart } from '../../src/core/recallRange.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { unseal } from '../../src/core/seal.js';
import { recoverMerkleRoot } from '../../src/core/merkle.js';
import { UINT256_MAX, UINT64_MAX } from '../../src/spec.js';
import type { PoraAnswer } from '../../src/types.js';

const FLOW_LENGTH = 8n * 1024n;
const SEAL_OFFSET = 5;
const minerId = Uint8Array.from(randomBytes(32));
const subtaskDigest = Uint8Array.from(randomBytes(32));
const sealedContextDigest = Uint8Array.from(randomBytes(32));
const range = chooseRange(FLOW_LENGTH, UINT64_MAX, 0n);
/** Sealed bytes of every seal of every load (the same 4 KiB; only the gate's comparison matters). */
const storedSeal = Uint8Array.from(randomBytes(4096));

/** A nonce whose recall lands in range, and the honest hit for it at SEAL_OFFSET. */
function honestHit(jobId: number): Hit {
  for (;;) {
    const nonce = Uint8Array.from(randomBytes(32));
    const padSeed = computePadSeed(minerId, nonce, subtaskDigest, range);
    const { pad, recallSeed } = computeScratchPad(padSeed);
    const chunk = recallChunkOffset(range, recallSeed);
    if (!recallInBound(range, chunk)) continue;
    const recallPosition = recallLoadStart(range, chunk) + BigInt(SEAL_OFFSET) * 16n;
    const quality = poraOutput(SEAL_OFFSET, padSeed, mixSeal(storedSeal, pad, SEAL_OFFSET));
    return { jobId, nonce, recallPosition, sealOffset: SEAL_OFFSET, quality, sealedData: Uint8Array.from(storedSeal) };
  }
}

/** The same nonce's hit over corrupted sealed bytes, with the quality those bytes give. */
function flippedByteHit(h: Hit): Hit {
  const sealedData = Uint8Array.from(h.sealedData);
  sealedData[1234]! ^= 0x10;
  const padSeed = computePadSeed(minerId, h.nonce, subtaskDigest, range);
  const { pad } = computeScratchPad(padSeed);
  return { ...h, sealedData, quality: poraOutput(h.sealOffset, padSeed, mixSeal(sealedData, pad, h.sealOffset)) };
}

const store: Pick<MinerStore, 'sealedMask' | 'readSealedSeal' | 'sealRoots'> = {
  sealedMask: () => (1n << 64n) - 1n,
  readSealedSeal: async () => Uint8Array.from(storedSeal),
  // Proof material the test does not care about: zero seal roots and an empty tree path.
  sealRoots: () => Array.from({ length: 64 }, () => new Uint8Array(32)),
};
const flowTree = { proof: async () => [] } as unknown as FlowTreePort;

test('the gate refuses each corrupted hit under its reason and passes the honest one', async () => {
  const job: MineJob = { id: 1, minerId, subtaskDigest, range, poraTarget: UINT256_MAX, flowLength: FLOW_LENGTH };
  const gate = new HitGate(store);
  const good = honestHit(1);
  assert.equal(await gate.check(job, good), null);
  const badQuality = { ...good, quality: Uint8Array.from(good.quality) };
  badQuality.quality[0]! ^= 1;
  assert.equal((await gate.check(job, badQuality))?.reason, 'quality_mismatch');
  assert.equal((await gate.check(job, { ...good, recallPosition: good.recallPosition + 16n }))?.reason, 'recall_position');
  assert.equal((await gate.check(job, flippedByteHit(good)))?.reason, 'sealed_data_mismatch');
  // A target no quality can meet.
  assert.equal((await gate.check({ ...job, poraTarget: 0n }, good))?.reason, 'above_target');
  assert.equal((await gate.check(job, { ...good, sealOffset: 64 }))?.reason, 'seal_offset');
  const halfSealed = new HitGate({ ...store, sealedMask: () => 0n });
  assert.equal((await halfSealed.check(job, good))?.reason, 'not_sealed');
  // A seal the disk cannot read (EIO): refused, and its load named for the store check.
  const unreadable = new HitGate({ ...store, readSealedSeal: () => Promise.reject(Object.assign(new Error('sealed.bin: read failed (EIO)'), { code: 'EIO' })) });
  const eio = await unreadable.check(job, good);
  assert.equal(eio?.reason, 'store_error');
  assert.equal(eio?.damagedLoad, (good.recallPosition - BigInt(SEAL_OFFSET) * 16n) / 1024n);
  assert.match(eio?.detail ?? '', /cannot read the stored seal: .*EIO/);
});

test('a backend returning corrupted hits gets nothing submitted; each refusal is counted', { timeout: 30_000 }, async () => {
  let batches = 0;
  const submitted: PoraAnswer[] = [];
  const rejected: string[] = [];
  let corrupted: Hit[] = [];
  let goodHit: Hit | null = null;
  const wc: WorkerContextView = {
    context: {
      epoch: 3n,
      mineStart: 100n,
      flowRoot: new Uint8Array(32),
      flowLength: FLOW_LENGTH,
      blockDigest: Uint8Array.from(randomBytes(32)),
      digest: Uint8Array.from(randomBytes(32)),
    },
    poraTarget: UINT256_MAX,
    subtaskDigest,
    maxShards: 32n,
  };
  const chain: MinerChain = {
    blockNumber: async () => 1,
    computeWorkerContext: async () => wc,
    submissions: async () => [],
    epochRangesFrom: async () => [],
    sealedContextDigest: async () => sealedContextDigest,
    submit: async (a) => {
      submitted.push(a);
      return { result: 'accepted', txHash: '0x01' };
    },
  };
  const backend: PoraBackend = {
    info: { kind: 'cpu', device: 'corrupting test backend', threads: 1 },
    async search(job) {
      batches++;
      if (batches > 1) {
        await new Promise((r) => setTimeout(r, 20));
        return { hits: [], stats: { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 } };
      }
      const good = honestHit(job.id);
      goodHit = good;
      // The flow root the honest hit proves with the stand-in proof material.
      const proof = await sealProof(store as MinerStore, flowTree, good.recallPosition / 16n, FLOW_LENGTH);
      wc.context.flowRoot = recoverMerkleRoot(unseal(good.sealedData, minerId, sealedContextDigest, good.recallPosition), good.recallPosition, proof);
      const badQuality = { ...good, quality: Uint8Array.from(good.quality) };
      badQuality.quality[31]! ^= 0x80;
      corrupted = [badQuality, { ...good, recallPosition: good.recallPosition + 16n }, flippedByteHit(good)];
      return { hits: [...corrupted, good], stats: { nonces: 4, sealHashes: 4, skipped: 0, rejected: 0 } };
    },
    evaluate: async () => [],
    seal: async () => [],
    dispose: async () => {},
  };
  const metrics: MinerMetricsSink = {
    recordNonces: () => {},
    recordSealHashes: () => {},
    recordHit: () => {},
    recordHitRejected: (reason) => void rejected.push(reason),
    recordSubmission: () => {},
    setSealedSectors: () => {},
    setContextEpoch: () => {},
  };
  const loadSource: LoadSource = { availability: () => (1n << 64n) - 1n, read: async () => new Uint8Array(262144) };
  const warnings: string[] = [];
  const miner = new Miner({
    chain,
    store: store as MinerStore,
    backend,
    source: {} as never,
    flowTree,
    minerId,
    log: { info: () => {}, warn: (l) => void warnings.push(l) },
    metrics,
    shardId: 0n,
    shardMask: UINT64_MAX,
    iterBatchSize: 4,
    contextQuerySeconds: 60,
    cpuPercentage: 100,
    syncSeconds: 60,
    follower: { poll: async () => {}, flowEnd: 0n, pendingCount: 0 } as unknown as FlowFollower,
    sealer: { sealPending: async () => {} } as unknown as Sealer,
    loadSource,
  });
  miner.start();
  const t0 = Date.now();
  while (submitted.length === 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
  // Let anything else queued from that batch reach the submitter.
  await new Promise((r) => setTimeout(r, 300));
  await miner.stop();
  assert.equal(corrupted.length, 3);
  assert.deepEqual(rejected.sort(), ['quality_mismatch', 'recall_position', 'sealed_data_mismatch']);
  assert.equal(submitted.length, 1, 'only the honest hit is submitted');
  assert.deepEqual(submitted[0]!.nonce, goodHit!.nonce);
  assert.deepEqual(submitted[0]!.sealedData, goodHit!.sealedData);
  assert.deepEqual(submitted[0]!.recallPosition, goodHit!.recallPosition);
  assert.equal(miner.totals.rejected, 3);
  assert.equal(warnings.filter((w) => w.includes('not submitted')).length, 3);
});

test('hits failing on a damaged load ask the store check for that load: one warning, not one per hit', { timeout: 30_000 }, async () => {
  const LOAD = 3n;
  /** An honest hit on load LOAD (its stored seal is the one the hit carries). */
  const onLoad = (jobId: number): Hit => {
    for (;;) {
      const h = honestHit(jobId);
      if (h.recallPosition / 1024n === LOAD) return h;
    }
  };
  let batches = 0;
  const suspected: bigint[] = [];
  const queued = new Set<bigint>();
  const rejected: string[] = [];
  const errors: string[] = [];
  const wc: WorkerContextView = {
    // A flow root the stored bytes do not prove (as when the load's raw data was damaged before sealing).
    context: { epoch: 3n, mineStart: 100n, flowRoot: Uint8Array.from(randomBytes(32)), flowLength: FLOW_LENGTH, blockDigest: Uint8Array.from(randomBytes(32)), digest: Uint8Array.from(randomBytes(32)) },
    poraTarget: UINT256_MAX,
    subtaskDigest,
    maxShards: 32n,
  };
  const chain: MinerChain = {
    blockNumber: async () => 1,
    computeWorkerContext: async () => wc,
    submissions: async () => [],
    epochRangesFrom: async () => [],
    sealedContextDigest: async () => sealedContextDigest,
    submit: async () => assert.fail('nothing may be submitted'),
  };
  const backend: PoraBackend = {
    info: { kind: 'cpu', device: 'test backend', threads: 1 },
    async search(job) {
      batches++;
      if (batches > 4) {
        await new Promise((r) => setTimeout(r, 20));
        return { hits: [], stats: { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 } };
      }
      const h = onLoad(job.id);
      // One hit whose sealed bytes differ from the store's (the gate), one that fails its proof (the submitter).
      return { hits: [flippedByteHit(h), h], stats: { nonces: 2, sealHashes: 2, skipped: 0, rejected: 0 } };
    },
    evaluate: async () => [],
    seal: async () => [],
    dispose: async () => {},
  };
  const metrics: MinerMetricsSink = {
    recordNonces: () => {},
    recordSealHashes: () => {},
    recordHit: () => {},
    recordHitRejected: (reason) => void rejected.push(reason),
    recordSubmission: (r) => void errors.push(r),
    setSealedSectors: () => {},
    setContextEpoch: () => {},
  };
  const warnings: string[] = [];
  const miner = new Miner({
    chain,
    store: store as MinerStore,
    backend,
    source: {} as never,
    flowTree,
    minerId,
    log: { info: () => {}, warn: (l) => void warnings.push(l) },
    metrics,
    shardId: 0n,
    shardMask: UINT64_MAX,
    iterBatchSize: 4,
    contextQuerySeconds: 60,
    cpuPercentage: 100,
    syncSeconds: 60,
    follower: { poll: async () => {}, flowEnd: 0n, pendingCount: 0 } as unknown as FlowFollower,
    sealer: { sealPending: async () => {} } as unknown as Sealer,
    loadSource: { availability: () => (1n << 64n) - 1n, read: async () => new Uint8Array(262144) },
    // The scrub has not reached the load yet: it stays queued.
    damage: {
      suspect: (L) => {
        suspected.push(L);
        if (queued.has(L)) return false;
        queued.add(L);
        return true;
      },
    },
  });
  miner.start();
  const t0 = Date.now();
  while (errors.length + rejected.length < 8 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
  await miner.stop();
  assert.deepEqual(rejected, Array(4).fill('sealed_data_mismatch'));
  assert.deepEqual(errors, Array(4).fill('error'));
  assert.deepEqual(suspected, Array(8).fill(LOAD), 'every failed hit names its load to the store check');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /not submitted; load 3 queued for the store check/);
});
