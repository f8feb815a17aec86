/**
 * What `mine` runs is what the benchmarks measured (issue 9 item 8): the Docker image carries the
 * loader's start-up environment, and `bench loader` never installs software (fio missing → one
 * line saying how to install it; it used to run apt-get as root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loaderEnv } from '../../src/store/threadpool.js';
import { ensureFio } from '../../src/store/loaderVsFio.js';
import { isMinerError } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/chain.js';

test('Dockerfile: the runtime image sets the loader environment (pool threads and malloc thresholds) to loaderEnv()', () => {
  const docker = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const runtime = docker.slice(docker.indexOf('AS runtime'), docker.indexOf('AS devnet'));
  const env = loaderEnv();
  for (const key of ['UV_THREADPOOL_SIZE', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']) {
    const m = new RegExp(`^\\s*(?:ENV\\s+)?${key}=(\\S+)`, 'm').exec(runtime);
    assert.ok(m, `${key} missing from the runtime stage`);
    assert.equal(m[1], key === 'UV_THREADPOOL_SIZE' ? '128' : env[key], key);
  }
});

test('bench loader: a missing fio is one line saying how to install it; nothing is installed (no apt-get run)', () => {
  const bin = mkdtempSync(join(tmpdir(), 'zg-nofio-'));
  const marker = join(bin, 'apt-get-ran');
  // A stand-in apt-get first on the PATH: if anything ran it, the marker would exist.
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$@" > ${marker}\n`);
  chmodSync(join(bin, 'apt-get'), 0o755);
  const oldPath = process.env['PATH'];
  process.env['PATH'] = `${bin}:${oldPath ?? ''}`;
  try {
    assert.throws(
      () => ensureFio({ candidates: [], path: bin }),
      (e: unknown) => isMinerError(e, 'BAD_INPUT') && e.message === 'fio is not installed: install it (Debian/Ubuntu: `sudo apt-get install -y fio`), or pass --no-fio'
    );
  } finally {
    process.env['PATH'] = oldPath;
  }
  assert.equal(existsSync(marker), false, 'apt-get was run');
});
