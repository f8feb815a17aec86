/**
 * Input checks up front (issue 9 item 9): numeric flags are bounded before anything is
 * allocated or started, bad values are one `zg-miner: …` line with exit 1, misspelled config
 * keys are warned about naming the nearest known key, and `devnet --data-dir D` on a used D is a
 * clear refusal before anvil starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { checkBenchRangeMiB, checkThreads, THREADS_PER_CORE } from '../../src/cli/inputLimits.js';
import { loadConfig } from '../../src/config/config.js';
import { claimDataDir } from '../../src/store/dataDir.js';
import { editDistance, nearestKey } from '../../src/config/unknownKeys.js';

const dir = mkdtempSync(join(tmpdir(), 'zg-input-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Exit 1 and exactly one stderr line starting `zg-miner: ` that matches `re`. */
function refusedInOneLine(r: { status: number | null; stderr: string }, re: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^zg-miner: /);
  assert.match(lines[0]!, re);
}

test('threads are bounded by cores × THREADS_PER_CORE', () => {
  assert.doesNotThrow(() => checkThreads(8, 4));
  assert.throws(() => checkThreads(4 * THREADS_PER_CORE + 1, 4), /at most 8 on this machine \(4 cores × 2\)/);
  assert.throws(() => checkThreads(0, 4), /positive integer/);
  assert.throws(() => checkThreads(1.5, 4), /positive integer/);
});

test('bench --range-mib is bounded by host memory', () => {
  assert.doesNotThrow(() => checkBenchRangeMiB(1024, 4 * 2 ** 30));
  assert.throws(() => checkBenchRangeMiB(4096, 4 * 2 ** 30), /at most 3072 MiB/);
  assert.throws(() => checkBenchRangeMiB(0), /positive/);
});

test('CLI: import --tx abc, bench --range-mib 999999999, --threads 1000 are one-line refusals', { timeout: 120_000 }, () => {
  const file = join(dir, 'upload.bin');
  writeFileSync(file, new Uint8Array(1024));
  // The config names an RPC nobody serves: without the up-front check the error would be about it.
  const env = { ZGS_NODE__LOG_CONTRACT_ADDRESS: '0x22E03a6A89B950F1c82ec5e74F8eCa321a105296', ZGS_NODE__BLOCKCHAIN_RPC_ENDPOINT: 'http://127.0.0.1:9', ZGS_NODE__DATA_DIR: join(dir, 'import-data') };
  refusedInOneLine(runCli(['import', '--tx', 'abc', file], { env }), /--tx: expected a non-negative integer, got "abc"/);
  // import never writes into another program's folder either (checked before the chain is asked).
  const nodeDb = join(dir, 'node-db');
  mkdirSync(join(nodeDb, 'flow_db'), { recursive: true });
  refusedInOneLine(runCli(['import', '--tx', '1', file], { env: { ...env, ZGS_NODE__DATA_DIR: nodeDb } }), /node-db: holds files zg-miner did not write \(flow_db\)/);
  assert.deepEqual(readdirSync(nodeDb), ['flow_db']);
  refusedInOneLine(runCli(['bench', '--backend', 'cpu', '--range-mib', '999999999', '--seconds', '1']), /--range-mib 999999999: the bench holds its data in host memory/);
  refusedInOneLine(runCli(['bench', '--backend', 'cpu', '--threads', '1000', '--seconds', '1']), /--threads 1000: at most \d+ on this machine/);
  refusedInOneLine(runCli(['ec', 'encode', '--data', '4', '--parity', '2', '--out', join(dir, 'shards'), '--threads', '1000', file]), /--threads 1000: at most/);
});

test('CLI: devnet --data-dir D on a D an earlier devnet used is refused before anything starts', { timeout: 60_000 }, () => {
  const used = join(dir, 'devnet-data');
  claimDataDir(used);
  writeFileSync(join(used, 'miner_id'), `0x${'ab'.repeat(32)}\n`);
  mkdirSync(join(used, 'store'));
  const before = readdirSync(used).sort();
  const r = runCli(['devnet', '--data-dir', used, '--backend', 'cpu', '--timeout', '30'], { timeoutMs: 30_000 });
  refusedInOneLine(r, /devnet-data: holds an earlier run \(each devnet is a new chain/);
  assert.doesNotMatch(r.stdout, /anvil|deploy/i, 'nothing was started');
  assert.deepEqual(readdirSync(used).sort(), before, 'nothing in it was overwritten');
});

test('a misspelled config key is warned about, naming the nearest known key; node keys pass silently', () => {
  const file = join(dir, 'config.toml');
  writeFileSync(
    file,
    [
      'mine_contract_adress = "0x00A9E9604b0538e06b268Fb297Df333337f9593b"',
      'miner_cpu_percent = 50',
      'network_libp2p_port = 1234',
      'db_dir = "db"',
      'log_sync_start_block_number = 5',
      '[submission_config]',
      'max_retrys = 3',
      '[sync]',
      'max_chunks_to_request = 2048',
    ].join('\n')
  );
  const c = loadConfig({ file });
  assert.deepEqual(c.warnings, [
    `${file}: unknown key mine_contract_adress is ignored; did you mean mine_contract_address?`,
    `${file}: unknown key miner_cpu_percent is ignored; did you mean miner_cpu_percentage?`,
    `${file}: unknown key submission_config.max_retrys is ignored; did you mean submission_config.max_retries?`,
  ]);
  assert.equal(c.mineContractAddress, null, 'the misspelled key is not applied');
  assert.equal(editDistance('ab', 'ba'), 1);
  assert.equal(nearestKey('db_dir', ['data_dir']), null, 'a short unrelated key is no misspelling');
});
