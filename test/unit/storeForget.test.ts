/**
 * A load whose raw data fails its check against the flow's load root is forgotten (issue 9 item 6):
 * the scrub (and `store repair`) writes a FORGET record, after which the load is not known, not
 * sealed, not in the sealer's queue and not minable, the counters agree with a recount on reopen,
 * and the data can come back (written again) to be sealed again. Each case feeds damaged raw
 * bytes to a real store whose flow tree knows the chain's load roots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, writeFileSync, readFileSync, cpSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealedStore, type SealedStoreOptions } from '../../src/store/sealedStore.js';
import { readAt } from '../../src/store/loader.js';
import { checkLoad, isDamaged, Scrubber } from '../../src/store/scrub.js';
import { hashLoad } from '../../src/store/loadHash.js';
import { TxIndex } from '../../src/sync/txIndex.js';
import { decodeRecord, encodeRecord, headerRecord, FORMAT_V2, FORMAT_VERSION } from '../../src/store/journal.js';
import { seal } from '../../src/core/seal.js';
import { BYTES_PER_LOAD } from '../../src/spec.js';
import { xorshiftStream } from '../helpers/random.js';
import { runCli } from '../helpers/cli.js';

const MINER = new Uint8Array(32).fill(9);
const CTX = new Uint8Array(32).fill(0xc3);
const FULL = (1n << 64n) - 1n;

/** One-load submissions (height-10 nodes) for loads 1..3, as the chain's Submit events give them. */
function submissions(data: Uint8Array): { txSeq: bigint; startPos: bigint; lengthSectors: bigint; sizeBytes: bigint; nodes: { root: Uint8Array; height: number }[]; blockNumber: number }[] {
  return [1n, 2n, 3n].map((L, i) => ({
    txSeq: BigInt(i),
    startPos: L * 1024n,
    lengthSectors: 1024n,
    sizeBytes: BigInt(BYTES_PER_LOAD),
    nodes: [{ root: hashLoad(L, data.subarray(i * BYTES_PER_LOAD, (i + 1) * BYTES_PER_LOAD)).loadRoot, height: 10 }],
    blockNumber: 1,
  }));
}

async function sealLoad(store: SealedStore, L: bigint): Promise<void> {
  const raw = await store.readRawLoad(L);
  await store.commitSealed(
    L,
    Array.from({ length: 64 }, (_, i) => ({ sealIndex: i, sealed: seal(raw.subarray(i * 4096, (i + 1) * 4096), MINER, CTX, L * 1024n + BigInt(i * 16)), contextDigest: CTX }))
  );
}

/** A store whose flow tree holds loads 1..3 (the chain's roots), loads 0..3 stored and fully sealed. */
async function flowStore(dir: string, opts: Partial<SealedStoreOptions> = {}): Promise<{ store: SealedStore; data: Uint8Array }> {
  const data = xorshiftStream(5)(3 * BYTES_PER_LOAD);
  const store = await SealedStore.open(dir, { minerId: MINER, ...opts });
  for (const s of submissions(data)) await store.flowTree.addSubmission(s);
  await store.markKnownZero(1n, 1024n);
  await store.writeFlowData(1024n, data);
  for (const L of [0n, 1n, 2n, 3n]) await sealLoad(store, L);
  return { store, data };
}

function damageRaw(dir: string, L: bigint): void {
  const fd = openSync(join(dir, 'raw.bin'), 'r+');
  writeSync(fd, new Uint8Array([0x01, 0x02, 0x03]), 0, 3, Number(L) * BYTES_PER_LOAD + 5000);
  closeSync(fd);
}

test('forget: a load whose raw data fails is forgotten by the scrub: not known, not sealed, not minable, not queued; counters agree with a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-'));
  try {
    const { store, data } = await flowStore(dir);
    const before = store.stats();
    damageRaw(dir, 2n);
    const found = (await checkLoad(store, MINER, 2n, false))!;
    assert.equal(found.badRaw, true, 'the check finds the raw damage');
    assert.equal(store.isLoadComplete(2n), true, 'a check without repair changes nothing');

    const lines: string[] = [];
    const scrubber = new Scrubber({ store, minerId: MINER, log: { warn: (l) => lines.push(l) }, txsOf: (L) => [L - 1n] });
    const c = (await scrubber.scrub(2n))!;
    assert.equal(c.badRaw, true);
    assert.deepEqual(lines, ["store: load 2: its raw data does not hash to the flow's load root; its data is in tx 1 (forgotten: not served, sealed or mined until the data comes back: zg-miner import --tx 1 FILE, or a peer)"]);
    assert.equal(store.isLoadComplete(2n), false);
    assert.equal(store.rangeKnown(2048n, 3072n), false, 'not served (the RPC asks rangeKnown)');
    assert.equal(store.knownSectors(2n), 0);
    assert.equal(store.sealedMask(2n), 0n);
    assert.equal(store.loadSource().availability(2n), 0n, 'not mined');
    assert.equal(store.nextUnsealedLoad(0n), null, 'not in the sealer queue (loads 0, 1 and 3 are fully sealed)');
    assert.equal(store.loadRoot(2n), null);
    assert.deepEqual(await store.readRawLoad(2n), new Uint8Array(BYTES_PER_LOAD), 'its bytes are no longer exposed');
    assert.deepEqual(store.forgottenLoads(), [2n]);
    assert.equal(store.forgets, 1);
    await assert.rejects(sealLoad(store, 2n), /raw sectors are not all known/, 'the damaged bytes cannot be sealed');
    const after = store.stats();
    assert.deepEqual(after, {
      knownSectors: before.knownSectors - 1024n,
      sealedSectors: before.sealedSectors - 1024n,
      completeLoads: before.completeLoads - 1,
      sealedLoads: before.sealedLoads - 1,
      forgottenLoads: 1,
    });
    assert.equal(await scrubber.scrubNext().then((x) => x!.load), 0n, 'the walk skips the forgotten load');

    // Durable: the journal replays it (kill-like: no close), then a checkpoint holds it.
    await store.close();
    const again = await SealedStore.open(dir, { minerId: MINER });
    assert.deepEqual(again.stats(), after, 'counters recounted from the checkpoint agree');
    assert.deepEqual(again.forgottenLoads(), [2n]);
    assert.equal(again.sealedMask(2n), 0n);
    assert.equal(again.nextUnsealedLoad(0n), null);

    // The data comes back (a peer, an import): complete, no longer forgotten, queued for sealing, intact.
    await again.writeFlowData(2048n, data.subarray(BYTES_PER_LOAD, 2 * BYTES_PER_LOAD));
    assert.equal(again.isLoadComplete(2n), true);
    assert.deepEqual(again.forgottenLoads(), []);
    assert.equal(again.nextUnsealedLoad(0n), 2n);
    await sealLoad(again, 2n);
    assert.equal(isDamaged((await checkLoad(again, MINER, 2n, false))!), false);
    assert.deepEqual(again.stats(), before);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('forget: replayed from the journal without a checkpoint, and known zero sectors stay known', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-zero-'));
  try {
    const store = await SealedStore.open(dir, { minerId: MINER });
    // Load 1: 1000 data sectors and 24 sectors of padding (known zeros).
    const bytes = xorshiftStream(3)(1000 * 256);
    await store.writeFlowData(1024n, bytes);
    await store.markKnownZero(1024n + 1000n, 2048n);
    assert.equal(store.isLoadComplete(1n), true);
    await store.forgetLoad(1n);
    assert.equal(store.knownSectors(1n), 24, 'the padding is still known (it is never read from raw.bin)');
    assert.equal(store.rangeKnown(1024n + 1000n, 2048n), true);
    assert.equal(store.rangeKnown(1024n, 1025n), false);
    const stats = store.stats();
    // A copy of the dir as a kill -9 would leave it: journal only, no checkpoint of the forget.
    const copy = mkdtempSync(join(tmpdir(), 'zg-forget-copy-'));
    for (const f of ['journal.bin', 'raw.bin', 'sealed.bin', 'contexts.bin', 'roots.bin']) writeFileSync(join(copy, f), readFileSync(join(dir, f)));
    cpSync(join(dir, 'tree'), join(copy, 'tree'), { recursive: true });
    await store.close();
    const replayed = await SealedStore.open(copy, { minerId: MINER });
    assert.deepEqual(replayed.stats(), stats);
    assert.equal(replayed.knownSectors(1n), 24);
    assert.deepEqual(replayed.forgottenLoads(), [1n]);
    // Written again: only the data sectors were missing.
    await replayed.writeFlowData(1024n, bytes);
    assert.equal(replayed.isLoadComplete(1n), true);
    assert.deepEqual(replayed.forgottenLoads(), []);
    await replayed.close();
    rmSync(copy, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('zg-miner store check|repair: a load with bad raw data is reported with its tx, forgotten by repair, and listed as missing afterwards', async () => {
  const data = mkdtempSync(join(tmpdir(), 'zg-forget-cli-'));
  try {
    const dir = join(data, 'store');
    const { store, data: bytes } = await flowStore(dir);
    await store.close();
    const txs = await TxIndex.open(join(data, 'txs.jsonl'));
    await txs.add(submissions(bytes));
    await txs.close();
    writeFileSync(join(data, 'miner_id'), `0x${Buffer.from(MINER).toString('hex')}\n`);
    damageRaw(dir, 3n);
    const check = runCli(['store', 'check', '--data-dir', data]);
    assert.equal(check.status, 2, check.stderr);
    assert.deepEqual(check.stdout.trim().split('\n'), [
      "store: load 3: its raw data does not hash to the flow's load root; its data is in tx 2 (`zg-miner store repair` forgets it until the data comes back: zg-miner import --tx 2 FILE, or a peer)",
      'store check: 4 complete load(s) checked, 1 damaged',
    ]);
    const repair = runCli(['store', 'repair', '--data-dir', data]);
    assert.equal(repair.status, 0, repair.stderr);
    assert.match(repair.stdout, /store: load 3: .*\(forgotten: not served, sealed or mined until the data comes back: zg-miner import --tx 2 FILE, or a peer\)/);
    const after = runCli(['store', 'check', '--data-dir', data]);
    assert.equal(after.status, 2, 'the store still lacks the load');
    assert.deepEqual(after.stdout.trim().split('\n'), [
      'store: load 3: forgotten earlier (its raw data failed its check) and still missing: zg-miner import --tx 2 FILE, or a peer',
      'store check: 3 complete load(s) checked, 0 damaged, 1 forgotten earlier and still missing',
    ]);
    const reopened = await SealedStore.open(dir, { minerId: MINER });
    assert.equal(reopened.isLoadComplete(3n), false);
    assert.equal(reopened.sealedMask(3n), 0n);
    assert.equal(reopened.sealedMask(2n), FULL, 'the other loads keep their seals');
    await reopened.close();
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('store format 2 (no FORGET records) still opens: its journal is replayed, then rotated to a format-3 journal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-v2-'));
  try {
    const store = await SealedStore.open(dir, { minerId: MINER });
    const bytes = xorshiftStream(4)(BYTES_PER_LOAD);
    await store.writeFlowData(1024n, bytes);
    await sealLoad(store, 1n);
    const stats = store.stats();
    // The dir as a format-2 build left it after a kill: records in a journal whose header says 2.
    const copy = mkdtempSync(join(tmpdir(), 'zg-forget-v2copy-'));
    for (const f of ['journal.bin', 'raw.bin', 'sealed.bin', 'contexts.bin', 'roots.bin']) writeFileSync(join(copy, f), readFileSync(join(dir, f)));
    cpSync(join(dir, 'tree'), join(copy, 'tree'), { recursive: true });
    await store.close();
    const journal = readFileSync(join(copy, 'journal.bin'));
    assert.equal(decodeRecord(journal, 0)!.a, FORMAT_VERSION, 'new journals are format 3');
    const head = encodeRecord(headerRecord(MINER, FORMAT_V2));
    journal.set(head, 0);
    writeFileSync(join(copy, 'journal.bin'), journal);
    const old = await SealedStore.open(copy, { minerId: MINER });
    assert.deepEqual(old.stats(), stats);
    assert.deepEqual(await old.readRawLoad(1n), bytes);
    assert.equal(old.sealedMask(1n), FULL);
    assert.equal(decodeRecord(readFileSync(join(copy, 'journal.bin')), 0)!.a, FORMAT_VERSION, 'rotated to a format-3 journal on open');
    await old.forgetLoad(1n);
    await old.close();
    const again = await SealedStore.open(copy, { minerId: MINER });
    assert.deepEqual(again.forgottenLoads(), [1n]);
    await again.close();
    rmSync(copy, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scrub: a suspected load (a hit on it failed) is checked before the walk, queued once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-suspect-'));
  try {
    const { store } = await flowStore(dir);
    damageRaw(dir, 3n);
    const lines: string[] = [];
    const scrubber = new Scrubber({ store, minerId: MINER, log: { warn: (l) => lines.push(l) } });
    assert.equal(scrubber.suspect(3n), true);
    assert.equal(scrubber.suspect(3n), false, 'already queued: the caller does not warn again');
    const c = (await scrubber.scrubNext())!;
    assert.equal(c.load, 3n, 'the suspect goes first (the walk would start at load 0)');
    assert.equal(c.badRaw, true);
    assert.deepEqual(store.forgottenLoads(), [3n]);
    assert.equal(lines.length, 1);
    assert.equal((await scrubber.scrubNext())!.load, 0n, 'then the walk');
    assert.equal(scrubber.suspect(3n), true, 'checked: a later failure queues it again');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loader: a read that finds sealed seals cut off (truncated sealed.bin) reports the load; an unsealed tail does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-short-'));
  try {
    const { store } = await flowStore(dir);
    truncateSync(join(dir, 'sealed.bin'), 2 * BYTES_PER_LOAD + 10 * 4096);
    const reported: bigint[] = [];
    const lines: string[] = [];
    const scrubber = new Scrubber({ store, minerId: MINER, log: { warn: (l) => lines.push(l) } });
    const source = store.loadSource({
      onDamagedRead: (L) => {
        reported.push(L);
        scrubber.suspect(L);
      },
    });
    await source.read(1n);
    assert.deepEqual(reported, [], 'load 1 is whole');
    await source.read(2n);
    assert.deepEqual(reported, [2n], 'seals 10..63 of load 2 read as zeros');
    await store.readSealedSeal(2n, 40);
    assert.deepEqual(reported, [2n], 'single-seal reads (the scrub, the gate) judge the bytes themselves');
    // The suspect is checked first: the cut-off seals are retracted (the sealer seals them again).
    const c = (await scrubber.scrubNext())!;
    assert.equal(c.load, 2n);
    assert.equal(store.sealedMask(2n), (1n << 10n) - 1n);
    await source.read(2n);
    assert.deepEqual(reported, [2n], 'after the retraction the zeros are not sealed bytes any more');
    await store.close();

    // A store whose last load is sealed in part: sealed.bin ends where its sealed seals end.
    const dir2 = mkdtempSync(join(tmpdir(), 'zg-forget-tail-'));
    const s2 = await SealedStore.open(dir2, { minerId: MINER });
    await s2.writeFlowData(1024n, xorshiftStream(8)(BYTES_PER_LOAD));
    const raw = await s2.readRawLoad(1n);
    await s2.commitSealed(1n, Array.from({ length: 10 }, (_, i) => ({ sealIndex: i, sealed: seal(raw.subarray(i * 4096, (i + 1) * 4096), MINER, CTX, 1024n + BigInt(i * 16)), contextDigest: CTX })));
    const seen: bigint[] = [];
    await s2.loadSource({ onDamagedRead: (L) => seen.push(L) }).read(1n);
    assert.deepEqual(seen, [], 'no false alarm for seals never written');
    await s2.close();
    rmSync(dir2, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loader: a media error (EIO) on a mining read reports the load and reads zeros, the other loads mine on; the check retracts the unreadable seals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-eio-'));
  try {
    // sealed.bin as a disk with a bad block inside load 2 (once `broken` is set).
    let broken = false;
    const badFrom = 2 * BYTES_PER_LOAD + 7 * 4096;
    const sealedReadAt = (fd: number, buf: Uint8Array, position: number): Promise<number> => {
      if (broken && position < badFrom + 4096 && position + buf.length > badFrom) return Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      return readAt(fd, buf, position);
    };
    const { store } = await flowStore(dir, { direct: false, sealedReadAt });
    broken = true;
    await assert.rejects(store.loadSource().read(2n), /read of 262144 bytes at 524288 failed \(EIO\)/, 'without a damage hook the read fails, as before');

    const reported: [bigint, string][] = [];
    const lines: string[] = [];
    const scrubber = new Scrubber({ store, minerId: MINER, log: { warn: (l) => lines.push(l) } });
    const source = store.loadSource({
      onDamagedRead: (L, why) => {
        reported.push([L, why]);
        scrubber.suspect(L);
      },
    });
    const one = await source.read(1n);
    assert.ok(one.some((b) => b !== 0), 'load 1 reads');
    assert.equal(reported.length, 0);
    const two = await source.read(2n);
    assert.ok(two.every((b) => b === 0), 'load 2 reads as zeros');
    assert.deepEqual(reported.map(([L]) => L), [2n]);
    assert.match(reported[0]![1], /^sealed\.bin: reading load 2 failed \(EIO, a disk or file-system error\): it reads as zeros until checked$/);
    assert.equal(await source.withLoad(3n, (v) => v.some((b) => b !== 0)), true, 'load 3 reads');
    await assert.rejects(store.readSealedSeal(2n, 7), /EIO/, 'a single-seal read (the gate, the scrub) gets the error itself');
    assert.ok((await store.readSealedSeal(2n, 6)).some((b) => b !== 0), 'the seals beside the bad block read');

    // The suspect is checked first: the unreadable seal is retracted; the sealer will write it again.
    const c = (await scrubber.scrubNext())!;
    assert.equal(c.load, 2n);
    assert.equal(c.badSeals, 1n << 7n);
    assert.equal(store.sealedMask(2n), FULL & ~(1n << 7n));
    assert.equal(lines.length, 1);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
