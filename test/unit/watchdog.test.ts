/**
 * The watchdog and its supervised loop (issue 9 item 2): a busy part silent for its stall time is
 * logged and restarted, an idle one never; a stuck iteration is abandoned and the loop goes on; a
 * stop does not wait for a stuck iteration beyond its grace; an iteration's error ends the loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Watchdog } from '../../src/watchdog/watchdog.js';
import { supervisedLoop } from '../../src/watchdog/loop.js';

const never = (): Promise<void> => new Promise<void>(() => {});

test('watchdog: a busy part silent for its stall time is logged once and restarted; beats and idle parts are left alone', () => {
  let t = 0;
  const warns: string[] = [];
  const restarted: string[] = [];
  const wd = new Watchdog({ log: { warn: (l) => warns.push(l) }, now: () => t, onRestart: (p) => restarted.push(`metric:${p}`) });
  const search = wd.watch('search', 10_000, () => restarted.push('search'));
  const sync = wd.watch('flow sync', 10_000, () => restarted.push('sync'));
  search.busy();
  sync.busy();
  sync.idle(); // waiting for its timer: not watched
  t = 9_000;
  search.beat();
  t = 18_000;
  wd.check();
  assert.deepEqual(restarted, [], 'a beat 9 s ago is progress');
  t = 19_000;
  wd.check();
  assert.deepEqual(restarted, ['metric:search', 'search']);
  assert.deepEqual(warns, ['watchdog: search made no progress for 10 s; restarting it (restart 1)']);
  t = 20_000;
  wd.check();
  assert.equal(restarted.length, 2, 'the restarted part gets its full stall time again');
  t = 100_000;
  search.idle();
  wd.check();
  assert.equal(restarted.length, 2, 'an idle part is never restarted');
  assert.equal(wd.restarts.get('search'), 1);
});

test('supervisedLoop: a stuck iteration (ignoring its signal) is abandoned and the next one runs; its late result is dropped', async () => {
  const warns: string[] = [];
  const wd = new Watchdog({ log: { warn: (l) => warns.push(l) }, checkMs: 10 });
  wd.start();
  // The watchdog's timer does not hold the process open (a miner has its servers for that).
  const keepAlive = setInterval(() => {}, 1000);
  const stop = new AbortController();
  let runs = 0;
  let aborted = false;
  let lateReject!: (e: Error) => void;
  const loop = supervisedLoop({
    name: 'block driver',
    watchdog: wd,
    stallMs: 60,
    signal: stop.signal,
    iteration: (signal) => {
      runs++;
      if (runs === 2) {
        signal.addEventListener('abort', () => (aborted = true));
        return new Promise<void>((_, reject) => (lateReject = reject));
      }
      if (runs === 5) stop.abort();
      return Promise.resolve();
    },
    between: () => new Promise((r) => setTimeout(r, 5)),
  });
  await loop;
  wd.stop();
  clearInterval(keepAlive);
  lateReject(new Error('late failure of the abandoned iteration'));
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 5);
  assert.ok(aborted, 'the stuck iteration\'s signal is aborted on the restart');
  assert.equal(warns.length, 1);
  assert.match(warns[0]!, /^watchdog: block driver made no progress for 0 s; restarting it \(restart 1\)$/);
});

test('supervisedLoop: a stop abandons a stuck iteration after the grace (Ctrl+C always ends the loop)', async () => {
  const stop = new AbortController();
  const loop = supervisedLoop({ name: 'upload', stallMs: 60_000, signal: stop.signal, iteration: never, stopGraceMs: 50 });
  const t0 = Date.now();
  setTimeout(() => stop.abort(), 20);
  await loop;
  const ms = Date.now() - t0;
  assert.ok(ms >= 60 && ms < 2000, `ended after ${ms} ms`);
});

test('supervisedLoop: an iteration\'s own error ends the loop with it (a fatal stop)', async () => {
  const stop = new AbortController();
  await assert.rejects(
    supervisedLoop({ name: 'search', stallMs: 60_000, signal: stop.signal, iteration: async () => Promise.reject(new Error('worker crashed')) }),
    /worker crashed/
  );
});
