/**
 * The CLI end to end on anvil with the real contracts (seal check and data proof on):
 * `zg-miner devnet --exit-after-submissions 1` exits 0 with its info file; `zg-miner mine`
 * gets accepted answers, stops cleanly on SIGINT and resumes without resealing; a `kill -9`
 * while sealing loses and corrupts nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestChain, writeMinerConfig, type TestChain } from '../helpers/chain.js';
import { killAll, startCli, type CliProcess } from '../helpers/cliProcess.js';
import { loaderEnv } from '../../src/store/threadpool.js';
import { DirDataSource } from '../../src/miner/dataSource.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { unseal } from '../../src/core/seal.js';
import { equalBytes, fromHex } from '../../src/bytes.js';

const runCli = (args: string[]): CliProcess => startCli(args);

const sealedLoads = (lines: string[]): bigint[] =>
  lines.flatMap((l) => {
    const m = /sealed (\d+) seal\(s\) of load (\d+)/.exec(l);
    return m ? [BigInt(m[2]!)] : [];
  });

test('zg-miner devnet --exit-after-submissions 1 exits 0 and writes its info file', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-devnet-test-'));
  try {
    const info = join(dir, 'info.json');
    const run = runCli(['devnet', '--exit-after-submissions', '1', '--timeout', '240', '--info-file', info, '--files', '3']);
    const { code } = await run.exit;
    assert.equal(code, 0, run.lines.slice(-20).join('\n'));
    assert.ok(run.lines.some((l) => /answer .*: accepted/.test(l)));
    const j = JSON.parse(readFileSync(info, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j).sort(), ['chainId', 'chainRpc', 'dashboard', 'flow', 'flowDeployBlock', 'market', 'metrics', 'mine', 'minerId', 'reward', 'zgsRpc']);
    assert.equal(j['chainId'], 31337);
    assert.match(String(j['minerId']), /^0x[0-9a-f]{64}$/);
    assert.match(String(j['metrics']), /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // The anvil child is gone with the devnet.
    const port = Number(new URL(String(j['chainRpc'])).port);
    await assert.rejects(fetch(`http://127.0.0.1:${port}`, { method: 'POST', body: '{}' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

let chain: TestChain;
let stopDriver: () => Promise<void>;
const files = new Map<bigint, Uint8Array>();
const LOADS = 10;

before(async () => {
  chain = await startTestChain();
  for (let i = 0; i < LOADS; i++) {
    const data = new Uint8Array(randomBytes(262144));
    const sub = await chain.uploadLoad(data);
    files.set(sub.startPos / 1024n, data);
  }
  stopDriver = chain.dev.startBlockDriver(150, () => {});
}, { timeout: 120_000 });

after(async () => {
  killAll();
  await stopDriver?.();
  await chain?.stop();
});

function prepareDataDir(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zg-mine-test-'));
  const dataDir = join(dir, 'data');
  const config = join(dir, 'config.toml');
  writeMinerConfig(config, chain, dataDir);
  return { dir, config };
}

async function putFiles(dataDir: string): Promise<void> {
  const src = new DirDataSource(join(dataDir, 'files'));
  for (const [load, data] of files) await src.put(load - 1n, data); // tx i sits at load i+1
}

test('mine: accepted answers, clean SIGINT stop, restart resumes without resealing', { timeout: 300_000 }, async () => {
  const { dir, config } = prepareDataDir();
  try {
    await putFiles(join(dir, 'data'));
    // debug: the per-load "sealed … of load L" lines (info shows one summary line per 30 s).
    const args = ['mine', '--config', config, '--metrics-address', '127.0.0.1:0', '--rpc-address', '127.0.0.1:0', '--backend', 'cpu', '--log-level', 'debug'];
    const first = runCli(args);
    await first.waitFor(/answer .*: accepted/, 150_000);
    // Mining starts as soon as the first loads are sealed; let the sealer finish every load before
    // stopping, so the restart below has nothing left to seal.
    for (const t0 = Date.now(); new Set(sealedLoads(first.lines)).size < LOADS + 1 && Date.now() - t0 < 120_000; )
      await new Promise((r) => setTimeout(r, 200));
    // Metrics and status over loopback while it runs.
    const base = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(await first.waitFor(/metrics on /, 1000))![1]!;
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /zg_miner_submissions_total\{result="accepted"\} [1-9]/);
    assert.match(text, /zg_miner_nonces_total\{device="[^"]+"\} [1-9]/);
    assert.match(text, /zg_miner_sealed_sectors [1-9]/);
    assert.match(text, /zg_miner_info\{version="[^"]+",backend="cpu",adapter="[^"]+"\} 1/);
    const status = (await (await fetch(`${base}/status`)).json()) as { submissions: { accepted: number }; mining: boolean };
    assert.ok(status.submissions.accepted >= 1);
    first.child.kill('SIGINT');
    const e1 = await first.exit;
    assert.equal(e1.code, 0, first.lines.slice(-10).join('\n'));
    const sealedFirst = sealedLoads(first.lines);
    assert.equal(new Set(sealedFirst).size, LOADS + 1, 'every complete load (with load 0) sealed in the first run');

    const second = runCli(args);
    await second.waitFor(/answer .*: accepted/, 150_000);
    second.child.kill('SIGINT');
    const e2 = await second.exit;
    assert.equal(e2.code, 0);
    assert.deepEqual(sealedLoads(second.lines), [], 'the restart resealed nothing');
    // The key never reaches the output.
    const key = chain.minerKey.slice(2).toLowerCase();
    assert.ok(![...first.lines, ...second.lines].some((l) => l.toLowerCase().includes(key)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mine: kill -9 while sealing loses and corrupts nothing', { timeout: 300_000 }, async () => {
  const { dir, config } = prepareDataDir();
  const dataDir = join(dir, 'data');
  try {
    await putFiles(dataDir);
    // debug: the per-load "sealed … of load L" lines (info shows one summary line per 30 s).
    const args = ['mine', '--config', config, '--metrics-address', '127.0.0.1:0', '--rpc-address', '127.0.0.1:0', '--backend', 'cpu', '--log-level', 'debug'];
    // Started with the loader's environment, `mine` does not re-execute itself, so the kill -9 hits the
    // miner itself (a killed launcher's child dies a moment later and would still hold the data dir).
    const runMiner = (a: string[]): CliProcess => startCli(a, { env: loaderEnv() });
    const first = runMiner(args);
    await first.waitFor(/sealed \d+ seal\(s\) of load/, 150_000);
    first.child.kill('SIGKILL');
    const e1 = await first.exit;
    assert.equal(e1.signal, 'SIGKILL');
    const before = sealedLoads(first.lines);

    const second = runMiner(args);
    await second.waitFor(/answer .*: accepted/, 150_000);
    // Mining starts on what is sealed; wait until the sealer has finished the rest too.
    const base = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(await second.waitFor(/metrics on /, 1000))![1]!;
    for (let t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 250))) {
      const st = (await (await fetch(`${base}/status`)).json()) as { store: { sealedLoads: string } };
      if (Number(st.store.sealedLoads) === LOADS + 1) break;
    }
    second.child.kill('SIGINT');
    assert.equal((await second.exit).code, 0);
    const after = sealedLoads(second.lines);
    assert.ok(after.length > 0, 'the kill landed after sealing had finished; nothing was tested');
    for (const l of before) assert.ok(!after.includes(l), `load ${l} was committed before the kill and sealed again`);
    // A load committed just before the kill may miss its log line: the store check below decides.

    // Every sealed seal unseals to the uploaded bytes, with the digest it was recorded under.
    const minerId = fromHex(readFileSync(join(dataDir, 'miner_id'), 'utf8').trim(), 32);
    assert.ok(existsSync(join(dataDir, 'store')));
    const store = await SealedStore.open(join(dataDir, 'store'), { minerId });
    try {
      assert.equal(store.sealedMask(0n), (1n << 64n) - 1n, 'load 0 fully sealed');
      for (const [load, data] of files) {
        assert.equal(store.sealedMask(load), (1n << 64n) - 1n, `load ${load} fully sealed`);
        const raw = await store.readRawLoad(load);
        assert.ok(equalBytes(raw, data), `raw data of load ${load} intact`);
        for (let i = 0; i < 64; i++) {
          const sealed = await store.readSealedSeal(load, i);
          const digest = store.sealContext(load, i);
          assert.ok(digest);
          const plain = unseal(sealed, minerId, digest, load * 1024n + BigInt(i * 16));
          assert.ok(equalBytes(plain, data.subarray(i * 4096, i * 4096 + 4096)), `load ${load} seal ${i} unseals to the data`);
        }
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import: a transaction\'s file is checked against its node roots and stored; a wrong file is refused in one line', { timeout: 120_000 }, async () => {
  const { dir, config } = prepareDataDir();
  try {
    const [load, data] = [...files.entries()][0]!;
    const txSeq = load - 1n;
    const good = join(dir, 'good.bin');
    writeFileSync(good, data);
    const ok = runCli(['import', good, '--tx', String(txSeq), '--config', config]);
    assert.equal((await ok.exit).code, 0, ok.lines.join('\n'));
    assert.ok(equalBytes(new Uint8Array(readFileSync(join(dir, 'data', 'files', `${txSeq}.bin`))), data));
    const badFile = join(dir, 'bad.bin');
    const bad = Uint8Array.from(data);
    bad[777]! ^= 0xff;
    writeFileSync(badFile, bad);
    const no = runCli(['import', badFile, '--tx', String(txSeq + 1n), '--config', config]);
    assert.equal((await no.exit).code, 1);
    assert.equal(no.lines.filter((l) => l.length > 0).length, 1, no.lines.join('\n'));
    assert.match(no.lines[0]!, /^zg-miner: .* is not the file of tx \d+: node 0 \(height 10\) root/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('import: a directory and a file in one run, each matched to its transaction by node roots; a stranger is named', { timeout: 120_000 }, async () => {
  const { dir, config } = prepareDataDir();
  try {
    const uploads = join(dir, 'uploads');
    mkdirSync(uploads);
    const all = [...files.entries()];
    // The first upload alone, the others in a folder (names unrelated to the transactions).
    writeFileSync(join(dir, 'single.bin'), all[0]![1]);
    all.slice(1).forEach(([, data], i) => writeFileSync(join(uploads, `upload-${i}.dat`), data));
    const run = runCli(['import', join(dir, 'single.bin'), uploads, '--config', config]);
    assert.equal((await run.exit).code, 0, run.lines.join('\n'));
    assert.equal(run.lines.filter((l) => /^imported tx \d+/.test(l)).length, all.length);
    for (const [load, data] of all) assert.ok(equalBytes(new Uint8Array(readFileSync(join(dir, 'data', 'files', `${load - 1n}.bin`))), data), `tx ${load - 1n} stored`);

    const stranger = Uint8Array.from(all[0]![1]);
    stranger[5]! ^= 1;
    writeFileSync(join(uploads, 'zz-stranger.dat'), stranger);
    const mixed = runCli(['import', uploads, '--config', config]);
    assert.equal((await mixed.exit).code, 1);
    assert.ok(mixed.lines.some((l) => /^zg-miner: .*zz-stranger\.dat: no Flow transaction up to block \d+ has this file's size \(262144 bytes\) and node roots$/.test(l)), mixed.lines.join('\n'));
    assert.ok(mixed.lines.includes(`zg-miner: imported ${all.length - 1} of ${all.length} files`), mixed.lines.join('\n'));
    const twoWithTx = runCli(['import', uploads, '--tx', '0', '--config', config]);
    assert.equal((await twoWithTx.exit).code, 1);
    assert.match(twoWithTx.lines.join('\n'), /--tx names one transaction/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('devnet: SIGINT stops the miner and anvil and exits 0', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-devnet-int-'));
  try {
    const info = join(dir, 'info.json');
    const run = runCli(['devnet', '--info-file', info, '--files', '2']);
    await run.waitFor(/devnet: mining;/, 180_000);
    const rpc = String((JSON.parse(readFileSync(info, 'utf8')) as { chainRpc: string }).chainRpc);
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    assert.equal(code, 0, run.lines.slice(-10).join('\n'));
    await assert.rejects(fetch(rpc, { method: 'POST', body: '{}' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
