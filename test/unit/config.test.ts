import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from '../../src/config/config.js';
import { MinerError } from '../../src/errors.js';
import { toHex } from '../../src/bytes.js';

const KEY = 'ab'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'zg-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function badConfig(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MinerError);
    assert.equal(e.code, 'BAD_CONFIG');
    assert.equal(e.message, message);
    return true;
  });
}

const FULL = `
# a node config carries many keys we ignore
network_dir = "network"
log_sync_start_block_number = 0
blockchain_rpc_endpoint = "http://10.0.0.1:8545"
log_contract_address = "0x22E03a6A89B950F1c82ec5e74F8eCa321a105296"
mine_contract_address = "0x00A9E9604b0538e06b268Fb297Df333337f9593b"
reward_contract_address = "0xA97B57b4BdFEA2D0a25e535bd849ad4e6C440A69"
miner_key = "0x${KEY}"
miner_id = "${'12'.repeat(32)}"
shard_position = "3/4"
mine_iter_batch_size = 250
mine_context_query_seconds = 7
miner_cpu_percentage = 150
db_dir = "nodedb"

[submission_config]
initial_gas_price = 1000000000
max_gas_price = 100000000000000000000
max_gas = 3000000
gas_increase_factor = 20
max_retries = 9
interval_secs = 4
unknown_sub = true
`;

test('config: defaults with no file', () => {
  const c = loadConfig({});
  assert.equal(c.rpcEndpoint, 'http://127.0.0.1:8545');
  assert.equal(c.mineContractAddress, null);
  assert.equal(c.minerKey, null);
  assert.equal(c.minerId, null);
  assert.equal(c.shardPosition, '0/1');
  assert.equal(c.shardMask, 0xffffffffffffffffn);
  assert.equal(c.shardId, 0n);
  assert.equal(c.mineIterBatchSize, 100);
  assert.equal(c.mineContextQuerySeconds, 5);
  assert.equal(c.minerCpuPercentage, 100);
  assert.deepEqual(c.submission, {
    initialGasPrice: null, maxGasPrice: null, maxGas: null, gasIncreaseFactor: 11, maxRetries: 5, intervalSecs: 2,
  });
  assert.equal(c.dataDir, resolve('db'));
});

test('config: every key from a node TOML file', () => {
  const p = file('full.toml', FULL);
  const c = loadConfig({ file: p });
  assert.equal(c.rpcEndpoint, 'http://10.0.0.1:8545');
  assert.equal(c.logContractAddress, '0x22E03a6A89B950F1c82ec5e74F8eCa321a105296');
  assert.equal(c.mineContractAddress, '0x00A9E9604b0538e06b268Fb297Df333337f9593b');
  assert.equal(c.rewardContractAddress, '0xA97B57b4BdFEA2D0a25e535bd849ad4e6C440A69');
  assert.equal(c.minerKey, `0x${KEY}`);
  assert.equal(toHex(c.minerId!), `0x${'12'.repeat(32)}`);
  assert.equal(c.shardId, 3n);
  assert.equal(c.shardMask, 0xfffffffffffffffcn);
  assert.equal(c.numShards, 4n);
  assert.equal(c.mineIterBatchSize, 250);
  assert.equal(c.mineContextQuerySeconds, 7);
  assert.equal(c.minerCpuPercentage, 100, 'over 100 is clamped');
  assert.deepEqual(c.submission, {
    initialGasPrice: 1000000000n, maxGasPrice: 100000000000000000000n, maxGas: 3000000n,
    gasIncreaseFactor: 20, maxRetries: 9, intervalSecs: 4,
  });
  assert.equal(c.dataDir, resolve('nodedb'));
  assert.equal(c.configFile, resolve(p));
});

test('config: ZGS_NODE__ env overrides beat the file, flags beat env', () => {
  const p = file('env.toml', FULL);
  const env = {
    ZGS_NODE__MINE_ITER_BATCH_SIZE: '64',
    ZGS_NODE__SUBMISSION_CONFIG__MAX_RETRIES: '2',
    ZGS_NODE__SHARD_POSITION: '1/2',
    ZGS_NODE__DATA_DIR: '/var/zg',
    ZGS_NODE__SOME_OTHER_NODE_KEY: 'x',
    PATH: '/bin',
  };
  const c = loadConfig({ file: p, env });
  assert.equal(c.mineIterBatchSize, 64);
  assert.equal(c.submission.maxRetries, 2);
  assert.equal(c.submission.intervalSecs, 4);
  assert.equal(c.shardId, 1n);
  assert.equal(c.numShards, 2n);
  assert.equal(c.dataDir, '/var/zg');
  const o = loadConfig({ file: p, env, overrides: { mineIterBatchSize: 8, dataDir: '/srv/x', minerCpuPercentage: 50 } });
  assert.equal(o.mineIterBatchSize, 8);
  assert.equal(o.dataDir, '/srv/x');
  assert.equal(o.minerCpuPercentage, 50);
});

test('config: key from miner_key_file / --miner-key-file, not both', () => {
  const kf = file('key.txt', `${KEY}\n`);
  const c = loadConfig({ file: file('kf.toml', `miner_key_file = "${kf}"\n`) });
  assert.equal(c.minerKey, `0x${KEY}`);
  assert.equal(c.minerKeyFile, kf);
  const o = loadConfig({ file: file('k.toml', `miner_key = "${'cd'.repeat(32)}"\n`), overrides: { minerKeyFile: kf } });
  assert.equal(o.minerKey, `0x${KEY}`);
  const both = file('both.toml', `miner_key = "${KEY}"\nminer_key_file = "${kf}"\n`);
  badConfig(() => loadConfig({ file: both }), `${both}: miner_key: expected either miner_key or miner_key_file, not both`);
});

test('config: bad values are one exact line naming file and key', () => {
  const cases: [string, string][] = [
    ['mine_contract_address = "0x12"', 'mine_contract_address: expected a 0x-prefixed 20-byte address, got "0x12"'],
    ['miner_id = "0x1234"', 'miner_id: expected 32 bytes as 64 hex digits (0x optional), got "0x1234"'],
    ['shard_position = "3/3"', 'shard_position: expected "<shard_id>/<num_shard>" with num_shard a power of two and shard_id below it, got "3/3"'],
    ['shard_position = "4/4"', 'shard_position: expected "<shard_id>/<num_shard>" with num_shard a power of two and shard_id below it, got "4/4"'],
    ['mine_iter_batch_size = 0', 'mine_iter_batch_size: expected an integer in 1..4294967296, got 0'],
    ['mine_iter_batch_size = "ten"', 'mine_iter_batch_size: expected an integer in 1..4294967296, got "ten"'],
    ['miner_cpu_percentage = 0', 'miner_cpu_percentage: expected a percentage from 1 to 100, got 0'],
    ['miner_cpu_percentage = -5', 'miner_cpu_percentage: expected a percentage from 1 to 100, got -5'],
    ['blockchain_rpc_endpoint = "localhost:8545"', 'blockchain_rpc_endpoint: expected an http(s) or ws(s) URL, got "localhost:8545"'],
    ['submission_config = 3', 'submission_config: expected a table ([submission_config]), got 3'],
    ['[submission_config]\nmax_gas_price = 1.5', 'submission_config.max_gas_price: expected a gas price in wei, got 1.5'],
  ];
  for (const [i, [toml, msg]] of cases.entries()) {
    const p = file(`bad${i}.toml`, `${toml}\n`);
    badConfig(() => loadConfig({ file: p }), `${p}: ${msg}`);
  }
  badConfig(
    () => loadConfig({ env: { ZGS_NODE__SUBMISSION_CONFIG__MAX_RETRIES: 'many' } }),
    'env ZGS_NODE__SUBMISSION_CONFIG__MAX_RETRIES: submission_config.max_retries: expected an integer in 0..1000, got "many"'
  );
  badConfig(
    () => loadConfig({ overrides: { mineIterBatchSize: 0 } }),
    'command line: --mine-iter-batch-size: expected an integer in 1..4294967296, got 0'
  );
});

test('config: malformed TOML names file, line and column on one line', () => {
  const p = file('broken.toml', 'miner_id = "x"\nmine_iter_batch_size = = 3\n');
  assert.throws(() => loadConfig({ file: p }), (e: unknown) => {
    assert.ok(e instanceof MinerError && e.code === 'BAD_CONFIG');
    assert.match(e.message, new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: invalid TOML: \\S`));
    assert.ok(!e.message.includes('\n'));
    return true;
  });
  const missing = join(dir, 'nope.toml');
  badConfig(() => loadConfig({ file: missing }), `${missing}: cannot read the config file (ENOENT); check the --config path`);
});

test('config: the miner key never shows in messages, JSON or inspect', () => {
  const secret = 'f00d'.repeat(15) + 'zz01';
  const p = file('badkey.toml', `miner_key = "${secret}"\n`);
  assert.throws(() => loadConfig({ file: p }), (e: unknown) => {
    assert.ok(e instanceof MinerError);
    assert.equal(e.message, `${p}: miner_key: expected 32 bytes as 64 hex digits (0x optional); the value is not shown`);
    assert.ok(!e.message.includes('f00d'));
    return true;
  });
  badConfig(
    () => loadConfig({ env: { ZGS_NODE__MINER_KEY: '0'.repeat(64) } }),
    'env ZGS_NODE__MINER_KEY: miner_key: expected a non-zero private key; the value is not shown'
  );
  const c = loadConfig({ file: file('good.toml', FULL) });
  for (const text of [JSON.stringify(c), inspect(c, { depth: 9 }), String(inspect(c.redacted())), inspect({ ...c }, { depth: 9 })]) {
    assert.ok(!text.toLowerCase().includes(KEY), text);
    assert.ok(!text.includes('abababab'));
  }
  assert.equal(c.redacted()['minerKey'], '<redacted>');
  assert.equal(c.minerKey, `0x${KEY}`);
});
