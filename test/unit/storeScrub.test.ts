/**
 * Damage in the store is found and repaired (issue 9 item 6): a corrupted or truncated sealed.bin
 * is found by the scrub (unseal + hash against the seal roots) and its seals are retracted, so
 * they are no longer mined and the sealer seals them again; a deleted roots.bin is re-derived at
 * start; wrong roots are re-derived by the scrub. Each case feeds the damage to a real store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, truncateSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SealedStore } from '../../src/store/sealedStore.js';
import { checkLoad, startupCheck, Scrubber, isDamaged } from '../../src/store/scrub.js';
import { seal } from '../../src/core/seal.js';

const MINER = new Uint8Array(32).fill(7);
const CTX = new Uint8Array(32).fill(0xa1);
const FULL = (1n << 64n) - 1n;

/** A store with loads 1 and 2 complete and fully sealed. */
async function sealedStore(): Promise<{ dir: string; store: SealedStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'zg-scrub-'));
  const store = await SealedStore.open(dir, { minerId: MINER });
  await store.writeFlowData(1024n, new Uint8Array(randomBytes(2 * 262144)));
  for (const L of [1n, 2n]) {
    const raw = await store.readRawLoad(L);
    await store.commitSealed(
      L,
      Array.from({ length: 64 }, (_, i) => ({ sealIndex: i, sealed: seal(raw.subarray(i * 4096, (i + 1) * 4096), MINER, CTX, L * 1024n + BigInt(i * 16)), contextDigest: CTX }))
    );
  }
  return { dir, store };
}

function warnings(): { lines: string[]; log: { warn(l: string): void } } {
  const lines: string[] = [];
  return { lines, log: { warn: (l) => lines.push(l) } };
}

test('scrub: an intact store passes (no false alarms)', async () => {
  const { dir, store } = await sealedStore();
  for (const L of [1n, 2n]) assert.equal(isDamaged((await checkLoad(store, MINER, L, false))!), false);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('scrub: a corrupted sealed seal is found, retracted (never mined again) and left for the sealer to reseal', async () => {
  const { dir, store } = await sealedStore();
  // Flip a byte of load 1 seal 5 behind the store's back.
  const fd = openSync(join(dir, 'sealed.bin'), 'r+');
  writeSync(fd, new Uint8Array([0xff ^ 0x11]), 0, 1, 262144 * 1 + 4096 * 5 + 100);
  closeSync(fd);
  const w = warnings();
  const scrubber = new Scrubber({ store, minerId: MINER, log: w.log });
  const c = await scrubber.scrub(1n);
  assert.equal(c!.badSeals, 1n << 5n);
  assert.equal(store.sealedMask(1n), FULL & ~(1n << 5n), 'the bad seal is retracted');
  assert.equal(store.loadSource().availability(1n) & (1n << 5n), 0n, 'the miner no longer sees it');
  assert.equal(store.nextUnsealedLoad(0n), 1n, 'the sealer has load 1 to seal again');
  assert.deepEqual(w.lines, ['store: load 1: sealed seal(s) 5 do not unseal to their roots (retracted: not mined, resealed by the sealer)']);
  assert.equal((await scrubber.scrub(2n))!.badSeals, 0n, 'load 2 is intact');
  // The retraction is durable: a reopened store still does not hold seal 5.
  await store.close();
  const again = await SealedStore.open(dir, { minerId: MINER });
  assert.equal(again.sealedMask(1n), FULL & ~(1n << 5n));
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('scrub: a truncated sealed.bin: every seal past the cut fails and is retracted', async () => {
  const { dir, store } = await sealedStore();
  truncateSync(join(dir, 'sealed.bin'), 262144 * 2 + 4096 * 10);
  const w = warnings();
  const scrubber = new Scrubber({ store, minerId: MINER, log: w.log });
  assert.equal((await scrubber.scrubNext())!.load, 1n);
  assert.equal(store.sealedMask(1n), FULL);
  const c = await scrubber.scrubNext();
  assert.equal(c!.load, 2n);
  assert.equal(c!.badSeals, FULL & ~((1n << 10n) - 1n), 'seals 10..63 of load 2 were cut off');
  assert.equal(store.sealedMask(2n), (1n << 10n) - 1n);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('store start: a deleted roots.bin is re-derived from the raw data (it was never rebuilt)', async () => {
  const { dir, store } = await sealedStore();
  const before = store.sealRoots(2n)!;
  await store.close();
  rmSync(join(dir, 'roots.bin'));
  const again = await SealedStore.open(dir, { minerId: MINER });
  assert.throws(() => again.sealRoots(2n), /roots\.bin is short/, 'without the check every proof fails');
  const w = warnings();
  assert.equal(await startupCheck(again, w.log), 2);
  assert.match(w.lines[0]!, /^store: roots\.bin is missing the seal roots of 2 complete load\(s\)/);
  assert.deepEqual(again.sealRoots(2n), before);
  assert.equal(await startupCheck(again, w.log), 0, 'nothing left to do');
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('scrub: garbled roots (same size) are found and re-derived; the seals are kept', async () => {
  const { dir, store } = await sealedStore();
  const before = store.sealRoots(1n)!;
  writeFileSync(join(dir, 'roots.bin'), new Uint8Array(3 * 2048).fill(0x33));
  const w = warnings();
  const c = await new Scrubber({ store, minerId: MINER, log: w.log }).scrub(1n);
  assert.equal(c!.badRoots, true);
  assert.equal(c!.badSeals, 0n);
  assert.deepEqual(store.sealRoots(1n), before);
  assert.equal(store.sealedMask(1n), FULL);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('zg-miner store check|repair: check reports damage (exit 2) and changes nothing; repair fixes it; check is then clean', async () => {
  const { dir, store } = await sealedStore();
  await store.close();
  // The CLI takes the data dir: <data>/store is the store, <data>/miner_id the id.
  const data = mkdtempSync(join(tmpdir(), 'zg-scrub-cli-'));
  renameSync(dir, join(data, 'store'));
  writeFileSync(join(data, 'miner_id'), `0x${Buffer.from(MINER).toString('hex')}\n`);
  writeFileSync(join(data, 'follower.json'), '{"nextBlock": "garbage"');
  const fd = openSync(join(data, 'store', 'sealed.bin'), 'r+');
  writeSync(fd, new Uint8Array(16).fill(0xee), 0, 16, 262144 * 2 + 4096 * 63);
  closeSync(fd);
  const check = runCli(['store', 'check', '--data-dir', data]);
  assert.equal(check.status, 2, check.stderr);
  assert.deepEqual(check.stdout.trim().split('\n'), [
    `follower: ${join(data, 'follower.json')} is damaged`,
    'store: load 2: sealed seal(s) 63 do not unseal to their roots',
    'store check: 2 complete load(s) checked, 2 damaged',
  ]);
  const repair = runCli(['store', 'repair', '--data-dir', data]);
  assert.equal(repair.status, 0, repair.stderr);
  assert.match(repair.stdout, /store: load 2: sealed seal\(s\) 63 do not unseal to their roots \(retracted: not mined, resealed by the sealer\)/);
  assert.equal(existsSync(join(data, 'follower.json.damaged')), true);
  const after = runCli(['store', 'check', '--data-dir', data]);
  assert.equal(after.status, 0, after.stdout + after.stderr);
  assert.equal(after.stdout.trim(), 'store check: 2 complete load(s) checked, 0 damaged');
  const reopened = await SealedStore.open(join(data, 'store'), { minerId: MINER });
  assert.equal(reopened.sealedMask(2n), FULL >> 1n, 'seal 63 of load 2 is no longer sealed');
  await reopened.close();
  rmSync(data, { recursive: true, force: true });
});
