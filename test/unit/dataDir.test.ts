/**
 * The data dir claim (src/store/dataDir.ts): zg-miner never writes into a folder holding another
 * program's data (the 0G node's db_dir), refuses an unusable dir in one line, and accepts its
 * own dirs (marked, or from before the marker).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDataDir, MARKER_FILE } from '../../src/store/dataDir.js';
import { MinerError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'zg-datadir-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const oneLine = (re: RegExp) => (e: unknown): boolean => e instanceof MinerError && !e.message.includes('\n') && re.test(e.message);

test('a folder holding the 0G node\'s database is refused and left untouched', () => {
  const nodeDb = join(root, 'node-db');
  mkdirSync(join(nodeDb, 'flow_db'), { recursive: true });
  mkdirSync(join(nodeDb, 'data_db'));
  writeFileSync(join(nodeDb, 'LOG'), 'rocksdb');
  const before = readdirSync(nodeDb).sort();
  assert.throws(() => claimDataDir(nodeDb), oneLine(/node-db: holds files zg-miner did not write \(.*flow_db.*\) and is not a zg-miner data dir/));
  assert.deepEqual(readdirSync(nodeDb).sort(), before, 'nothing written into it');
});

test('a new or empty folder is taken and marked; a marked folder with anything in it stays ours', () => {
  const fresh = join(root, 'new', 'deeper');
  assert.deepEqual(claimDataDir(fresh), { dir: fresh, fresh: true });
  assert.ok(existsSync(join(fresh, MARKER_FILE)));
  assert.deepEqual(readdirSync(fresh), [MARKER_FILE], 'the write probe is removed');
  writeFileSync(join(fresh, 'some-later-file'), 'x');
  assert.deepEqual(claimDataDir(fresh), { dir: fresh, fresh: false });
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assert.equal(claimDataDir(empty).fresh, true);
});

test('a data dir written before the marker existed (only zg-miner\'s entries) is accepted and marked', () => {
  const old = join(root, 'old');
  mkdirSync(join(old, 'store'), { recursive: true });
  writeFileSync(join(old, 'miner_id'), '0x' + '11'.repeat(32) + '\n');
  writeFileSync(join(old, 'follower.json'), '{}');
  assert.equal(claimDataDir(old).fresh, false);
  assert.ok(existsSync(join(old, MARKER_FILE)));
});

test('requireFresh refuses a dir holding an earlier run', () => {
  const used = join(root, 'used');
  claimDataDir(used);
  writeFileSync(join(used, 'miner_id'), 'x');
  assert.throws(() => claimDataDir(used, { requireFresh: 'holds an earlier run' }), oneLine(/used: holds an earlier run$/));
});

test('an unusable data dir fails in one line: a file, a path under /proc, a read-only folder', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => claimDataDir(file), oneLine(/a-file: is not a directory/));
  assert.throws(() => claimDataDir(join(file, 'sub')), oneLine(/cannot be (read|created)/));
  if (existsSync('/proc/self')) assert.throws(() => claimDataDir('/proc/self/zg-miner-data'), oneLine(/\/proc\/self\/zg-miner-data: cannot be created/));
  // Permissions do not bind root: the read-only case needs an ordinary user.
  if (process.getuid?.() !== 0) {
    const ro = join(root, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    try {
      assert.throws(() => claimDataDir(ro), oneLine(/read-only: is not writable/));
    } finally {
      chmodSync(ro, 0o755);
    }
  }
});
