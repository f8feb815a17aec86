/**
 * The sealer keeps the backend busy during the store's commits: load k+1 is read and sealed while
 * load k's commit runs, commits stay in flow order, every seal is right (core/ is the oracle), and a
 * failed commit fails sealPending (no unhandled rejection, no later load committed after it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryStore } from '../helpers/chain.js';
import { Sealer } from '../../src/miner/sealer.js';
import { seal, unseal } from '../../src/core/seal.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '../../src/backend/cpuBackend.js';
import type { MinerChain, MinerStore } from '../../src/miner/ports.js';
import type { PoraBackend, SealInput } from '../../src/backend/backend.js';

const MINER = new Uint8Array(32).fill(3);
const DIGEST = new Uint8Array(32).fill(0x44);
const LOADS = 5;

function chainWithRange(): MinerChain {
  return {
    blockNumber: async () => 1,
    computeWorkerContext: async () => {
      throw new Error('not used');
    },
    submissions: async () => [],
    epochRangesFrom: async (i) => (i === 0 ? [{ start: 0n, end: BigInt(LOADS + 1) * 1024n, digest: DIGEST }] : []),
    sealedContextDigest: async () => DIGEST,
    submit: async () => ({ result: 'stale', reason: 'not used' }),
  };
}

/** A store whose commits take a while and log when they start and end. */
class SlowCommitStore extends MemoryStore {
  readonly events: string[] = [];
  failAt: bigint | null = null;
  override async commitSealed(l: bigint, seals: { sealIndex: number; sealed: Uint8Array; contextDigest: Uint8Array }[]): Promise<void> {
    this.events.push(`commit ${l} start`);
    await new Promise((r) => setTimeout(r, 40));
    if (l === this.failAt) throw new Error(`disk full at load ${l}`);
    await super.commitSealed(l, seals);
    this.events.push(`commit ${l} end`);
  }
}

async function setup(): Promise<{ store: SlowCommitStore; backend: PoraBackend; cpu: PoraBackend }> {
  const store = new SlowCommitStore();
  for (let L = 1; L <= LOADS; L++) await store.writeFlowData(BigInt(L) * 1024n, new Uint8Array(randomBytes(262144)));
  const cpu = await createCpuBackend({ threads: 2 });
  const backend: PoraBackend = {
    info: cpu.info,
    search: (...a) => cpu.search(...a),
    evaluate: (x) => cpu.evaluate(x),
    seal: async (inputs: SealInput[], mode) => {
      store.events.push(`seal ${inputs[0]!.startSector / 1024n}`);
      return cpu.seal(inputs, mode);
    },
    dispose: () => cpu.dispose(),
  };
  return { store, backend, cpu };
}

test('sealPending seals load k+1 while load k commits; commits in order; seals equal core/', async () => {
  const { store, backend, cpu } = await setup();
  try {
    const sealer = new Sealer({ chain: chainWithRange(), store, backend, minerId: MINER, log: { info: () => {}, warn: () => {} } });
    assert.equal(await sealer.sealPending(), LOADS * 64);
    const ev = store.events;
    for (let L = 1; L < LOADS; L++) {
      // The next load's sealing starts before this load's commit has ended.
      assert.ok(ev.indexOf(`seal ${L + 1}`) < ev.indexOf(`commit ${L} end`), `load ${L + 1} sealed during load ${L}'s commit: ${ev.join(', ')}`);
      assert.ok(ev.indexOf(`commit ${L} end`) < ev.indexOf(`commit ${L + 1} start`), `commits in order: ${ev.join(', ')}`);
    }
    for (let L = 1; L <= LOADS; L++) {
      assert.equal(store.sealedMask(BigInt(L)), (1n << 64n) - 1n);
      const raw = await store.readRawLoad(BigInt(L));
      for (const i of [0, 37, 63])
        assert.deepEqual(await store.readSealedSeal(BigInt(L), i), seal(raw.subarray(i * 4096, (i + 1) * 4096), MINER, DIGEST, BigInt(L) * 1024n + BigInt(i * 16)), `load ${L} seal ${i}`);
    }
  } finally {
    await cpu.dispose();
  }
});

test('a failed commit fails sealPending; no later load is committed after it', async () => {
  const { store, backend, cpu } = await setup();
  store.failAt = 2n;
  try {
    const sealer = new Sealer({ chain: chainWithRange(), store, backend, minerId: MINER, log: { info: () => {}, warn: () => {} } });
    await assert.rejects(sealer.sealPending(), /disk full at load 2/);
    assert.equal(store.sealedMask(1n), (1n << 64n) - 1n);
    for (let L = 2; L <= LOADS; L++) assert.equal(store.sealedMask(BigInt(L)), 0n, `load ${L} not committed`);
    assert.ok(!store.events.includes('commit 3 start'), store.events.join(', '));
  } finally {
    await cpu.dispose();
  }
});

test('with the SealedStore: sealed meanwhile goes in group commits (commitSealedMany), durable and right after reopening; a refused batch writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-sealer-group-'));
  const cpu = await createCpuBackend({ threads: 2 });
  try {
    let store = await SealedStore.open(dir, { minerId: MINER });
    const raws: Uint8Array[] = [];
    for (let L = 1; L <= LOADS; L++) {
      raws[L] = new Uint8Array(randomBytes(262144));
      await store.writeFlowData(BigInt(L) * 1024n, raws[L]!);
    }
    const batches: number[] = [];
    const s = store;
    // The same store, its group commits slowed down so that loads are sealed while one runs.
    const slow: MinerStore = Object.assign(Object.create(s) as SealedStore, {
      commitSealedMany: async (items: Parameters<SealedStore['commitSealedMany']>[0]) => {
        batches.push(items.length);
        await new Promise((r) => setTimeout(r, 60));
        return s.commitSealedMany(items);
      },
      readRawLoad: (l: bigint) => s.readRawLoad(l),
      sealedMask: (l: bigint) => s.sealedMask(l),
      nextUnsealedLoad: (l: bigint) => s.nextUnsealedLoad(l),
      stats: () => s.stats(),
    });
    const sealer = new Sealer({ chain: chainWithRange(), store: slow, backend: cpu, minerId: MINER, log: { info: () => {}, warn: () => {} } });
    assert.equal(await sealer.sealPending(), LOADS * 64);
    assert.equal(batches.reduce((a, b) => a + b, 0), LOADS);
    assert.ok(batches.some((n) => n > 1), `some commit took several loads: ${batches.join(', ')}`);
    // A batch with a load whose raw data is not known is refused whole.
    const fake = { sealIndex: 0, sealed: new Uint8Array(4096), contextDigest: DIGEST };
    await assert.rejects(store.commitSealedMany([{ loadIndex: 1n, seals: [{ ...fake, contextDigest: new Uint8Array(32).fill(1) }] }, { loadIndex: 9n, seals: [fake] }]), /not all known/);
    await store.close();
    store = await SealedStore.open(dir, { minerId: MINER });
    for (let L = 1; L <= LOADS; L++) {
      assert.equal(store.sealedMask(BigInt(L)), (1n << 64n) - 1n, `load ${L} sealed after reopening`);
      assert.deepEqual(store.sealContext(BigInt(L), 0), DIGEST, `load ${L}: the refused batch changed nothing`);
      for (const i of [0, 63]) {
        const got = await store.readSealedSeal(BigInt(L), i);
        assert.deepEqual(unseal(got, MINER, DIGEST, BigInt(L) * 1024n + BigInt(i * 16)), raws[L]!.subarray(i * 4096, (i + 1) * 4096), `load ${L} seal ${i}`);
      }
    }
    await store.close();
  } finally {
    await cpu.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
