/**
 * Faults while mining, against the real contracts on anvil (issue 9 item 2): the mining service of
 * `zg-miner mine` with an injected backend that fails mid-run.
 * - a GPU lost while mining: mining goes on on the CPU (accepted answers after the loss), one log
 *   line, zg_miner_info names the CPU backend;
 * - a fatal loop error: the miner stops by itself and `runUntilStopped` (the mine command's wait)
 *   throws MINING_STOPPED, so the process exits non-zero (it exited 0);
 * - raw data damaged on disk (issue 9 item 6): the scrub forgets the load (not resealed from the
 *   damaged bytes), the follower asks for its transaction again, and the imported file brings it back.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestChain, advanceEpoch, writeMinerConfig, type TestChain } from '../helpers/chain.js';
import { alive, killAll, startCli } from '../helpers/cliProcess.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { FlowFollower } from '../../src/miner/flowFollower.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { bindMinerChain } from '../../src/chain/minerChain.js';
import { DirDataSource } from '../../src/miner/dataSource.js';
import { loadConfig } from '../../src/config/config.js';
import { runUntilStopped, startMiningService } from '../../src/cli/cmds/mine.js';
import { createFailoverBackend } from '../../src/backend/failover.js';
import { createCpuBackend } from '../../src/backend/cpuBackend.js';
import { MinerError, isMinerError } from '../../src/errors.js';
import type { PoraBackend } from '../../src/backend/backend.js';
import type { Logger } from '../../src/log/logger.js';
import { log as processLog } from '../../src/log/logger.js';

let chain: TestChain;
let dir: string;
const files: { txSeq: bigint; startPos: bigint; data: Uint8Array }[] = [];

before(async () => {
  chain = await startTestChain();
  dir = mkdtempSync(join(tmpdir(), 'zg-faults-e2e-'));
  for (let i = 0; i < 3; i++) {
    const data = randomBytes(262144);
    const sub = await chain.uploadLoad(data);
    files.push({ txSeq: sub.txSeq, startPos: sub.startPos, data });
  }
  await advanceEpoch(chain);
}, { timeout: 120_000 });

after(async () => {
  killAll();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A config whose data dir holds the uploaded files (as `zg-miner import` leaves them). */
async function config(dataDir: string) {
  const source = new DirDataSource(join(dataDir, 'files'));
  for (const f of files) await source.put(f.txSeq, f.data);
  const d = chain.deployment;
  return loadConfig({
    overrides: {
      rpcEndpoint: chain.anvil.rpcUrl,
      logContractAddress: d.flow,
      mineContractAddress: d.mine,
      rewardContractAddress: d.reward,
      minerKey: chain.minerKey,
      dataDir,
      mineContextQuerySeconds: 1,
      mineIterBatchSize: 32,
    },
  });
}

/** The process logger's interface, recording lines (warnings also kept for the dashboard list). */
function recordingLog(lines: string[]): Logger {
  const keep = (l: string): void => {
    lines.push(l);
    if (process.env.ZG_DEBUG) process.stderr.write(`# ${l}\n`);
  };
  return new Proxy(processLog, {
    get(target, prop, recv) {
      if (prop === 'info' || prop === 'warn') return keep;
      if (prop === 'debug') return () => {};
      if (prop === 'repeated') return (_w: string, _y: string, d: string) => keep(d);
      // /status reads the logger's recent warnings, a private field: it must run on the logger itself.
      if (prop === 'recentWarnings') return () => target.recentWarnings();
      return Reflect.get(target, prop, recv) as unknown;
    },
  });
}

/** A "GPU" (the CPU backend under a GPU label) whose device is lost from search call `lostAt` on. */
async function flakyGpu(lostAt: number, error: () => Error): Promise<PoraBackend & { searches: number }> {
  const inner = await createCpuBackend({ threads: 1 });
  let searches = 0;
  return {
    info: { kind: 'gpu', device: 'fake GPU', threads: 1 },
    get searches() {
      return searches;
    },
    search: async (...a) => {
      searches++;
      if (searches >= lostAt) throw error();
      return inner.search(...a);
    },
    evaluate: (i) => inner.evaluate(i),
    seal: (i, m) => inner.seal(i, m),
    dispose: () => inner.dispose(),
  };
}

test('mine: a GPU lost mid-run does not end mining: CPU answers are accepted, one log line, zg_miner_info says cpu', { timeout: 180_000 }, async () => {
  const lines: string[] = [];
  const gpu = await flakyGpu(5, () => new MinerError('GPU_DEVICE_LOST', 'GPU device lost: injected'));
  let acceptedAfterLoss = 0;
  const service = await startMiningService({
    config: await config(join(dir, 'lost')),
    backend: 'gpu',
    metricsAddress: '127.0.0.1:0',
    flowStartBlock: chain.deployment.flowDeployBlock,
    syncSeconds: 1,
    log: recordingLog(lines),
    openBackend: async (o) =>
      createFailoverBackend({
        primary: gpu,
        reopenPrimary: async () => {
          throw new MinerError('GPU_UNAVAILABLE', 'still lost');
        },
        openFallback: () => createCpuBackend({ threads: 1 }),
        log: o.events,
        ...(o.onSwitch ? { onSwitch: o.onSwitch } : {}),
      }),
    onSubmission: (o) => {
      if (o.result === 'accepted' && gpu.searches >= 5) acceptedAfterLoss++;
    },
  });
  try {
    const t0 = Date.now();
    while (acceptedAfterLoss < 1 && service.miner.failure === null && Date.now() - t0 < 150_000) await new Promise((r) => setTimeout(r, 200));
    assert.equal(service.miner.failure, null, String(service.miner.failure));
    assert.ok(acceptedAfterLoss >= 1, `no accepted answer after the loss:\n${lines.slice(-20).join('\n')}`);
    assert.equal(lines.filter((l) => /GPU lost/.test(l)).length, 1, lines.join('\n'));
    const metrics = await (await fetch(service.metricsUrl)).text();
    assert.match(metrics, /^zg_miner_info\{version="[^"]+",backend="cpu",adapter="[^"]+"\} 1$/m);
    assert.doesNotMatch(metrics, /zg_miner_info\{[^}]*backend="gpu"/);
  } finally {
    await service.stop();
  }
});

test('mine: a fatal loop error stops the miner and the mine command exits non-zero (MINING_STOPPED)', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const service = await startMiningService({
    config: await config(join(dir, 'fatal')),
    backend: 'cpu',
    metricsAddress: '127.0.0.1:0',
    flowStartBlock: chain.deployment.flowDeployBlock,
    syncSeconds: 1,
    log: recordingLog(lines),
    openBackend: async () => flakyGpu(1, () => new Error('worker crashed')),
  });
  const err = await runUntilStopped(service, recordingLog(lines)).then(
    () => null,
    (e: unknown) => e
  );
  assert.ok(isMinerError(err, 'MINING_STOPPED'), String(err));
  assert.match((err as Error).message, /^mining stopped: the search loop failed: worker crashed$/);
});

test('mine: a search that hangs (ignoring its abort) is logged and restarted by the watchdog, and mining goes on', { timeout: 180_000 }, async () => {
  const lines: string[] = [];
  const inner = await createCpuBackend({ threads: 1 });
  let searches = 0;
  let acceptedAfterStall = 0;
  const hanging: PoraBackend = {
    info: inner.info,
    search: (...a) => (++searches === 3 ? new Promise(() => {}) : inner.search(...a)),
    evaluate: (i) => inner.evaluate(i),
    seal: (i, m) => inner.seal(i, m),
    dispose: () => inner.dispose(),
  };
  const service = await startMiningService({
    config: await config(join(dir, 'stall')),
    backend: 'cpu',
    metricsAddress: '127.0.0.1:0',
    flowStartBlock: chain.deployment.flowDeployBlock,
    syncSeconds: 1,
    stallSeconds: 2,
    log: recordingLog(lines),
    openBackend: async () => hanging,
    onSubmission: (o) => {
      if (o.result === 'accepted' && searches > 3) acceptedAfterStall++;
    },
  });
  try {
    const t0 = Date.now();
    while (acceptedAfterStall < 1 && service.miner.failure === null && Date.now() - t0 < 150_000) await new Promise((r) => setTimeout(r, 200));
    assert.equal(service.miner.failure, null);
    assert.ok(acceptedAfterStall >= 1, `no accepted answer after the stall:\n${lines.slice(-20).join('\n')}`);
    assert.equal(lines.filter((l) => /^watchdog: search made no progress for [23] s; restarting it \(restart 1\)$/.test(l)).length, 1, lines.join('\n'));
    const metrics = await (await fetch(service.metricsUrl)).text();
    assert.match(metrics, /^zg_miner_watchdog_restarts_total\{part="search"\} 1$/m);
  } finally {
    await service.stop();
  }
});

test('mine runs with the loader environment the benchmarks measured (128 pool threads, malloc thresholds), stops on SIGINT with 0', { timeout: 120_000 }, async () => {
  const data = join(dir, 'env');
  const cfg = join(dir, 'env.toml');
  writeMinerConfig(cfg, chain, data);
  const env = { ...process.env };
  for (const k of ['UV_THREADPOOL_SIZE', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']) delete env[k];
  const run = startCli(['mine', '--config', cfg, '--backend', 'cpu', '--threads', '1', '--metrics-address', '127.0.0.1:0', '--rpc-address', '127.0.0.1:0'], { env });
  const line = await run.waitFor(/store reads: /, 45_000);
  assert.match(line, /store reads: 128 libuv pool threads, malloc thresholds raised$/);
  await run.waitFor(/dashboard on/, 45_000);
  // A SIGINT to the launcher's pid alone (as a supervisor sends it) reaches the miner.
  run.child.kill('SIGINT');
  const { code } = await run.exit;
  assert.equal(code, 0, run.lines.slice(-5).join('\n'));
});

test('mine: when its launcher is killed (kill -9), the re-executed miner dies too (none left running unseen)', { timeout: 120_000 }, async () => {
  const data = join(dir, 'env9');
  const cfg = join(dir, 'env9.toml');
  writeMinerConfig(cfg, chain, data);
  const env = { ...process.env };
  delete env['MALLOC_MMAP_THRESHOLD_'];
  const run = startCli(['mine', '--config', cfg, '--backend', 'cpu', '--threads', '1', '--metrics-address', '127.0.0.1:0', '--rpc-address', '127.0.0.1:0'], { env });
  await run.waitFor(/dashboard on/, 45_000);
  const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(run.child.pid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  assert.equal(kids.length, 1, `children of the launcher: ${kids.join(',')}`);
  run.child.kill('SIGKILL');
  await run.exit;
  const t0 = Date.now();
  while (alive(kids[0]!) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
  assert.equal(alive(kids[0]!), false, `the miner (pid ${kids[0]}) outlived its launcher`);
});

test('flow follower: a garbled follower.json is rebuilt from the chain with one warning (it stopped following for good)', { timeout: 60_000 }, async () => {
  const data = join(dir, 'garbled');
  mkdirSync(data, { recursive: true });
  const stateFile = join(data, 'follower.json');
  writeFileSync(stateFile, '{"nextBlock": 12, "flowEnd": "40\u0000\u0000');
  const store = await SealedStore.open(join(data, 'store'), { minerId: new Uint8Array(32).fill(9) });
  const warns: string[] = [];
  const follower = new FlowFollower({
    chain: bindMinerChain(chain.client),
    store,
    flowTree: store.flowTree,
    source: new DirDataSource(join(data, 'files')),
    stateFile,
    fromBlock: chain.deployment.flowDeployBlock,
    log: { info: () => {}, warn: (l) => warns.push(l) },
  });
  try {
    await follower.poll();
    await follower.poll();
    assert.equal(warns.filter((l) => /follower\.json is damaged: rebuilding the follower state from the chain/.test(l)).length, 1, warns.join('\n'));
    assert.equal(follower.flowEnd, 4096n, 'the three uploads after the placeholder load were read again');
    assert.equal(follower.pendingCount, 3, 'their data is awaited again');
    assert.doesNotThrow(() => JSON.parse(readFileSync(stateFile, 'utf8')), 'a good state file was written');
  } finally {
    await store.close();
  }
});

test('mine: a load whose raw data is damaged is forgotten by the scrub (one warning naming its tx), not mined or sealed; the imported file brings it back and it is sealed again', { timeout: 180_000 }, async () => {
  const data = join(dir, 'forget');
  const lines: string[] = [];
  const service = await startMiningService({
    config: await config(data),
    backend: 'cpu',
    threads: 1,
    metricsAddress: '127.0.0.1:0',
    flowStartBlock: chain.deployment.flowDeployBlock,
    syncSeconds: 1,
    log: recordingLog(lines),
  });
  const base = service.metricsUrl.replace(/\/metrics$/, '');
  const store = async (): Promise<{ sealedLoads: string; completeLoads: string; forgottenLoads: string }> =>
    (JSON.parse(await statusText(base)) as { store: { sealedLoads: string; completeLoads: string; forgottenLoads: string } }).store;
  const until = async (what: string, ok: () => Promise<boolean> | boolean): Promise<void> => {
    for (const t0 = Date.now(); !(await ok()); await new Promise((r) => setTimeout(r, 200)))
      if (Date.now() - t0 > 60_000) assert.fail(`${what} did not happen:\n${lines.slice(-30).join('\n')}`);
  };
  try {
    // The placeholder load and the three uploads, all sealed.
    await until('sealing every load', async () => (await store()).sealedLoads === '4');
    const f = files[1]!;
    const L = f.startPos / 1024n;
    const fd = openSync(join(data, 'store', 'raw.bin'), 'r+');
    writeSync(fd, new Uint8Array([0x5a, 0xa5]), 0, 2, Number(L) * 262144 + 12345);
    closeSync(fd);
    await until('forgetting the damaged load', async () => (await store()).forgottenLoads === '1');
    const warned = lines.filter((l) => l.startsWith(`store: load ${L}:`));
    assert.deepEqual(warned, [`store: load ${L}: its raw data does not hash to the flow's load root; its data is in tx ${f.txSeq} (forgotten: not served, sealed or mined until the data comes back: zg-miner import --tx ${f.txSeq} FILE, or a peer)`]);
    const s = await store();
    assert.equal(s.completeLoads, '3');
    assert.equal(s.sealedLoads, '3', 'its seals are retracted and the damaged bytes are not sealed again');
    assert.match(await (await fetch(service.metricsUrl)).text(), /^zg_miner_store_forgotten_loads 1$/m);
    await until('the follower asking for the tx again', () => lines.some((l) => l.startsWith(`tx ${f.txSeq}: its data in load ${L} was forgotten`)));
    // What `zg-miner import --tx` does: the file goes into the data dir, where the follower finds it.
    await new DirDataSource(join(data, 'files')).put(f.txSeq, f.data);
    await until('sealing the load again', async () => (await store()).sealedLoads === '4');
    assert.equal((await store()).forgottenLoads, '0');
    assert.match(await (await fetch(service.metricsUrl)).text(), /^zg_miner_store_damaged_loads_total\{kind="raw"\} 1$/m);
    assert.equal(service.miner.failure, null);
  } finally {
    await service.stop();
  }
});

async function statusText(base: string): Promise<string> {
  const r = await fetch(`${base}/status`);
  const t = await r.text();
  if (r.status !== 200 || !t.startsWith('{')) throw new Error(`/status ${r.status}: ${t}`);
  return t;
}
