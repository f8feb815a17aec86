import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, VECTORS_DIR } from '../helpers/cli.js';
import { expectedSelftestCounts } from '../helpers/vectors.js';

test('selftest --backend cpu passes every public vector, rs included, with nothing skipped', () => {
  const { passed, skipped } = expectedSelftestCounts(VECTORS_DIR);
  const r = runCli(['selftest', '--vectors', VECTORS_DIR, '--backend', 'cpu']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), `selftest: ${passed} passed, 0 failed, ${skipped} skipped`);
  assert.ok(passed >= 40, `only ${passed} checks`);
});

test('selftest reports tampered cases, unparsable files and unknown kinds as failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-selftest-'));
  cpSync(join(VECTORS_DIR, 'pora-public.json'), join(dir, 'pora-public.json'));
  const v = JSON.parse(readFileSync(join(VECTORS_DIR, 'unseal-public.json'), 'utf8'));
  const want = v.cases[2].expected.unsealedData as string;
  v.cases[2].expected.unsealedData = '0x' + (want[2] === '0' ? '1' : '0') + want.slice(3);
  v.cases[5].sealedData = '0xabcd';
  writeFileSync(join(dir, 'unseal-tampered.json'), JSON.stringify(v));
  writeFileSync(join(dir, 'merkle-broken.json'), '{"cases": [');
  writeFileSync(join(dir, 'notes.json'), '{}');
  const r = runCli(['selftest', '--vectors', dir, '--backend', 'cpu']);
  assert.equal(r.status, 1);
  const out = r.stdout;
  assert.match(out, /^FAIL unseal-tampered\.json#2 unsealedData: expected 0x[0-9a-f]{8192}, got 0x[0-9a-f]{8192}$/m);
  assert.match(out, /^FAIL unseal-tampered\.json#5 sealedData: expected 0x-prefixed hex of 4096 bytes, got "0xabcd" \(malformed case\)$/m);
  assert.match(out, /^FAIL merkle-broken\.json: cannot read or parse the file as JSON/m);
  assert.match(out, /^FAIL notes\.json: the file name names no vector kind/m);
  assert.equal(out.trim().split('\n').at(-1), `selftest: 16 passed, 4 failed, 0 skipped`);
});

test('selftest with no vectors exits 1; a missing folder is a one-line error', () => {
  const empty = mkdtempSync(join(tmpdir(), 'zg-selftest-empty-'));
  const r = runCli(['selftest', '--vectors', empty, '--backend', 'cpu']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, 'selftest: 0 passed, 0 failed, 0 skipped\n');
  const m = runCli(['selftest', '--vectors', join(empty, 'nope'), '--backend', 'cpu']);
  assert.equal(m.status, 1);
  assert.match(m.stderr, /^zg-miner: --vectors .*nope: not a folder\n$/);
});
