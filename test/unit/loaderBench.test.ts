import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runLoaderBench } from '../../src/store/loaderBench.js';
import { benchLoader } from '../../src/store/loaderVsFio.js';
import { MinerError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'zg-lbench-'));
const file = join(dir, 'loads.bin');
writeFileSync(file, randomBytes(262144 * 16));

test('loader bench: counts reads of whole loads, both paths', async () => {
  for (const path of ['read', 'borrowed'] as const) {
    const r = await runLoaderBench({ file, seconds: 0.3, inflight: 8, path });
    assert.ok(r.reads > 0, path);
    assert.equal(r.bytes, r.reads * 262144);
    assert.equal(r.fileBytes, 262144 * 16);
    assert.equal(r.peakInflight, 8);
    assert.ok(r.MBps > 0 && r.seconds >= 0.3);
  }
  await assert.rejects(runLoaderBench({ file: join(dir, 'none'), seconds: 0.1 }), (e: unknown) =>
    e instanceof MinerError && e.message === `--file ${join(dir, 'none')}: ENOENT; give an existing file of at least 256 KiB`);
});

test('loader bench: report beside fio (when fio is installed)', { skip: !existsSync('/usr/bin/fio') && 'fio not installed' }, async () => {
  const r = await benchLoader({ file, seconds: 2, inflight: 8, fio: true, rounds: 2, path: 'read' });
  assert.ok(r.fioMBps !== null && r.fioMBps > 0);
  assert.ok(r.loaderMBps > 0);
  assert.ok(Math.abs(r.ratio! - r.loaderMBps / r.fioMBps) < 0.01);
  for (const key of ['loaderMBps', 'fioMBps', 'ratio', 'file', 'fileBytes', 'direct', 'inflight', 'seconds', 'node', 'commit']) {
    assert.ok(key in r, `report key ${key}`);
  }
  assert.equal(r.file, file);
  assert.equal(r.inflight, 8);
  assert.equal(r.node, process.version);
  assert.equal(r.rounds, 2);
});
