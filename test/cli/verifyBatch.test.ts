/**
 * `zg-miner verify` batch mode: several files, a directory, JSON lines on stdin (`-`); one line per
 * answer in input order, each exactly what a single verify prints; warnings on stderr naming the
 * input; exit code of the worst verdict; large batches through the worker pool in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { benchCorpus } from '../../src/verifyBatch/benchCorpus.js';
import { verifyItem } from '../../src/verifyBatch/verifyItem.js';

const example = join(REPO_ROOT, 'examples/answer.json');
const dir = mkdtempSync(join(tmpdir(), 'zg-verify-batch-'));
const exampleJson = (): any => JSON.parse(readFileSync(example, 'utf8'));

function write(name: string, j: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof j === 'string' ? j : JSON.stringify(j));
  return p;
}

const valid = write('valid.json', exampleJson());
const invalid = write('invalid.json', (() => { const j = exampleJson(); j.view.poraTarget = '0'; return j; })());
const warned = write('warned.json', (() => {
  const j = exampleJson();
  j.answer.sealOffset = '75';
  j.answer.recallPosition = String(1024 + 75 * 16);
  j.view.sealDataEnabled = false;
  j.view.dataProofEnabled = false;
  j.view.sealedContextRange = { start: '0', end: '1048576' };
  return j;
})());
const broken = write('broken.json', '{');

const single = (f: string): string => runCli(['verify', f]).stdout;

test('verify batch: several files print one line each, in order, each what a single verify prints; exit = worst', () => {
  const r = runCli(['verify', invalid, valid, warned]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, single(invalid) + single(valid) + single(warned));
  assert.match(r.stderr, new RegExp(`^warning: ${warned.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: sealOffset 75 is outside 0\\.\\.63`, 'm'));
  const ok = runCli(['verify', valid, valid]);
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, single(valid).repeat(2));
});

test('verify batch: a bad input is an error line (stderr: one line naming it), the rest is still verified, exit 1', () => {
  const r = runCli(['verify', valid, broken, join(dir, 'missing.json'), invalid]);
  assert.equal(r.status, 1);
  const lines = r.stdout.split('\n');
  assert.equal(lines.length, 5);
  assert.equal(lines[0] + '\n', single(valid));
  assert.match(lines[1]!, /^error: .*broken\.json: not valid JSON/);
  assert.match(lines[2]!, /^error: .*missing\.json: cannot read \(ENOENT\)$/);
  assert.equal(lines[3] + '\n', single(invalid));
  assert.match(r.stderr, /^zg-miner: .*broken\.json: not valid JSON/m);
  assert.match(r.stderr, /^zg-miner: .*missing\.json: cannot read/m);
});

test('verify batch: a directory is its *.json files by name; stdin (-) is JSON lines, blank lines skipped', () => {
  const d = join(dir, 'answers');
  mkdirSync(d);
  writeFileSync(join(d, 'b.json'), readFileSync(invalid));
  writeFileSync(join(d, 'a.json'), readFileSync(valid));
  writeFileSync(join(d, 'notes.txt'), 'not an answer');
  const r = runCli(['verify', d]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, single(valid) + single(invalid));

  const lines = [JSON.stringify(exampleJson()), '', JSON.stringify(JSON.parse(readFileSync(warned, 'utf8'))), '{"answer":'].join('\n') + '\n';
  const s = runCli(['verify', invalid, '-'], { input: lines });
  assert.equal(s.status, 1);
  assert.equal(s.stdout.split('\n').slice(0, 3).join('\n') + '\n', single(invalid) + single(valid) + single(warned));
  assert.match(s.stdout.split('\n')[3]!, /^error: -:4: not valid JSON/);
  assert.match(s.stderr, /^warning: -:3: sealOffset 75/m);
});

test('verify batch: a large batch goes through the worker pool and keeps input order', () => {
  // Distinct valid answers (each its own quality), every third made invalid: order mistakes show.
  const corpus = benchCorpus(150).map((l, i) => {
    if (i % 3 !== 2) return l;
    const j = JSON.parse(l);
    j.view.poraTarget = '0';
    return JSON.stringify(j);
  });
  const expected = corpus.map((text, i) => verifyItem({ label: `-:${i + 1}`, text }).line + '\n').join('');
  assert.equal(new Set(expected.split('\n')).size, 150 - 50 + 1 + 1, 'distinct lines');
  for (const threads of ['2', '1']) {
    const r = runCli(['verify', '-', '--threads', threads], { input: corpus.join('\n') + '\n' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, expected, `--threads ${threads}`);
  }
});

test('verify batch: --threads must be a positive integer', () => {
  const r = runCli(['verify', valid, valid, '--threads', '0']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--threads must be a positive integer/);
});
