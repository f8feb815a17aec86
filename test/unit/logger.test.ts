/**
 * The logger: level filtering, console sinks and the log file, repeated events summarised once per
 * interval (their own lines only at debug), the recent-warnings ring for /status, bad --log-file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, parseLogLevel } from '../../src/log/logger.js';
import { MinerError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';

function capture(level: 'error' | 'warn' | 'info' | 'debug', extra: { file?: string } = {}) {
  let nowMs = Date.UTC(2026, 0, 2, 3, 4, 5);
  const out: string[] = [];
  const err: string[] = [];
  const log = new Logger({ level, now: () => nowMs, sinks: { out: (t) => out.push(t), err: (t) => err.push(t) }, ...extra });
  return { log, out, err, advance: (ms: number) => (nowMs += ms) };
}

test('levels: each level shows itself and the more important ones; warn and error go to stderr', () => {
  const c = capture('info');
  c.log.debug('d');
  c.log.info('i');
  c.log.warn('w');
  c.log.error('e');
  assert.deepEqual(c.out, ['2026-01-02T03:04:05.000Z i\n']);
  assert.deepEqual(c.err, ['2026-01-02T03:04:05.000Z WARN w\n', '2026-01-02T03:04:05.000Z ERROR e\n']);
  const quiet = capture('error');
  quiet.log.info('i');
  quiet.log.warn('w');
  quiet.log.error('e');
  assert.deepEqual([...quiet.out, ...quiet.err], ['2026-01-02T03:04:05.000Z ERROR e\n']);
  const dbg = capture('debug');
  dbg.log.debug('d');
  assert.deepEqual(dbg.out, ['2026-01-02T03:04:05.000Z DEBUG d\n']);
  assert.equal(parseLogLevel('warn'), 'warn');
  assert.throws(() => parseLogLevel('verbose'), /expected one of error, warn, info, debug/);
});

test('repeated events: one summary line per interval, the single lines only at debug', () => {
  const c = capture('info');
  for (let i = 0; i < 312; i++) c.log.repeated('hits dropped', 'below the shard target', `hit at ${i} dropped`);
  c.log.repeated('loads sealed', '', 'sealed 64 seal(s) of load 3');
  assert.deepEqual(c.out, [], 'nothing per event at info');
  c.advance(30_000);
  c.log.flushSummaries();
  assert.deepEqual(c.out, [
    '2026-01-02T03:04:35.000Z hits dropped in the last 30 s: 312 (below the shard target)\n',
    '2026-01-02T03:04:35.000Z loads sealed in the last 30 s: 1\n',
  ]);
  c.advance(30_000);
  c.log.flushSummaries();
  assert.equal(c.out.length, 2, 'a quiet interval prints nothing');
  c.log.close();

  const d = capture('debug');
  d.log.repeated('hits dropped', 'window passed', 'hit at 7 dropped');
  assert.deepEqual(d.out, ['2026-01-02T03:04:05.000Z DEBUG hit at 7 dropped\n']);
  d.log.close();
  assert.equal(d.out.length, 2, 'close() prints the pending summary');
  assert.match(d.out[1]!, /hits dropped in the last 1 s: 1 \(window passed\)/);
});

test('--log-file gets every line that passes the level; a bad path is one clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-log-'));
  try {
    const file = join(dir, 'miner.log');
    const c = capture('info', { file });
    c.log.info('first');
    c.log.debug('hidden');
    c.log.warn('careful');
    c.log.close();
    assert.equal(readFileSync(file, 'utf8'), '2026-01-02T03:04:05.000Z first\n2026-01-02T03:04:05.000Z WARN careful\n');
    const again = capture('info', { file });
    again.log.info('appended');
    again.log.close();
    assert.match(readFileSync(file, 'utf8'), /careful\n.*appended\n$/);
    assert.throws(() => capture('info', { file: join(dir, 'no/such/dir/x.log') }), (e: unknown) => e instanceof MinerError && /--log-file .*: cannot open \(ENOENT\)/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recent warnings: the last 20 warnings and errors, whatever the level shows', () => {
  const c = capture('error');
  for (let i = 0; i < 25; i++) c.log.warn(`w${i}`);
  c.log.info('not a warning');
  const r = c.log.recentWarnings();
  assert.equal(r.length, 20);
  assert.deepEqual(r[0], { time: '2026-01-02T03:04:05.000Z', level: 'warn', line: 'w5' });
  assert.equal(r[19]!.line, 'w24');
});

test('CLI: --version prints version and commit; --log-level is checked; --log-file that cannot be opened is one line', () => {
  const v = runCli(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^zg-miner \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}|unknown), node v\d+/);
  const bad = runCli(['--log-level', 'loud', 'verify', 'x.json']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /log-level/);
  const file = runCli(['--log-file', '/nonexistent-dir/zg.log', 'verify', 'x.json']);
  assert.equal(file.status, 1);
  assert.equal(file.stderr, 'zg-miner: --log-file /nonexistent-dir/zg.log: cannot open (ENOENT)\n');
});
