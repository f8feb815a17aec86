/**
 * Peers end to end on anvil with the real contracts (one chain for the file):
 * the official @0gfoundation/0g-ts-sdk Uploader/Downloader against `zg-miner serve`'s zgs RPC
 * (Flow.submit with the market fee, segment uploads, finality, identical bytes back; a second
 * upload of a finalized file sends no transaction), served segment proofs checked against the data
 * root; then a second zg-miner (own data dir, anvil's third dev account) syncs everything from the
 * first through `--peer` and gets an accepted answer, and so does a miner of shard 1/2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, JsonRpcProvider } from 'ethers';
import { MemData, Uploader, Downloader, StorageNode, getFlowContract } from '@0gfoundation/0g-ts-sdk';
import { startTestChain, type TestChain } from '../helpers/chain.js';
import { loadConfig } from '../../src/config/config.js';
import { startServeService, type ServeService } from '../../src/cli/cmds/serve.js';
import { startMiningService } from '../../src/cli/cmds/mine.js';
import { fileMerkle } from '../../src/core/fileRoot.js';
import { hashPair } from '../../src/core/merkle.js';
import { equalBytes, toHex } from '../../src/bytes.js';
import { RpcClient } from '../../src/sync/rpcClient.js';
import { xorshiftStream } from '../helpers/random.js';
import type { Logger } from '../../src/log/logger.js';

let chain: TestChain;
let stopDriver: () => Promise<void>;
let node: ServeService;
let dir: string;
const uploaded: Uint8Array[] = [];
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined, repeated: () => undefined, recentWarnings: () => [] } as unknown as Logger;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zg-peers-e2e-'));
  chain = await startTestChain();
  stopDriver = chain.dev.startBlockDriver(150, () => {});
  const d = chain.deployment;
  node = await startServeService({
    config: loadConfig({ overrides: { rpcEndpoint: chain.anvil.rpcUrl, logContractAddress: d.flow, mineContractAddress: d.mine, dataDir: join(dir, 'node'), mineContextQuerySeconds: 1 } }),
    rpcAddress: '127.0.0.1:0',
    flowStartBlock: d.flowDeployBlock,
    syncSeconds: 1,
    log: quiet,
  });
}, { timeout: 120_000 });

after(async () => {
  await node?.stop();
  await stopDriver?.();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the 0G SDK uploads through Flow.submit and our RPC, downloads identical bytes; proofs verify; a finalized file is not submitted again', { timeout: 240_000 }, async () => {
  const provider = new JsonRpcProvider(chain.anvil.rpcUrl);
  const signer = new Wallet(chain.anvil.keys[3]!, provider);
  // The SDK resolves ethers' CommonJS types, we its ESM ones: the same classes at run time.
  const flow = getFlowContract(chain.deployment.flow, signer as unknown as Parameters<typeof getFlowContract>[1]);
  const sdkNode = new StorageNode(node.rpcUrl!);
  const uploader = new Uploader([sdkNode], chain.anvil.rpcUrl, flow);
  const rnd = xorshiftStream(77);
  const sizes = [1, 255, 256, 4097, 262144, 3 * 1024 * 1024 + 333];
  const quietConsole = console.log;
  console.log = () => undefined; // the SDK talks a lot
  try {
    for (const size of sizes) {
      const data = rnd(size);
      const [res, err] = await uploader.uploadFile(new MemData(data), {}, { Retries: 3, Interval: 1, MaxGasPrice: 0, TooManyDataRetries: 3 });
      assert.equal(err, null, `upload of ${size} bytes: ${String(err)}`);
      assert.equal(res.rootHash, toHex(fileMerkle(data).dataRoot));
      uploaded.push(data);
      const out = join(dir, `down-${size}`);
      const derr = await new Downloader([sdkNode]).download(res.rootHash, out, false);
      assert.equal(derr, null, `download of ${size} bytes: ${String(derr)}`);
      assert.ok(readFileSync(out).equals(Buffer.from(data)), `${size} bytes come back identical`);
    }
    // Served segment proofs lead to the data root (the SDK checks nothing on download).
    const big = uploaded[uploaded.length - 1]!;
    const m = fileMerkle(big);
    const c = new RpcClient(node.rpcUrl!);
    try {
      for (let i = 0; i < m.numSegmentsPadded; i++) {
        const w = (await c.call('zgs_downloadSegmentWithProof', [toHex(m.dataRoot), i])) as { data: string; proof: { lemma: string[]; path: boolean[] } };
        const lemma = w.proof.lemma.map((h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex')));
        let h = m.segmentRoots[i]!;
        assert.ok(equalBytes(lemma[0]!, h), `segment ${i}: its root heads the proof`);
        w.proof.path.forEach((left, k) => (h = left ? hashPair(h, lemma[k + 1]!) : hashPair(lemma[k + 1]!, h)));
        assert.ok(equalBytes(h, m.dataRoot), `segment ${i}: the proof folds to the data root`);
        const got = Buffer.from(w.data, 'base64');
        const want = Buffer.alloc(Math.min(262144, Math.ceil((big.length - i * 262144) / 256) * 256));
        want.set(big.subarray(i * 262144, Math.min(big.length, (i + 1) * 262144)));
        assert.ok(got.equals(want), `segment ${i}: its data`);
      }
    } finally {
      c.close();
    }
    // Uploading a finalized file again: no transaction.
    const nonce = await provider.getTransactionCount(signer.address);
    const [again, err] = await uploader.uploadFile(new MemData(uploaded[2]!), {});
    assert.equal(err, null);
    assert.equal(again.txHash, '');
    assert.equal(await provider.getTransactionCount(signer.address), nonce);
  } finally {
    console.log = quietConsole;
    provider.destroy();
  }
});

async function mineFromPeer(shard: string, keyIndex: number): Promise<void> {
  const d = chain.deployment;
  const dataDir = join(dir, `miner-${shard.replace('/', 'of')}`);
  const cfg = join(dir, `miner-${shard.replace('/', 'of')}.toml`);
  writeFileSync(cfg, `[sync]\npeers = ["${node.rpcUrl}"]\n`);
  const config = loadConfig({
    file: cfg,
    overrides: {
      rpcEndpoint: chain.anvil.rpcUrl,
      logContractAddress: d.flow,
      mineContractAddress: d.mine,
      rewardContractAddress: d.reward,
      minerKey: chain.anvil.keys[keyIndex]!,
      dataDir,
      mineContextQuerySeconds: 1,
      mineIterBatchSize: 32,
      shardPosition: shard,
    },
  });
  assert.deepEqual(config.syncPeers, [node.rpcUrl]);
  let accepted = 0;
  const service = await startMiningService({
    config,
    backend: 'cpu',
    threads: 1,
    metricsAddress: '127.0.0.1:0',
    rpcAddress: 'none',
    flowStartBlock: d.flowDeployBlock,
    syncSeconds: 1,
    log: quiet,
    onSubmission: (o) => {
      if (o.result === 'accepted') accepted++;
    },
  });
  try {
    const t0 = Date.now();
    while (accepted < 1 && Date.now() - t0 < 150_000) await new Promise((r) => setTimeout(r, 250));
    const status = (await (await fetch(service.metricsUrl.replace(/metrics$/, 'status'))).json()) as { sync: { storedLoads: number; wantedLoads: number; syncedLoads: number; peers: { state: string }[] } };
    assert.ok(accepted >= 1, `shard ${shard}: no accepted answer; sync ${JSON.stringify(status.sync)}`);
    assert.ok(status.sync.syncedLoads > 0 && status.sync.storedLoads === status.sync.wantedLoads, JSON.stringify(status.sync));
    assert.equal(status.sync.peers[0]!.state, 'ready');
    const metrics = await (await fetch(service.metricsUrl)).text();
    assert.match(metrics, /^zg_miner_sync_loads_total [1-9]/m);
  } finally {
    await service.stop();
  }
}

test('a second zg-miner syncs everything from the first through --peer and mines an accepted answer', { timeout: 240_000 }, async () => {
  assert.ok(uploaded.length > 0, 'needs the SDK uploads of the previous test');
  await mineFromPeer('0/1', 2);
});

test('a miner of shard 1/2 syncs its half from the peer and mines an accepted answer (proof levels above its loads from events and peers)', { timeout: 240_000 }, async () => {
  await mineFromPeer('1/2', 4);
});
