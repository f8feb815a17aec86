import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, openSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealedStore } from '../../src/store/sealedStore.js';
import { MinerError } from '../../src/errors.js';
import { toHex } from '../../src/bytes.js';
import { completeRoot, sealRoot, sectorLeaves } from '../../src/core/merkle.js';
import { seal, unseal } from '../../src/core/seal.js';

const MINER = new Uint8Array(32).fill(7);
const CTX_A = new Uint8Array(32).fill(0xa1);
const CTX_B = new Uint8Array(32).fill(0xb2);
const LOAD = 262144;

/** Deterministic flow bytes: sector p is 0x5a.. with byte 0 = p & 0xff and byte 1 = p >> 8 & 0xff. */
function flowBytes(startSector: number, sectors: number): Uint8Array {
  const out = new Uint8Array(sectors * 256).fill(0x5a);
  for (let i = 0; i < sectors; i++) {
    out[i * 256] = (startSector + i) & 0xff;
    out[i * 256 + 1] = ((startSector + i) >> 8) & 0xff;
  }
  return out;
}

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'zg-store-'));
}

function expectStoreError(e: unknown, message: string): boolean {
  assert.ok(e instanceof MinerError, String(e));
  assert.equal(e.code, 'STORE_ERROR');
  assert.equal(e.message, message);
  return true;
}

async function sealLoad(store: SealedStore, L: bigint, sealIndexes: number[], ctx: Uint8Array): Promise<Uint8Array[]> {
  const raw = await store.readRawLoad(L);
  const seals = sealIndexes.map((i) => ({
    sealIndex: i,
    sealed: seal(raw.subarray(i * 4096, (i + 1) * 4096), MINER, ctx, L * 1024n + BigInt(i * 16)),
    contextDigest: ctx,
  }));
  await store.commitSealed(L, seals);
  return seals.map((s) => s.sealed);
}

test('store: flow data, completeness, roots, sealing, load source', async () => {
  const dir = freshDir();
  const store = await SealedStore.open(dir, { minerId: MINER });
  // Load 1 arrives in two pieces, load 2 partly.
  await store.writeFlowData(1024n, flowBytes(1024, 600));
  assert.equal(store.knownSectors(1n), 600);
  assert.equal(store.isLoadComplete(1n), false);
  assert.equal(store.loadRoot(1n), null);
  await store.writeFlowData(1624n, flowBytes(1624, 424 + 100));
  assert.equal(store.isLoadComplete(1n), true);
  assert.equal(store.knownSectors(2n), 100);
  assert.equal(store.nextUnsealedLoad(0n), 1n, 'the complete load waits in the sealer queue');
  assert.equal(store.nextUnsealedLoad(2n), null);
  assert.equal(store.stats().completeLoads, 1);

  const raw1 = await store.readRawLoad(1n);
  assert.deepEqual(raw1, flowBytes(1024, 1024));
  const raw2 = await store.readRawLoad(2n);
  assert.deepEqual(raw2.subarray(0, 100 * 256), flowBytes(2048, 100));
  assert.ok(raw2.subarray(100 * 256).every((b) => b === 0), 'unknown sectors read as zeros');

  const roots = store.sealRoots(1n)!;
  assert.equal(roots.length, 64);
  for (let i = 0; i < 64; i++) assert.deepEqual(roots[i], sealRoot(raw1.subarray(i * 4096, (i + 1) * 4096)));
  assert.deepEqual(store.loadRoot(1n), completeRoot(sectorLeaves(raw1)));

  // Seal 3 seals with context A.
  const sealed = await sealLoad(store, 1n, [0, 1, 63], CTX_A);
  assert.equal(store.sealedMask(1n), (1n << 63n) | 3n);
  assert.deepEqual(store.sealContext(1n, 63), CTX_A);
  assert.equal(store.sealContext(1n, 5), null);
  assert.deepEqual(await store.readSealedSeal(1n, 63), sealed[2]);
  assert.deepEqual(unseal((await store.readSealedSeal(1n, 1))!, MINER, CTX_A, 1024n + 16n), raw1.subarray(4096, 8192));
  await assert.rejects(store.readSealedSeal(1n, 5), (e) => expectStoreError(e, 'load 1 seal 5 is not sealed'));

  const src = store.loadSource();
  assert.equal(src.availability(1n), (1n << 63n) | 3n);
  assert.equal(src.availability(9n), 0n);
  const load = await src.read(1n);
  assert.equal(load.length, LOAD);
  assert.deepEqual(load.subarray(0, 8192), new Uint8Array([...sealed[0]!, ...sealed[1]!]));
  assert.deepEqual(load.subarray(63 * 4096), sealed[2]);
  assert.equal(store.loadSource({ minable: (L) => L !== 1n }).availability(1n), 0n);
  const target = new Uint8Array(LOAD);
  assert.deepEqual(await src.readInto(1n, target), load);
  assert.deepEqual(target, load);
  assert.deepEqual(await src.withLoad(1n, (view) => Uint8Array.from(view.subarray(63 * 4096))), sealed[2]);

  const reads: number[] = [];
  const metered = store.loadSource({ metrics: { recordRead: (bytes, seconds) => reads.push(bytes, seconds) } });
  await metered.read(1n);
  assert.equal(reads[0], LOAD);
  assert.ok(reads[1]! >= 0 && reads[1]! < 10);

  // Sealing needs the raw sectors of the seal.
  await assert.rejects(sealLoad(store, 2n, [10], CTX_A), (e) =>
    expectStoreError(e, 'load 2 seal 10: its raw sectors are not all known; write the flow data before sealing'));
  await sealLoad(store, 2n, [0], CTX_B); // sectors 0..15 of load 2 are known
  assert.equal(store.sealedMask(2n), 1n);

  assert.deepEqual(store.stats(), { knownSectors: 1n + 1024n + 100n, sealedSectors: 4n * 16n, completeLoads: 1, sealedLoads: 0, forgottenLoads: 0 });
  await store.close();
});

test('store: load 0 has a zero placeholder leaf and seal 0 is never minable', async () => {
  const dir = freshDir();
  const store = await SealedStore.open(dir, { minerId: MINER });
  assert.equal(store.knownSectors(0n), 1, 'sector 0 is known from the start');
  await store.writeFlowData(0n, flowBytes(0, 1024)); // sector 0 of the input is ignored: it is the placeholder
  assert.equal(store.isLoadComplete(0n), true);
  const raw0 = await store.readRawLoad(0n);
  assert.ok(raw0.subarray(0, 256).every((b) => b === 0));
  const leaves = sectorLeaves(raw0);
  leaves[0] = new Uint8Array(32);
  assert.deepEqual(store.loadRoot(0n), completeRoot(leaves));
  assert.deepEqual(store.sealRoots(0n)![1], sealRoot(raw0.subarray(4096, 8192)));
  assert.notDeepEqual(store.sealRoots(0n)![0], sealRoot(raw0.subarray(0, 4096)));
  await sealLoad(store, 0n, [0, 1, 2], CTX_A);
  assert.equal(store.sealedMask(0n), 7n);
  assert.equal(store.loadSource().availability(0n), 6n);
  await store.close();
});

test('store: known zeros hide raw garbage; gaps complete a load', async () => {
  const dir = freshDir();
  const store = await SealedStore.open(dir, { minerId: MINER });
  await store.writeFlowData(3n * 1024n, flowBytes(3072, 512));
  await store.close();
  // Simulate bytes of a write torn before its record: garbage in raw.bin at unknown sectors.
  const fd = openSync(join(dir, 'raw.bin'), 'r+');
  writeSync(fd, new Uint8Array(256 * 10).fill(0xee), 0, 2560, (3 * 1024 + 600) * 256);
  closeSync(fd);
  const again = await SealedStore.open(dir, { minerId: MINER });
  assert.ok((await again.readRawLoad(3n)).subarray(512 * 256).every((b) => b === 0));
  await again.markKnownZero(3n * 1024n + 512n, 4n * 1024n);
  assert.equal(again.isLoadComplete(3n), true);
  const raw3 = await again.readRawLoad(3n);
  assert.deepEqual(raw3.subarray(0, 512 * 256), flowBytes(3072, 512));
  assert.ok(raw3.subarray(512 * 256).every((b) => b === 0), 'known zeros read as zeros');
  assert.deepEqual(again.loadRoot(3n), completeRoot(sectorLeaves(raw3)));
  // Later data for known sectors is ignored (flow data is immutable).
  await again.writeFlowData(3n * 1024n + 600n, flowBytes(0, 4));
  assert.ok((await again.readRawLoad(3n)).subarray(512 * 256).every((b) => b === 0));
  await again.close();
});

test('store: restart resumes without resealing; reseal with a new context', async () => {
  const dir = freshDir();
  let store = await SealedStore.open(dir, { minerId: MINER });
  await store.writeFlowData(5n * 1024n, flowBytes(5120, 1024));
  const sealed = await sealLoad(store, 5n, [4, 5, 6], CTX_A);
  const root = store.loadRoot(5n);
  await store.close();

  store = await SealedStore.open(dir, { minerId: MINER });
  assert.equal(store.isLoadComplete(5n), true);
  assert.equal(store.sealedMask(5n), 0x70n);
  assert.deepEqual(store.sealContext(5n, 5), CTX_A);
  assert.deepEqual(await store.readSealedSeal(5n, 6), sealed[2]);
  assert.deepEqual(store.loadRoot(5n), root);
  // Reseal seal 5 with context B: the old record is retracted first.
  const [resealed] = await sealLoad(store, 5n, [5], CTX_B);
  assert.deepEqual(store.sealContext(5n, 5), CTX_B);
  await store.close();

  store = await SealedStore.open(dir, { minerId: MINER });
  assert.equal(store.sealedMask(5n), 0x70n);
  assert.deepEqual(store.sealContext(5n, 5), CTX_B);
  assert.deepEqual(store.sealContext(5n, 4), CTX_A);
  assert.deepEqual(await store.readSealedSeal(5n, 5), resealed);
  await store.close();
});

test('store: refuses another miner id, a locked dir, and drops a torn journal tail', async () => {
  const dir = freshDir();
  const store = await SealedStore.open(dir, { minerId: MINER });
  await assert.rejects(SealedStore.open(dir, { minerId: MINER }), (e) =>
    expectStoreError(e, `${dir}: data dir is in use by process ${process.pid}; stop it or use another --data-dir`));
  await store.writeFlowData(1024n, flowBytes(1024, 16));
  await store.close();

  const other = new Uint8Array(32).fill(9);
  await assert.rejects(SealedStore.open(dir, { minerId: other }), (e) =>
    expectStoreError(e, `${dir}: data dir is sealed for miner id ${toHex(MINER)}, not ${toHex(other)}; use another --data-dir`));

  const journal = join(dir, 'journal.bin');
  const size = statSync(journal).size;
  appendFileSync(journal, new Uint8Array(40).fill(0x33)); // a record torn mid-write
  const again = await SealedStore.open(dir, { minerId: MINER });
  assert.equal(statSync(journal).size, size);
  assert.equal(again.knownSectors(1n), 16);
  await again.close();
});

test('store format 2: a checkpoint and a rotated journal on the threshold and on close; a reopen replays only the new journal', async () => {
  const dir = freshDir();
  let store = await SealedStore.open(dir, { minerId: MINER, checkpointBytes: 64 * 8 });
  for (let L = 1; L <= 6; L++) await store.writeFlowData(BigInt(L * 1024), flowBytes(L * 1024, 1024));
  await sealLoad(store, 3n, [5, 6], CTX_B);
  // 6 KNOWN + 6 ROOTS + 1 SEALED records: at least one checkpoint happened, so the journal is short.
  assert.ok(statSync(join(dir, 'checkpoint.bin')).size > 0);
  assert.ok(statSync(join(dir, 'journal.bin')).size < 64 * 10, 'the journal was rotated');
  const before = store.stats();
  await store.close();
  assert.equal(statSync(join(dir, 'journal.bin')).size, 128, 'close leaves an empty journal (header and epoch)');
  store = await SealedStore.open(dir, { minerId: MINER });
  assert.deepEqual(store.stats(), before);
  assert.deepEqual(await store.readRawLoad(4n), flowBytes(4096, 1024));
  assert.equal(store.sealedMask(3n), (1n << 5n) | (1n << 6n));
  assert.deepEqual(store.sealContext(3n, 6), CTX_B);
  assert.deepEqual(store.loadRoot(5n), completeRoot(sectorLeaves(flowBytes(5 * 1024, 1024))));
  await store.close();
});

test('store format 1 (journal only) is migrated on open: data, seals, contexts and roots kept', async () => {
  const dir = freshDir();
  // A format-1 store as the previous version wrote it: header v1, KNOWN, SEALED; no ROOTS record.
  const { encodeRecord, headerRecord, RecordType, FORMAT_V1 } = await import('../../src/store/journal.js');
  const recs = [
    headerRecord(MINER, FORMAT_V1),
    { type: RecordType.KNOWN, a: 1024n, b: 2048n, digest: null },
    { type: RecordType.ZERO, a: 0n, b: 1024n, digest: null },
    { type: RecordType.SEALED, a: 1n, b: 1n << 9n, digest: CTX_A },
  ];
  const j = new Uint8Array(64 * recs.length);
  recs.forEach((r, i) => encodeRecord(r, j, i * 64));
  const data = flowBytes(1024, 1024);
  const sealedSeal = seal(data.subarray(9 * 4096, 10 * 4096), MINER, CTX_A, 1024n + 9n * 16n);
  const write = (name: string, bytes: Uint8Array, at: number): void => {
    const fd = openSync(join(dir, name), 'w');
    writeSync(fd, bytes, 0, bytes.length, at);
    closeSync(fd);
  };
  write('journal.bin', j, 0);
  write('raw.bin', data, 262144);
  write('sealed.bin', sealedSeal, (64 + 9) * 4096);
  const store = await SealedStore.open(dir, { minerId: MINER });
  assert.ok(store.isLoadComplete(1n) && store.isLoadComplete(0n));
  assert.deepEqual(await store.readRawLoad(1n), data);
  assert.deepEqual(store.sealContext(1n, 9), CTX_A);
  assert.deepEqual(await store.readSealedSeal(1n, 9), sealedSeal);
  assert.deepEqual(store.loadRoot(1n), completeRoot(sectorLeaves(data)));
  await store.close();
  assert.ok(statSync(join(dir, 'checkpoint.bin')).size > 0, 'migrated to format 2');
  const again = await SealedStore.open(dir, { minerId: MINER });
  assert.deepEqual(again.sealContext(1n, 9), CTX_A);
  await again.close();
});
