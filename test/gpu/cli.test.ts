import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { gpuGate } from '../helpers/gpu.js';
import { hardwareAdapters } from '../../src/gpu/device.js';
import { stderrCaptureAvailable } from '../../src/log/stderrCapture.js';

const gate = await gpuGate();
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BENCH_SEAL = new URL('../../src/cli/cmds/benchSeal.js', import.meta.url).href;

describe('GPU CLI commands', { skip: gate.skip }, () => {
  test('zg-miner devices --json lists an adapter with backend, limits and features', () => {
    const r = spawnSync(process.execPath, [MAIN, 'devices', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const list = (JSON.parse(r.stdout) as { adapters: { backend: string; limits: Record<string, number>; features: string[] }[] }).adapters;
    assert.ok(list.length >= 1);
    assert.ok(['vulkan', 'opengl'].includes(list[0]!.backend));
    assert.ok(list[0]!.limits['maxStorageBufferBindingSize']! >= 128 << 20);
    assert.ok(Array.isArray(list[0]!.features));
  });

  test('Dawn\'s stderr warnings stay out of normal output and show at --log-level debug', { skip: stderrCaptureAvailable() ? false : 'zg_stdio addon not built (npm run build:native)' }, () => {
    const plain = spawnSync(process.execPath, [MAIN, 'devices'], { encoding: 'utf8' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr + plain.stdout, /maxDynamic|Warning:/, 'no Dawn notice in normal output');
    const debug = spawnSync(process.execPath, [MAIN, 'devices', '--log-level', 'debug'], { encoding: 'utf8' });
    assert.equal(debug.status, 0, debug.stderr);
    // Dawn clamps these limits on every adapter it opens (Vulkan and OpenGL alike).
    assert.match(debug.stdout, /DEBUG native: Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced/);
    assert.doesNotMatch(debug.stderr, /maxDynamic/);
    const json = spawnSync(process.execPath, [MAIN, 'devices', '--json', '--log-level', 'debug'], { encoding: 'utf8' });
    assert.ok(JSON.parse(json.stdout), 'with --json the debug lines leave stdout to the JSON');
    assert.match(json.stderr, /DEBUG native: Warning: maxDynamic/);
  });

  test('bench seal with auto never times a software GPU', async () => {
    const { hardware } = await hardwareAdapters();
    const r = spawnSync(process.execPath, [MAIN, 'bench', 'seal', '--seconds', '0.2', '--seals', '64', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { backend: string; device: string };
    // CI's lavapipe is a software adapter: auto must fall back to the CPU there.
    assert.equal(out.backend, hardware.length > 0 ? 'gpu' : 'cpu', JSON.stringify(out));
  });

  test('--list-devices is the devices command', () => {
    const r = spawnSync(process.execPath, [MAIN, '--list-devices', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { adapters: unknown[] }).adapters.length >= 1);
  });

  test('bench seal --backend gpu --json reports sealBytesPerSecond', () => {
    // The lead mounts the command under `bench`; here its handler runs in a child process (the
    // test runner owns this process's stdout).
    const args = JSON.stringify({ backend: 'gpu', seconds: 0.2, seals: 64, json: true });
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(BENCH_SEAL)}); await m.benchSealCommand.handler(${args});`], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { backend: string; sealBytesPerSecond: number; hostSealBytesPerSecond: number };
    assert.equal(out.backend, 'gpu');
    assert.ok(out.sealBytesPerSecond > 0 && out.hostSealBytesPerSecond > 0);
  });
});
