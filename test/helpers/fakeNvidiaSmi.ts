/** The stand-in nvidia-smi of test/fixtures/nvidia-smi: readings a test sets and changes. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from './cli.js';

export const FAKE_SMI_DIR = join(REPO_ROOT, 'test/fixtures/nvidia-smi');

export interface FakeGpu {
  index?: number;
  name?: string;
  bus?: string;
  temp?: number | '[N/A]';
  power?: number | '[N/A]';
  fan?: number | '[N/A]';
}

/** One CSV line in QUERY_FIELDS order, as nvidia-smi prints it with nounits. */
export function smiLine(g: FakeGpu): string {
  const i = g.index ?? 0;
  return [
    i,
    g.name ?? 'NVIDIA H200 (test fixture)',
    g.bus ?? `00000000:0${i + 1}:00.0`,
    `GPU-0000000${i}-1111-2222-3333-444444444444`,
    g.temp ?? 45,
    g.power ?? 123.45,
    '700.00',
    g.fan ?? '[N/A]',
    1980,
    3201,
    20480,
    143771,
    97,
  ].join(', ');
}

export interface FakeSmi {
  /** Environment for a child (or this process): the fixture first on PATH, and its files. */
  env: NodeJS.ProcessEnv;
  set(gpus: FakeGpu[]): void;
  fail(on: boolean): void;
  /** Arguments of each call so far. */
  calls(): string[];
  cleanup(): void;
}

export function fakeNvidiaSmi(gpus: FakeGpu[] = [{}]): FakeSmi {
  const dir = mkdtempSync(join(tmpdir(), 'zg-fake-smi-'));
  const csv = join(dir, 'gpus.csv');
  const args = join(dir, 'args');
  const env: NodeJS.ProcessEnv = {
    PATH: `${FAKE_SMI_DIR}${delimiter}${process.env['PATH'] ?? ''}`,
    FAKE_NVIDIA_SMI_CSV: csv,
    FAKE_NVIDIA_SMI_ARGS: args,
  };
  const set = (g: FakeGpu[]): void => writeFileSync(csv, g.map(smiLine).join('\n') + '\n');
  set(gpus);
  return {
    env,
    set,
    fail(on) {
      if (on) env['FAKE_NVIDIA_SMI_FAIL'] = '1';
      else delete env['FAKE_NVIDIA_SMI_FAIL'];
    },
    calls: () => (existsSync(args) ? readFileSync(args, 'utf8').split('\n').filter((l) => l) : []),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
