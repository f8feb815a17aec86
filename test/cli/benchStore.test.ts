/**
 * `bench store` at a small N (the big runs are benchmarks, not CI): every path runs — build through
 * the store, the child process that opens it, proofs, tick, /status, ingest and sealing — and the
 * JSON line has every key with a sane value; a bad --loads is a one-line error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

test('bench store --loads 8 --json: one JSON line with every measurement', () => {
  const r = runCli(['bench', 'store', '--loads', '8', '--json', '--ingest-mib', '1'], { timeoutMs: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.equal(j['loads'], 8);
  for (const k of ['buildSeconds', 'openSeconds', 'rssBytes', 'proofMillis', 'tickMillis', 'statusMillis', 'ingestMBps', 'sealMBps'])
    assert.ok(typeof j[k] === 'number' && (j[k] as number) > 0 && Number.isFinite(j[k] as number), `${k} = ${String(j[k])}`);
  assert.equal(typeof j['machine'], 'string');
  assert.equal(typeof j['commit'], 'string');
});

test('bench store: --loads that is not a power of two is a one-line error', () => {
  const r = runCli(['bench', 'store', '--loads', '1000']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^zg-miner: bench store: --loads must be a power of two/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
