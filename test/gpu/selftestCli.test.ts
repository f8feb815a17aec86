import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, VECTORS_DIR } from '../helpers/cli.js';
import { expectedCpuJudged, expectedSelftestCounts } from '../helpers/vectors.js';
import { gpuGate } from '../helpers/gpu.js';

const gate = await gpuGate();

test('selftest --backend gpu: pora, pora-edge and unseal cases through the WGSL kernels, 0 failed; CPU-decided passes named and counted apart', { skip: gate.skip }, () => {
  const { passed, skipped } = expectedSelftestCounts(VECTORS_DIR);
  const onCpu = expectedCpuJudged(VECTORS_DIR);
  assert.ok(onCpu > 0 && onCpu < passed);
  const r = runCli(['selftest', '--vectors', VECTORS_DIR, '--backend', 'gpu'], { timeoutMs: 300_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), `selftest: ${passed - onCpu} passed on gpu, ${onCpu} passed on the CPU reference, 0 failed, ${skipped} skipped`);
  // Each revert case is named on a line of its own file; no GPU-checked case is.
  const reverts = lines.filter((l) => l.startsWith('on the CPU reference (revert'));
  assert.ok(reverts.length > 0, r.stdout);
  for (const l of reverts) assert.match(l, /^on the CPU reference \(revert: decided by the contract check\): pora-edge-\S+\.json( #\d+)+$/);
  const named = lines.filter((l) => l.startsWith('on the CPU reference')).reduce((n, l) => n + l.split(' #').length - 1, 0);
  assert.equal(named, onCpu);
});

test('bench --backend gpu --json: one JSON object with the CPU keys plus the GPU ones', { skip: gate.skip }, () => {
  const r = runCli(['bench', '--backend', 'gpu', '--seconds', '1', '--range-mib', '16', '--batch', '256', '--json'], { timeoutMs: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(j.backend, 'gpu');
  for (const k of ['threads', 'noncesPerSecond', 'sealHashesPerSecond', 'seconds', 'rangeMiB', 'device', 'node', 'commit', 'adapter', 'batch', 'gpuSeconds'])
    assert.ok(k in j, `missing ${k}`);
  assert.equal(j.batch, 256);
  assert.equal(j.rangeMiB, 16);
  assert.ok(j.noncesPerSecond > 0);
  // Every load is held, so each nonce hashes all 64 seals.
  assert.ok(Math.abs(j.sealHashesPerSecond - 64 * j.noncesPerSecond) <= 64, `${j.sealHashesPerSecond} vs 64 x ${j.noncesPerSecond}`);
});
