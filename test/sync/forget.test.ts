/**
 * A load forgotten because its raw data failed its check (issue 9 item 6) is refused by this
 * miner's RPC (its data, its segments, its sector proofs, its file no longer finalized), wanted
 * again by the sync client, which fetches it from a peer, verifies it against the chain and
 * stores it, after which the sealer seals it again. Real sealed store; the peer is an honest
 * zgs RPC over core's FlowTree (the chain's view), over loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRpcServer } from '../../src/sync/rpcServer.js';
import { ZgsNode } from '../../src/sync/zgsNode.js';
import { TxIndex } from '../../src/sync/txIndex.js';
import { PeerPool } from '../../src/sync/peerPool.js';
import { LoadSync } from '../../src/sync/loadSync.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import { Scrubber, checkLoad, isDamaged } from '../../src/store/scrub.js';
import { seal } from '../../src/core/seal.js';
import { BYTES_PER_LOAD } from '../../src/spec.js';
import { MemStore, buildFlow, jsHashLoad, treeReader } from '../helpers/syncFixtures.js';

const CHAIN = { chainId: 31337n, flowAddress: '0x' + '5f'.repeat(20) };
const MINER = new Uint8Array(32).fill(0x3c);
const CTX = new Uint8Array(32).fill(0x77);
const FULL = (1n << 64n) - 1n;

async function sealLoad(store: SealedStore, L: bigint): Promise<void> {
  const raw = await store.readRawLoad(L);
  await store.commitSealed(
    L,
    Array.from({ length: 64 }, (_, i) => ({ sealIndex: i, sealed: seal(raw.subarray(i * 4096, (i + 1) * 4096), MINER, CTX, L * 1024n + BigInt(i * 16)), contextDigest: CTX }))
  );
}

test('forget + sync: a forgotten load is not served here, is fetched again from a peer, verified, stored and sealed again', async () => {
  // A 2 MiB file: its loads are all data (no padding), under one height-13 node.
  const flow = buildFlow([1, 300_000, 2 * 1024 * 1024, 5000]);
  const big = flow.subs.find((s) => s.sizeBytes === 2n * 1024n * 1024n)!;
  const L = big.startPos / 1024n + 2n;
  const peerTxs = await TxIndex.open(null);
  await peerTxs.add(flow.subs);
  const peer = new ZgsNode({ ...CHAIN, shardId: 0n, numShard: 1n, txs: peerTxs, tree: treeReader(flow.full), store: MemStore.holding(flow), hashLoad: jsHashLoad, logSyncHeight: () => 99 });
  const server = await startRpcServer({ address: '127.0.0.1:0', methods: peer.methods() });
  const dir = mkdtempSync(join(tmpdir(), 'zg-forget-sync-'));
  const store = await SealedStore.open(dir, { minerId: MINER });
  const lines: string[] = [];
  const log = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) };
  const pool = new PeerPool({ urls: [server.url], expect: CHAIN, log, timeoutMs: 5000, perPeer: 2, overall: 4 });
  try {
    for (const s of flow.subs) await store.flowTree.addSubmission(s);
    const txs = await TxIndex.open(null);
    await txs.add(flow.subs);
    const sync = new LoadSync({ pool, tree: store.flowTree, store, txs, hashLoad: jsHashLoad, holds: () => true, log });
    const loads = Number(flow.full.length / 1024n);
    assert.equal(await sync.step(), loads, lines.join('\n'));
    assert.equal(await sync.step(), 0, 'everything is stored');
    await sealLoad(store, L);

    // This miner's own RPC serves the load and its file while they are intact.
    const mine = new ZgsNode({ ...CHAIN, shardId: 0n, numShard: 1n, txs, tree: store.flowTree, store, hashLoad: jsHashLoad, logSyncHeight: () => 99 });
    const rpc = mine.methods();
    const inTx = L * 1024n - big.startPos;
    // Params as JSON-RPC carries them (numbers).
    const call = async (m: string, p: unknown[]): Promise<unknown> => rpc[m]!(p.map((x) => (typeof x === 'bigint' ? Number(x) : x)));
    assert.notEqual(await call('zgs_getDataByNodeIndex', [L]), null);
    assert.equal(((await call('zgs_getFileInfoByTxSeq', [big.txSeq])) as { finalized: boolean }).finalized, true);
    assert.equal(typeof (await call('zgs_downloadSegmentByTxSeq', [big.txSeq, inTx, inTx + 16n])), 'string');

    // Its raw bytes are damaged on disk; the scrub forgets the load.
    const fd = openSync(join(dir, 'raw.bin'), 'r+');
    writeSync(fd, new Uint8Array([0xde, 0xad]), 0, 2, Number(L) * BYTES_PER_LOAD + 777);
    closeSync(fd);
    const c = await new Scrubber({ store, minerId: MINER, log }).scrub(L);
    assert.equal(c!.badRaw, true);
    assert.equal(store.isLoadComplete(L), false);
    assert.equal(store.sealedMask(L), 0n);

    // Not served: no data, no segment, no sector proof, the file is not finalized any more.
    assert.equal(await call('zgs_getDataByNodeIndex', [L]), null);
    assert.equal(await call('zgs_downloadSegmentByTxSeq', [big.txSeq, inTx, inTx + 16n]), null);
    await assert.rejects(Promise.resolve().then(() => call('zgs_getSectorProof', [L * 1024n + 5n, null])), /load \d+ is not stored here/);
    assert.equal(((await call('zgs_getFileInfoByTxSeq', [big.txSeq])) as { finalized: boolean }).finalized, false);

    // Wanted again: the next sync pass fetches it from the peer and verifies it against the chain.
    assert.equal(await sync.step(), 1);
    assert.equal(store.isLoadComplete(L), true);
    assert.deepEqual(store.forgottenLoads(), []);
    assert.ok(Buffer.from(await store.readRawLoad(L)).equals(Buffer.from(flow.bytes.subarray(Number(L) * BYTES_PER_LOAD, Number(L + 1n) * BYTES_PER_LOAD))));
    assert.equal(store.nextUnsealedLoad(L), L, 'the sealer has it to seal again');
    await sealLoad(store, L);
    assert.equal(store.sealedMask(L), FULL);
    assert.equal(isDamaged((await checkLoad(store, MINER, L, false))!), false);
    assert.equal(((await call('zgs_getFileInfoByTxSeq', [big.txSeq])) as { finalized: boolean }).finalized, true);
  } finally {
    pool.close();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
