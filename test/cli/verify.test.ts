import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const example = join(REPO_ROOT, 'examples/answer.json');
const dir = mkdtempSync(join(tmpdir(), 'zg-verify-'));

function variant(name: string, mutate: (j: any) => void): string {
  const j = JSON.parse(readFileSync(example, 'utf8'));
  mutate(j);
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(j));
  return p;
}

test('verify: the README example is valid (exit 0, exact stdout)', () => {
  const r = runCli(['verify', example]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'valid quality=0xba13fdaa9e9872c9052658fcd95676c150d7708cba5105e3b90043a87d78b58b\n');
});

test('verify: an invalid answer prints the contract reason and exits 2', () => {
  const p = variant('bad-target.json', (j) => (j.view.poraTarget = '0'));
  const r = runCli(['verify', p]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, 'invalid: Do not reach target quality\n');
});

test('verify: warnings go to stderr as "warning: …"', () => {
  // Same answer, sealOffset 75: pad slice 3 like 11; without seal/proof checks the contract accepts it.
  const p = variant('large-offset.json', (j) => {
    j.answer.sealOffset = '75';
    j.answer.recallPosition = String(1024 + 75 * 16);
    j.view.sealDataEnabled = false;
    j.view.dataProofEnabled = false;
    j.view.sealedContextRange = { start: '0', end: '1048576' };
  });
  const r = runCli(['verify', p]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^valid quality=0x[0-9a-f]{64}\n$/);
  assert.match(r.stderr, /^warning: sealOffset 75 is outside 0\.\.63/m);
});

test('verify: bad input is one line naming the field, exit 1, no stack', () => {
  const cases: [string, (j: any) => void, RegExp][] = [
    ['short-sealed.json', (j) => (j.answer.sealedData = '0x1234'), /answer\.sealedData: expected 0x-prefixed hex of 4096 bytes/],
    ['no-view.json', (j) => delete j.view, /\(top level\)\.view: missing/],
    ['bad-mask.json', (j) => (j.answer.range.shardMask = '18446744073709551616'), /answer\.range\.shardMask: expected an unsigned 64-bit integer/],
    ['bad-proof.json', (j) => (j.answer.merkleProof[2] = 'zz'), /answer\.merkleProof\[2\]: expected 0x-prefixed hex of 32 bytes/],
    ['bad-flag.json', (j) => (j.view.sealDataEnabled = 'yes'), /view\.sealDataEnabled: expected true or false/],
  ];
  for (const [name, mutate, re] of cases) {
    const r = runCli(['verify', variant(name, mutate)]);
    assert.equal(r.status, 1, name);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{"answer":');
  const r = runCli(['verify', notJson]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not valid JSON/);
  const missing = runCli(['verify', join(dir, 'nope.json')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.json: cannot read \(ENOENT\)/);
});

test('usage errors are one line and exit 1', () => {
  const r = runCli(['verify']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Not enough non-option arguments/);
  const u = runCli(['frobnicate']);
  assert.equal(u.status, 1);
});

test('ZG_MINER_<FLAG> environment variables set flags; unknown ones are usage errors', () => {
  const r = runCli(['verify', example], { env: { ZG_MINER_NOPE: '1' } });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Unknown argument: nope/);
  const b = runCli(['selftest', '--vectors', join(dir, 'missing')], { env: { ZG_MINER_BACKEND: 'bogus' } });
  assert.equal(b.status, 1);
  assert.match(b.stderr, /backend/);
});
