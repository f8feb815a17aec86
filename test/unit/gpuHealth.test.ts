/**
 * GPU health: nvidia-smi's CSV parsed field by field (N/A fields absent, junk lines skipped), the
 * command run through a stand-in on PATH (missing = absent, failing = a reason), the
 * --temperature-limit guard with its hysteresis, and the readings as Prometheus gauges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { formatReading, parseNvidiaSmi, queryGpus, QUERY_FIELDS } from '../../src/health/nvidiaSmi.js';
import { HealthMonitor } from '../../src/health/monitor.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { FAKE_SMI_DIR, fakeNvidiaSmi, smiLine } from '../helpers/fakeNvidiaSmi.js';
import { runCli } from '../helpers/cli.js';

const H200 = '0, NVIDIA H200, 00000000:19:00.0, GPU-3f1b2c4d-aaaa-bbbb-cccc-0123456789ab, 41, 118.72, 700.00, [N/A], 1980, 3201, 0, 143771, 0';

test('parseNvidiaSmi reads every field; [N/A] and [Not Supported] are null; junk lines are skipped', () => {
  const text = [
    H200,
    '1, NVIDIA GeForce RTX 4090, 00000000:65:00.0, GPU-x, 67, 402.11, 450.00, 63, 2730, 10501, 20011, 24564, 99',
    'No devices were found',
    '2, NVIDIA A100, 00000000:81:00.0, GPU-y, [Not Supported], [N/A], [N/A], [N/A], 1410, 1215, 5, 81920, [N/A]',
    '',
  ].join('\n');
  const g = parseNvidiaSmi(text);
  assert.equal(g.length, 3);
  assert.deepEqual(g[0], {
    index: 0, name: 'NVIDIA H200', pciBusId: '00000000:19:00.0', uuid: 'GPU-3f1b2c4d-aaaa-bbbb-cccc-0123456789ab',
    temperatureC: 41, powerW: 118.72, powerLimitW: 700, fanPercent: null, smClockMHz: 1980, memClockMHz: 3201,
    memoryUsedMiB: 0, memoryTotalMiB: 143771, utilizationPercent: 0,
  });
  assert.equal(g[1]!.fanPercent, 63);
  assert.equal(g[2]!.temperatureC, null);
  assert.equal(g[2]!.powerW, null);
  assert.equal(formatReading(g[0]!), '41°C 119/700 W 1980/3201 MHz 0.0/140.4 GiB');
  assert.equal(formatReading(g[1]!), '67°C 402/450 W fan 63% 2730/10501 MHz 19.5/24.0 GiB');
  assert.equal(parseNvidiaSmi(smiLine({})).length, 1, 'the fixture line has every field');
});

test('queryGpus: readings through the stand-in, the query it asks for, -i, missing and failing commands', async () => {
  const smi = fakeNvidiaSmi([{ index: 0, temp: 50 }, { index: 1, temp: 61 }]);
  try {
    const cmd = join(FAKE_SMI_DIR, 'nvidia-smi');
    // The stand-in reads its files from the environment: run it with the test's.
    Object.assign(process.env, { FAKE_NVIDIA_SMI_CSV: smi.env['FAKE_NVIDIA_SMI_CSV'], FAKE_NVIDIA_SMI_ARGS: smi.env['FAKE_NVIDIA_SMI_ARGS'] });
    const r = await queryGpus({ command: cmd, ids: '1' });
    assert.ok(r.ok);
    assert.deepEqual(r.gpus.map((g) => g.temperatureC), [50, 61]);
    assert.deepEqual(smi.calls(), [`--query-gpu=${QUERY_FIELDS.join(',')} --format=csv,noheader,nounits -i 1`]);

    const missing = await queryGpus({ command: join(FAKE_SMI_DIR, 'no-such-nvidia-smi') });
    assert.deepEqual(missing, { ok: false, missing: true, error: 'nvidia-smi not found' });

    process.env['FAKE_NVIDIA_SMI_FAIL'] = '1';
    const failed = await queryGpus({ command: cmd });
    assert.equal(failed.ok, false);
    assert.ok(!failed.ok && !failed.missing && /couldn't communicate with the NVIDIA driver/.test(failed.error), JSON.stringify(failed));
  } finally {
    delete process.env['FAKE_NVIDIA_SMI_FAIL'];
    delete process.env['FAKE_NVIDIA_SMI_CSV'];
    delete process.env['FAKE_NVIDIA_SMI_ARGS'];
    smi.cleanup();
  }
});

test('--temperature-limit: pauses above the limit, stays paused until the resume temperature, then resumes', async () => {
  const smi = fakeNvidiaSmi([{ temp: 70 }]);
  const warns: string[] = [];
  const log = { info: () => {}, warn: (l: string) => warns.push(l) };
  Object.assign(process.env, { FAKE_NVIDIA_SMI_CSV: smi.env['FAKE_NVIDIA_SMI_CSV'] });
  try {
    const m = new HealthMonitor({ command: join(FAKE_SMI_DIR, 'nvidia-smi'), temperatureLimit: 80, log });
    assert.equal(m.resumeAt, 75);
    const step = async (temps: (number | '[N/A]')[]): Promise<string | null> => {
      smi.set(temps.map((temp, index) => ({ index, temp })));
      await m.poll();
      return m.pauseReason();
    };
    assert.equal(await step([70]), null);
    assert.equal(await step([80]), null, 'at the limit is not above it');
    assert.match((await step([81]))!, /GPU 0 at 81°C is above --temperature-limit 80°C \(resumes at 75°C\)/);
    assert.match((await step([77]))!, /at 77°C/, 'between resume and limit: still paused');
    assert.match((await step(['[N/A]']))!, /at 77°C/, 'no temperature reading changes nothing');
    assert.equal(await step([75]), null, 'resumes at the resume temperature');
    assert.equal(await step([78]), null, 'below the limit again: keeps mining');
    assert.match((await step([60, 85]))!, /GPU 1 at 85°C/, 'the hottest watched GPU decides');
    assert.match(m.line()!, /^GPU 0 60°C 123\/700 W 1980\/3201 MHz 20\.0\/140\.4 GiB \| GPU 1 85°C/);
    smi.fail(true);
    process.env['FAKE_NVIDIA_SMI_FAIL'] = '1';
    await m.poll();
    await m.poll();
    assert.equal(warns.filter((w) => /couldn't communicate/.test(w)).length, 1, 'a failing nvidia-smi is said once');
    assert.match(m.pauseReason()!, /GPU 1 at 85°C/, 'a failed poll keeps the last state');
    assert.throws(() => new HealthMonitor({ temperatureLimit: 80, temperatureResume: 80, log }), /below the temperature limit/);
  } finally {
    delete process.env['FAKE_NVIDIA_SMI_FAIL'];
    delete process.env['FAKE_NVIDIA_SMI_CSV'];
    smi.cleanup();
  }
});

test('without nvidia-smi the monitor is absent, never an error', async () => {
  const lines: string[] = [];
  const log = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) };
  const m = new HealthMonitor({ command: '/nonexistent/nvidia-smi', temperatureLimit: 80, log });
  await m.start();
  assert.equal(m.unavailable, true);
  assert.deepEqual(m.gpus, []);
  assert.equal(m.pauseReason(), null);
  assert.equal(m.line(), null);
  assert.deepEqual(lines, []);
  m.stop();
});

test('GPU readings become gauges; a GPU that disappears and N/A fields are dropped', async () => {
  const metrics = createMetrics({ version: '0', backend: 'gpu', adapter: 'x', processMetrics: false });
  const [g0] = parseNvidiaSmi(H200);
  const [g1] = parseNvidiaSmi(smiLine({ index: 1, temp: 66, fan: 40 }));
  metrics.setGpuHealth([g0!, g1!]);
  let text = await metrics.scrape();
  const labels0 = 'gpu="0",name="NVIDIA H200",bus_id="00000000:19:00.0"';
  assert.match(text, new RegExp(`zg_miner_gpu_temperature_celsius\\{${labels0}\\} 41\\n`));
  assert.match(text, new RegExp(`zg_miner_gpu_power_watts\\{${labels0}\\} 118.72\\n`));
  assert.match(text, new RegExp(`zg_miner_gpu_power_limit_watts\\{${labels0}\\} 700\\n`));
  assert.match(text, new RegExp(`zg_miner_gpu_clock_hertz\\{${labels0},clock="sm"\\} 1980000000\\n`));
  assert.match(text, new RegExp(`zg_miner_gpu_memory_total_bytes\\{${labels0}\\} ${143771 * 1024 * 1024}\\n`));
  assert.doesNotMatch(text, /zg_miner_gpu_fan_ratio\{gpu="0"/, 'the H200 has no fan reading');
  assert.match(text, /zg_miner_gpu_fan_ratio\{gpu="1",[^}]*\} 0.4\n/);
  metrics.setGpuHealth([g0!]);
  text = await metrics.scrape();
  assert.doesNotMatch(text, /gpu="1"/, 'a GPU no longer reported has no stale values');
});

test('zg-miner devices shows each nvidia-smi GPU with PCI bus id and memory; without nvidia-smi, nothing and no error', () => {
  const smi = fakeNvidiaSmi([{ index: 0, temp: 52, bus: '00000000:19:00.0' }]);
  try {
    const env = smi.env;
    const json = runCli(['devices', '--json'], { env });
    const parsed = JSON.parse(json.stdout) as { adapters: unknown[]; nvidiaSmi: { pciBusId: string; memoryTotalMiB: number; temperatureC: number }[] | null };
    assert.deepEqual(parsed.nvidiaSmi!.map((g) => [g.pciBusId, g.memoryTotalMiB, g.temperatureC]), [['00000000:19:00.0', 143771, 52]]);
    const text = runCli(['devices'], { env });
    assert.match(text.stdout, /nvidia-smi gpu 0: NVIDIA H200 \(test fixture\)\n  pci bus id: 00000000:19:00\.0\n  memory: 140\.4 GiB\n  now: 52°C 123\/700 W/);
    const none = runCli(['devices', '--json'], { env: { PATH: '/nonexistent' } });
    assert.equal((JSON.parse(none.stdout) as { nvidiaSmi: unknown }).nvidiaSmi, null);
    assert.doesNotMatch(none.stderr, /nvidia-smi/);
  } finally {
    smi.cleanup();
  }
});
