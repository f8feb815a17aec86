/** The follower's pending log: O(changes) per save, torn appends dropped, compaction crash-safe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PendingLog, type PendingEntry } from '../../src/miner/pendingLog.js';

const entry = (k: number): PendingEntry => ({ txSeq: String(k), startPos: String(1024 * (k + 1)), lengthSectors: '4', sizeBytes: '1000', nodes: [{ root: 'ab'.repeat(32), height: 2 }] });

test('pending log: adds and removes survive a reopen; a torn append is dropped and the log stays appendable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-pending-'));
  const file = join(dir, 'follower.pending.jsonl');
  try {
    let { log, entries } = await PendingLog.open(file);
    assert.deepEqual(entries, []);
    for (let k = 0; k < 5; k++) log.add(entry(k));
    log.remove('1');
    await log.flush(() => []);
    await log.close();
    ({ log, entries } = await PendingLog.open(file));
    assert.deepEqual(entries.map((e) => e.txSeq), ['0', '2', '3', '4']);
    await log.close();
    appendFileSync(file, '-3\n+{"txSeq":"9","sta');
    ({ log, entries } = await PendingLog.open(file));
    assert.deepEqual(entries.map((e) => e.txSeq), ['0', '2', '4'], 'the whole removal counts, the torn add does not');
    log.add(entry(7));
    await log.flush(() => []);
    await log.close();
    ({ log, entries } = await PendingLog.open(file));
    assert.deepEqual(entries.map((e) => e.txSeq), ['0', '2', '4', '7']);
    await log.close();
    // Garbage in the middle (a damaged disk block): what precedes it is kept, the rest dropped.
    appendFileSync(file, 'zzzz\n+' + JSON.stringify(entry(8)) + '\n');
    ({ log, entries } = await PendingLog.open(file));
    assert.deepEqual(entries.map((e) => e.txSeq), ['0', '2', '4', '7']);
    await log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pending log: a save costs the change, not the list; dead lines are compacted away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-pending-'));
  const file = join(dir, 'p.jsonl');
  try {
    const { log } = await PendingLog.open(file);
    let live = Array.from({ length: 20_000 }, (_, k) => entry(k));
    for (const e of live) log.add(e);
    await log.flush(() => live);
    const full = statSync(file).size;
    log.remove('17');
    live = live.filter((e) => e.txSeq !== '17');
    await log.flush(() => live);
    assert.equal(statSync(file).size, full + '-17\n'.length, 'one removal appends one short line');
    // Remove most: the dead lines outnumber the live ones and the file is rewritten with the live ones.
    for (let k = 0; k < 15_000; k++) if (k !== 17) log.remove(String(k));
    live = live.filter((e) => Number(e.txSeq) >= 15_000);
    await log.flush(() => live);
    assert.ok(statSync(file).size < full / 3, `compacted: ${statSync(file).size} of ${full}`);
    assert.equal(readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('-')).length, 0);
    await log.close();
    const again = await PendingLog.open(file);
    assert.equal(again.entries.length, 5000);
    assert.equal(again.entries[0]!.txSeq, '15000');
    await again.log.close();
    // A crash during a rewrite leaves its temp file; the log itself is whole.
    writeFileSync(`${file}.tmp`, '+{"txSeq":"1"');
    const after = await PendingLog.open(file);
    assert.equal(after.entries.length, 5000);
    await after.log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
