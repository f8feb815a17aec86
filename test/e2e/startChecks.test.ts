/**
 * Start-up checks on anvil with the real contracts (issue 9 items 3 and 4): everything that can
 * fail locally fails before the first transaction (an unusable data dir is one line and no
 * registration is sent); a wrong log_contract_address or reward_contract_address that has code is
 * refused naming both addresses; a registered id is saved durably and, when the id file is lost,
 * recovered from this key's NewMinerId event instead of paying for another.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, startTestChain, writeMinerConfig, type TestChain } from '../helpers/chain.js';
import { resolveMinerId, MINER_ID_FILE } from '../../src/chain/minerId.js';
import { checkContractIdentity } from '../../src/chain/contractIdentity.js';
import { ChainClient } from '../../src/chain/chainClient.js';
import { toHex } from '../../src/bytes.js';

let chain: TestChain;
let dir: string;

before(async () => {
  chain = await startTestChain();
  dir = mkdtempSync(join(tmpdir(), 'zg-start-checks-'));
}, { timeout: 120_000 });

after(async () => {
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI to its exit (killed after 60 s). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

const minerAddress = (): string => chain.client.signerAddress!;
const sentTransactions = (): Promise<number> => chain.client.provider.getTransactionCount(minerAddress(), 'latest');

/** `mine` with `edit` applied to the test config: exit 1, one stderr line matching `re`, no transaction sent. */
async function refusedBeforeAnyTransaction(name: string, dataDir: string, edit: (toml: string) => string, re: RegExp): Promise<void> {
  const file = join(dir, `${name}.toml`);
  writeMinerConfig(file, chain, dataDir);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  const sent = await sentTransactions();
  const r = await cli(['mine', '--config', file, '--backend', 'cpu', '--threads', '1', '--metrics-address', '127.0.0.1:0']);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('zg-miner: '));
  assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
  assert.equal(errors.length, 1, `${name}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: a stack trace`);
  assert.match(errors[0]!, re, name);
  assert.equal(await sentTransactions(), sent, `${name}: a transaction was sent`);
}

test('an unusable data dir is one line and no registration is sent', { timeout: 180_000 }, async () => {
  await refusedBeforeAnyTransaction('proc', '/proc/self/zg-miner-data', (t) => t, /data dir \/proc\/self\/zg-miner-data: cannot be created/);
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  await refusedBeforeAnyTransaction('file', file, (t) => t, /data dir .*not-a-dir: is not a directory/);
  const nodeDb = join(dir, 'node-db');
  mkdirSync(join(nodeDb, 'flow_db'), { recursive: true });
  await refusedBeforeAnyTransaction('node-db', nodeDb, (t) => t, /node-db: holds files zg-miner did not write \(flow_db\)/);
  if (process.getuid?.() !== 0) {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    await refusedBeforeAnyTransaction('read-only', ro, (t) => t, /read-only: is not writable/);
  }
  // A taken metrics port is found before the chain is touched, too.
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = (busy.address() as { port: number }).port;
  try {
    const file2 = join(dir, 'busy.toml');
    writeMinerConfig(file2, chain, join(dir, 'busy-data'));
    const sent = await sentTransactions();
    const r = await cli(['mine', '--config', file2, '--backend', 'cpu', '--threads', '1', '--metrics-address', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^zg-miner: .*metrics address 127\\.0\\.0\\.1:${port}: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`, 'm'));
    assert.equal(await sentTransactions(), sent);
  } finally {
    busy.close();
  }
});

test('a log_contract_address or reward_contract_address that has code but is not PoraMine\'s is refused naming both', { timeout: 120_000 }, async () => {
  const d = chain.deployment;
  const esc = (a: string): string => a;
  await refusedBeforeAnyTransaction(
    'wrong-flow',
    join(dir, 'wrong-flow'),
    (t) => t.replace(`log_contract_address = "${d.flow}"`, `log_contract_address = "${d.reward}"`),
    new RegExp(`log_contract_address ${esc(d.reward)} is not the Flow of PoraMine ${esc(d.mine)}, whose flow\\(\\) is ${esc(d.flow)}`, 'i')
  );
  await refusedBeforeAnyTransaction(
    'wrong-reward',
    join(dir, 'wrong-reward'),
    (t) => t.replace(`reward_contract_address = "${d.reward}"`, `reward_contract_address = "${d.market}"`),
    new RegExp(`reward_contract_address ${esc(d.market)} is not the reward contract of PoraMine ${esc(d.mine)}, whose reward\\(\\) is ${esc(d.reward)}`, 'i')
  );
  // The right set passes.
  assert.deepEqual(await checkContractIdentity(chain.client, { rewardContractAddress: d.reward }), []);
});

test('a registered id is saved durably; with its file deleted it is recovered from the chain, not paid for again', { timeout: 120_000 }, async () => {
  // A key of its own (anvil account 2), so the other tests' checks of account 1 are unaffected.
  const client = new ChainClient({ rpcUrl: chain.anvil.rpcUrl, mineAddress: chain.deployment.mine, flowAddress: chain.deployment.flow, minerKey: chain.anvil.keys[2]!, pollingMs: 100 });
  try {
    const dataDir = join(dir, 'recover');
    const lines: string[] = [];
    const log = (l: string): void => void lines.push(l);
    const sent0 = await client.provider.getTransactionCount(client.signerAddress!, 'latest');
    const id = await resolveMinerId({ client, configId: null, dataDir, log });
    assert.equal(await client.provider.getTransactionCount(client.signerAddress!, 'latest'), sent0 + 1, 'one registration');
    assert.equal(readFileSync(join(dataDir, MINER_ID_FILE), 'utf8').trim(), toHex(id));
    assert.ok(lines.some((l) => l.includes(`registered miner id ${toHex(id)}`)), lines.join('\n'));
    unlinkSync(join(dataDir, MINER_ID_FILE));
    const again = await resolveMinerId({ client, configId: null, dataDir, log });
    assert.equal(toHex(again), toHex(id));
    assert.equal(await client.provider.getTransactionCount(client.signerAddress!, 'latest'), sent0 + 1, 'no second registration');
    assert.ok(existsSync(join(dataDir, MINER_ID_FILE)));
    assert.ok(lines.some((l) => l.includes(`miner id ${toHex(id)}: recovered`)), lines.join('\n'));
  } finally {
    client.destroy();
  }
});
