/**
 * An answer the WGSL search found is submitted to the real contracts and accepted: `zg-miner devnet
 * --backend gpu` on whatever adapter exists (lavapipe in CI), seal check and data proof on. The
 * other chain tests mine on the CPU; this one proves the GPU path end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { gpuGate } from '../helpers/gpu.js';

const gate = await gpuGate();

test('devnet --backend gpu: a GPU-found answer is accepted on chain', { skip: gate.skip, timeout: 330_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-gpu-devnet-'));
  try {
    const info = join(dir, 'info.json');
    // Two files keep GPU sealing short on a software adapter; devnet's own --timeout stops anvil
    // and exits 1 before the spawn timeout would kill it.
    const r = runCli(['devnet', '--backend', 'gpu', '--exit-after-submissions', '1', '--timeout', '270', '--files', '2', '--info-file', info], {
      timeoutMs: 320_000,
    });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out.split('\n').slice(-25).join('\n'));
    assert.match(out, /backend gpu: /, 'the miner ran on the GPU backend');
    assert.doesNotMatch(out, /backend cpu: /);
    assert.match(out, /answer epoch \d+ recallPosition \d+ sealOffset \d+: accepted/);
    assert.equal((JSON.parse(readFileSync(info, 'utf8')) as { chainId: number }).chainId, 31337);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
