/**
 * Lazy command loading (src/cli/commands.ts): a `verify` run must not load the miner's heavy
 * modules. The run is traced with a module-loader hook (test/helpers/importTrace.ts), so the test
 * sees what Node really loaded, not what the source seems to import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT, runCli } from '../helpers/cli.js';

const HOOK = join(REPO_ROOT, 'dist/test/helpers/importTrace.js');

/** Module URLs loaded by `zg-miner ...args` (relative to the repository root where they lie in it). */
function tracedRun(args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const trace = join(mkdtempSync(join(tmpdir(), 'zg-trace-')), 'modules.txt');
  const r = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ZG_IMPORT_TRACE: trace },
    timeout: 60_000,
  });
  const root = new URL(`${REPO_ROOT}/`, 'file:///').href;
  const modules = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((u) => (u.startsWith(root) ? u.slice(root.length) : u));
  return { status: r.status, stdout: r.stdout, modules };
}

/** What a verification never needs: chain, GPU, metrics, config, the miner and its store. */
const HEAVY = [
  /node_modules\/ethers\//,
  /node_modules\/webgpu\//,
  /node_modules\/prom-client\//,
  /node_modules\/smol-toml\//,
  /node_modules\/@foundry-rs\//,
  /^dist\/src\/(chain|gpu|metrics|miner|store|config|devnet|health|ec|erasure|selftest|sync)\//,
  // Of the backends, only the wasm PoRA code the verifier hashes with.
  /^dist\/src\/backend\/(?!wasmPora\.js)/,
  /^dist\/src\/cli\/cmds\/(?!verify\.js)/,
  /^node:(http|worker_threads|net)$/,
];

test('lazy loading: verify loads none of the heavy modules', () => {
  const r = tracedRun(['verify', join(REPO_ROOT, 'examples/answer.json')]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^valid quality=0x/);
  // The hook itself works: the verifier's own modules are in the trace.
  assert.ok(r.modules.includes('dist/src/verify/verifyAnswer.js'), r.modules.join('\n'));
  const heavy = r.modules.filter((m) => HEAVY.some((re) => re.test(m)));
  assert.deepEqual(heavy, [], `verify loaded: ${heavy.join(', ')}`);
});

test('lazy loading: the trace does see a heavy command load its modules (the check can fail)', () => {
  const r = tracedRun(['mine', '--help']);
  assert.equal(r.status, 0);
  assert.ok(r.modules.some((m) => /node_modules\/ethers\//.test(m)), 'mine --help loads ethers through the mine command');
});

test('lazy loading: --help lists every command without loading any of them', () => {
  const r = tracedRun(['--help']);
  assert.equal(r.status, 0);
  for (const name of ['mine', 'devnet', 'import', 'verify', 'selftest', 'bench', 'devices', 'ec']) {
    assert.match(r.stdout, new RegExp(`zg-miner ${name}\\b`), name);
  }
  assert.deepEqual(r.modules.filter((m) => /^dist\/src\/cli\/cmds\/(?!mine\.js)/.test(m)), []);
});

test('lazy loading: strict mode still rejects unknown commands and flags', () => {
  const a = runCli(['verfy', 'x.json']);
  assert.equal(a.status, 1);
  assert.match(a.stderr, /Unknown argument|Did you mean/);
  const b = runCli(['verify', join(REPO_ROOT, 'examples/answer.json'), '--nope']);
  assert.equal(b.status, 1);
  assert.match(b.stderr, /Unknown argument: nope/);
});
