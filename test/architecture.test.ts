/**
 * The layering (test/architecture/layering.ts) holds for src/ and bench/, and every rule is proven
 * by a fixture under test/fixtures/architecture/ that breaks it and must be caught. The imports are
 * read with the TypeScript parser, so every import form counts; no vectors are needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTree, RULE_NAMES, type RuleName } from './architecture/layering.js';

/** The repository root: this file runs as dist/test/architecture.test.js; the fixtures stay as .ts sources. */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(REPO, 'test/fixtures/architecture');

test('src/ and bench/ keep the layering: library owners, pure core/ and verify/, miner/ ports, composition root, no cycles', () => {
  assert.deepEqual(checkTree(REPO).map((v) => `${v.rule}: ${v.message}`), []);
});

test('a tree that keeps every rule passes (the fixtures fail for their one broken rule, not for their shape)', () => {
  assert.deepEqual(checkTree(join(FIXTURES, 'clean')), []);
});

/** fixture → the one rule it breaks and how many times (one per import it breaks it with). */
const BROKEN: Record<string, { rule: RuleName; count: number }> = {
  // every import form: side-effect, export-from, dynamic, createRequire()(), a createRequire'd
  // function, import = require, import('x').T, a subpath, plain require
  'owner-forms': { rule: 'owner', count: 9 },
  'owner-unowned': { rule: 'owner', count: 1 },
  'owner-builtin': { rule: 'owner', count: 1 },
  'pure-io': { rule: 'pure', count: 2 },
  'pure-layer': { rule: 'pure', count: 1 },
  ports: { rule: 'ports', count: 2 },
  'composition-root': { rule: 'composition-root', count: 2 },
  'computed-import': { rule: 'computed-import', count: 2 },
  'folder-cycle': { rule: 'folder-cycle', count: 1 },
  'file-cycle': { rule: 'file-cycle', count: 1 },
};

for (const [fixture, { rule, count }] of Object.entries(BROKEN)) {
  test(`fixture ${fixture}: the check fails with ${count} × ${rule}`, () => {
    const found = checkTree(join(FIXTURES, fixture));
    assert.deepEqual(
      found.map((v) => v.rule),
      Array<RuleName>(count).fill(rule),
      found.map((v) => `${v.rule}: ${v.message}`).join('\n')
    );
  });
}

test('every rule has a fixture that breaks it, and every fixture is checked', () => {
  assert.deepEqual([...new Set(Object.values(BROKEN).map((b) => b.rule))].sort(), [...RULE_NAMES].sort());
  assert.deepEqual(readdirSync(FIXTURES).sort(), [...Object.keys(BROKEN), 'clean'].sort());
});
