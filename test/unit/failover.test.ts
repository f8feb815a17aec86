/**
 * A GPU lost while mining (issue 9 item 2): the failover backend moves every call to the CPU with
 * one warning, retries the GPU with backoff, and moves back when it opens again. Fake backends
 * throw the MinerError('GPU_DEVICE_LOST') that gpu/device.ts throws on a lost device.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFailoverBackend } from '../../src/backend/failover.js';
import { MinerError } from '../../src/errors.js';
import type { BackendInfo, PoraBackend, SearchResult } from '../../src/backend/backend.js';

interface Fake extends PoraBackend {
  calls: number;
  disposed: boolean;
}

/** A backend whose search answers with its own name in `stats.nonces` order; `failFrom` = first failing call (1-based). */
function fake(kind: 'cpu' | 'gpu', device: string, failFrom = Infinity, error: () => Error = () => new MinerError('GPU_DEVICE_LOST', 'GPU device lost: test')): Fake {
  const f: Fake = {
    info: { kind, device, threads: 1 },
    calls: 0,
    disposed: false,
    async search(): Promise<SearchResult> {
      f.calls++;
      await new Promise((r) => setImmediate(r));
      if (f.calls >= failFrom) throw error();
      return { hits: [], stats: { nonces: kind === 'gpu' ? 100 : 1, sealHashes: 0, skipped: 0, rejected: 0 } };
    },
    async evaluate() {
      return [];
    },
    async seal(inputs) {
      f.calls++;
      if (f.calls >= failFrom) throw error();
      return inputs.map((i) => i.data);
    },
    async dispose() {
      f.disposed = true;
    },
  };
  return f;
}

const job = { id: 1, minerId: new Uint8Array(32), subtaskDigest: new Uint8Array(32), range: { startPosition: 0n, mineLength: 1024n, shardMask: 0n, shardId: 0n }, poraTarget: 1n, flowLength: 1024n };
const nonces = { base: new Uint8Array(32), start: 0n, count: 1 };
const source = { availability: () => 0n, read: async () => new Uint8Array(0) };

function recorder(): { info: string[]; warn: string[]; log: { info(l: string): void; warn(l: string): void } } {
  const r = { info: [] as string[], warn: [] as string[] };
  return { ...r, log: { info: (l) => r.info.push(l), warn: (l) => r.warn.push(l) } };
}

test('failover: a device loss mid-run moves the search to the CPU with one warning; the loss is not an error to the caller', async () => {
  const gpu = fake('gpu', 'test GPU', 3);
  const cpu = fake('cpu', 'test CPU');
  const rec = recorder();
  const switches: BackendInfo[] = [];
  const b = createFailoverBackend({
    primary: gpu,
    reopenPrimary: async () => {
      throw new MinerError('GPU_UNAVAILABLE', 'still gone');
    },
    openFallback: async () => cpu,
    log: rec.log,
    onSwitch: (i) => switches.push({ ...i }),
    retryMs: { first: 60_000, max: 60_000 },
  });
  const rates: number[] = [];
  for (let i = 0; i < 6; i++) rates.push((await b.search(job, nonces, source)).stats.nonces);
  assert.deepEqual(rates, [100, 100, 1, 1, 1, 1], 'batches 1-2 on the GPU, the lost batch 3 repeated on the CPU, then the CPU');
  assert.equal(rec.warn.length, 1, rec.warn.join('\n'));
  assert.match(rec.warn[0]!, /^GPU lost \(GPU device lost: test\): mining continues on the CPU backend \(test CPU\); retrying the GPU in 60 s$/);
  assert.equal(b.info.kind, 'cpu');
  assert.equal(b.info.device, 'test CPU');
  assert.deepEqual(switches.map((s) => s.kind), ['cpu']);
  assert.ok(gpu.disposed, 'the lost GPU backend is disposed');
  assert.ok(b.onFallback);
  assert.equal(b.losses, 1);
  await b.dispose();
  assert.ok(cpu.disposed);
});

test('failover: concurrent calls that all see the loss switch once (one CPU backend opened)', async () => {
  const gpu = fake('gpu', 'test GPU', 1);
  let opened = 0;
  const rec = recorder();
  const b = createFailoverBackend({
    primary: gpu,
    reopenPrimary: async () => {
      throw new Error('no');
    },
    openFallback: async () => {
      opened++;
      return fake('cpu', 'test CPU');
    },
    log: rec.log,
    retryMs: { first: 60_000, max: 60_000 },
  });
  const out = await Promise.all([b.search(job, nonces, source), b.search(job, nonces, source), b.seal([{ minerId: new Uint8Array(32), sealContextDigest: new Uint8Array(32), startSector: 0n, data: new Uint8Array([7]) }], 'seal')]);
  assert.equal(opened, 1);
  assert.equal(rec.warn.length, 1);
  assert.deepEqual(out[2], [new Uint8Array([7])]);
  await b.dispose();
});

test('failover: the GPU is retried with doubling backoff and mining moves back once it opens', async () => {
  const cpu = fake('cpu', 'test CPU');
  const rec = recorder();
  const switches: string[] = [];
  let tries = 0;
  const gpu2 = fake('gpu', 'test GPU (reopened)');
  const b = createFailoverBackend({
    primary: fake('gpu', 'test GPU', 1),
    reopenPrimary: async () => {
      tries++;
      if (tries < 3) throw new MinerError('GPU_UNAVAILABLE', `try ${tries} failed`);
      return gpu2;
    },
    openFallback: async () => cpu,
    log: rec.log,
    onSwitch: (i) => switches.push(i.kind),
    retryMs: { first: 20, max: 50 },
  });
  assert.equal((await b.search(job, nonces, source)).stats.nonces, 1);
  const t0 = Date.now();
  while (b.info.kind !== 'gpu' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
  assert.equal(b.info.kind, 'gpu');
  assert.equal(b.info.device, 'test GPU (reopened)');
  assert.equal(tries, 3);
  assert.deepEqual(switches, ['cpu', 'gpu']);
  assert.deepEqual(
    rec.warn.slice(1).map((l) => /next retry in .*/.exec(l)?.[0]),
    ['next retry in 40 ms', 'next retry in 50 ms'],
    'each failed retry is one line (40 ms, then the 50 ms cap)'
  );
  assert.match(rec.info.at(-1)!, /^GPU back: mining on gpu test GPU \(reopened\) again$/);
  assert.equal((await b.search(job, nonces, source)).stats.nonces, 100);
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(cpu.disposed, 'the stand-in CPU backend is disposed after the GPU is back');
  await b.dispose();
  assert.ok(gpu2.disposed);
});

test('failover: any other error is the caller\'s (no switch), and a CPU error is never taken for a loss', async () => {
  const gpu = fake('gpu', 'test GPU', 1, () => new Error('kernel bug'));
  const rec = recorder();
  const b = createFailoverBackend({ primary: gpu, reopenPrimary: async () => gpu, openFallback: async () => fake('cpu', 'c'), log: rec.log });
  await assert.rejects(b.search(job, nonces, source), /kernel bug/);
  assert.equal(b.info.kind, 'gpu');
  assert.equal(rec.warn.length, 0);
  await b.dispose();
});
