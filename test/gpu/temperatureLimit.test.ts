/**
 * --temperature-limit end to end: a devnet mining on the GPU backend (CI: the software GPU) with
 * the stand-in nvidia-smi reporting a card above the limit holds the search (no nonces, /status
 * says why, the metrics carry the temperature); once the stand-in reports a cool card the search
 * resumes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpuGate } from '../helpers/gpu.js';
import { CLI } from '../helpers/cli.js';
import { fakeNvidiaSmi } from '../helpers/fakeNvidiaSmi.js';

const gate = await gpuGate();
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Status { mining: boolean; pauseReason: string | null; totals: { nonces: number }; job: object | null; gpus: { temperatureC: number }[] | null }

test('--temperature-limit holds the GPU search while the card is hot and resumes when it cools', { skip: gate.skip, timeout: 400_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-templimit-'));
  const smi = fakeNvidiaSmi([{ temp: 91 }]);
  const info = join(dir, 'info.json');
  const child = spawn(
    process.execPath,
    [CLI, 'devnet', '--backend', 'gpu', '--batch', '64', '--files', '2', '--info-file', info, '--timeout', '380', '--temperature-limit', '80'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...smi.env } }
  );
  children.add(child);
  const out: string[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => out.push(b.toString()));
  const tail = (): string => out.join('').split('\n').slice(-15).join('\n');
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const status = async (base: string): Promise<Status> => (await (await fetch(`${base}status`)).json()) as Status;
  try {
    for (const t0 = Date.now(); !existsSync(info); await new Promise((r) => setTimeout(r, 250)))
      assert.ok(Date.now() - t0 < 240_000 && child.exitCode === null, `devnet did not start:\n${tail()}`);
    const base = (JSON.parse(readFileSync(info, 'utf8')) as { dashboard: string }).dashboard;

    // Wait for a mining job: the only thing holding the search is then the temperature.
    let st = await status(base);
    for (const t0 = Date.now(); st.job === null; st = await status(base)) {
      assert.ok(Date.now() - t0 < 120_000, `no mining job:\n${tail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 3000));
    st = await status(base);
    assert.equal(st.totals.nonces, 0, 'no nonce searched while the GPU is above the limit');
    assert.equal(st.mining, false);
    assert.match(st.pauseReason ?? '', /GPU 0 at 91°C is above --temperature-limit 80°C \(resumes at 75°C\)/);
    assert.equal(st.gpus![0]!.temperatureC, 91);
    assert.match(await (await fetch(`${base}metrics`)).text(), /zg_miner_gpu_temperature_celsius\{gpu="0",[^}]*\} 91\n/);
    assert.match(out.join(''), /WARN search paused: GPU 0 at 91°C/);

    smi.set([{ temp: 74 }]);
    for (const t0 = Date.now(); st.totals.nonces === 0; st = await status(base)) {
      assert.ok(Date.now() - t0 < 60_000, `search did not resume:\n${tail()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(out.join(''), /search resumed \(GPU 0 at 91°C/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, tail());
  } finally {
    child.kill('SIGKILL');
    smi.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
