/**
 * The zgs RPC server and the sync client against each other over loopback, with core's FlowTree
 * as the chain's view (no anvil): full and 1/2-shard sync, verification through sector proofs
 * where the events only know a larger node, tampering peers, and SDK-shaped segment uploads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { startRpcServer, type RpcServer } from '../../src/sync/rpcServer.js';
import { ZgsNode } from '../../src/sync/zgsNode.js';
import { TxIndex } from '../../src/sync/txIndex.js';
import { PeerPool } from '../../src/sync/peerPool.js';
import { LoadSync } from '../../src/sync/loadSync.js';
import { RpcClient, PeerError } from '../../src/sync/rpcClient.js';
import { fileMerkle } from '../../src/core/fileRoot.js';
import { foldProof } from '../../src/core/merkle.js';
import { keccak256 } from '../../src/core/hash.js';
import { toHex } from '../../src/bytes.js';
import { BYTES_PER_LOAD, BYTES_PER_SECTOR } from '../../src/spec.js';
import { MemStore, buildFlow, jsHashLoad, treeReader, type TestFlow } from '../helpers/syncFixtures.js';

const CHAIN = { chainId: 31337n, flowAddress: '0x' + '5f'.repeat(20) };
// Small files, one crossing loads, and a 2 MiB file whose loads sit under one height-13 node.
const SIZES = [1, 255, 300_000, 2 * 1024 * 1024, 5000, 3 * BYTES_PER_LOAD + 7];

async function serve(flow: TestFlow, store: MemStore, shard = { shardId: 0n, numShard: 1n }): Promise<{ node: ZgsNode; server: RpcServer; txs: TxIndex }> {
  const txs = await TxIndex.open(null);
  await txs.add(flow.subs);
  const node = new ZgsNode({ ...CHAIN, ...shard, txs, tree: treeReader(flow.full), store, hashLoad: jsHashLoad, logSyncHeight: () => 99 });
  const server = await startRpcServer({ address: '127.0.0.1:0', methods: node.methods() });
  return { node, server, txs };
}

async function syncer(flow: TestFlow, urls: string[], holds: (l: bigint) => boolean = () => true, timeoutMs = 5000): Promise<{ sync: LoadSync; store: MemStore; pool: PeerPool; lines: string[] }> {
  const txs = await TxIndex.open(null);
  await txs.add(flow.subs);
  const lines: string[] = [];
  const log = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) };
  const pool = new PeerPool({ urls, expect: CHAIN, log, timeoutMs, perPeer: 2, overall: 4 });
  const store = new MemStore(flow.bytes.length / BYTES_PER_LOAD);
  const sync = new LoadSync({ pool, tree: treeReader(flow.eventsOnly), store, txs, hashLoad: jsHashLoad, holds, log });
  return { sync, store, pool, lines };
}

function completeLoads(flow: TestFlow): bigint[] {
  return Array.from({ length: Number(flow.full.length / 1024n) }, (_, i) => BigInt(i));
}

function assertStoredLoads(flow: TestFlow, store: MemStore, loads: bigint[]): void {
  for (const l of loads) {
    const a = Number(l) * BYTES_PER_LOAD;
    assert.ok(store.isLoadComplete(l), `load ${l} stored`);
    assert.ok(Buffer.from(store.bytes.subarray(a, a + BYTES_PER_LOAD)).equals(Buffer.from(flow.bytes.subarray(a, a + BYTES_PER_LOAD))), `load ${l} bytes`);
  }
}

test('sync: a fresh miner (events only) syncs every complete load from a zg-miner peer, verified; then 1/2 shard', async () => {
  const flow = buildFlow(SIZES);
  const { server } = await serve(flow, MemStore.holding(flow));
  try {
    const loads = completeLoads(flow);
    assert.ok(loads.length >= 12, `flow of ${loads.length} loads`);
    // Some loads are only provable through sector proofs (under the 2 MiB file's node).
    const unknown = [];
    for (const l of loads) if ((await treeReader(flow.eventsOnly).node(10, l)) === null) unknown.push(l);
    assert.ok(unknown.length >= 4, 'the events leave some load roots unknown');

    // Runs of loads as raw bytes: L and the complete loads after it, up to the count; the count is bounded.
    const c = new RpcClient(server.url);
    try {
      const last = loads[loads.length - 1]!;
      for (const [from, count, want] of [[0n, 3, 3], [last - 1n, 4, 2], [last, 1, 1]] as const) {
        const a = await c.callAnswer('zgs_getDataByNodeIndex', [from, 'binary', count]);
        assert.equal(a.binary, true);
        const at = Number(from) * BYTES_PER_LOAD;
        assert.ok(a.body.equals(Buffer.from(flow.bytes.subarray(at, at + want * BYTES_PER_LOAD))), `loads ${from}+${count}`);
      }
      await assert.rejects(c.call('zgs_getDataByNodeIndex', [0, 'binary', 17]), (e: unknown) => e instanceof PeerError && e.code === -32602);
      await assert.rejects(c.call('zgs_getDataByNodeIndex', [0, 'base64', 2]), (e: unknown) => e instanceof PeerError && e.code === -32602);
    } finally {
      c.close();
    }

    const a = await syncer(flow, [server.url]);
    assert.equal(await a.sync.step(), loads.length);
    assertStoredLoads(flow, a.store, loads);
    assert.deepEqual([...a.store.verifiedWrites].sort((x, y) => Number(x - y)), loads);
    assert.equal(await a.sync.step(), 0, 'a second pass fetches nothing');
    assert.equal(a.sync.status().storedLoads, loads.length);
    a.pool.close();

    const odd = (l: bigint): boolean => l % 2n === 1n;
    const b = await syncer(flow, [server.url], odd);
    await b.sync.step();
    assert.deepEqual(b.store.verifiedWrites.sort((x, y) => Number(x - y)), loads.filter(odd));
    assertStoredLoads(flow, b.store, loads.filter(odd));
    b.pool.close();
  } finally {
    await server.close();
  }
});

test('sync: a peer on another chain or Flow is refused with one line naming both', async () => {
  const flow = buildFlow([1000]);
  const txs = await TxIndex.open(null);
  const node = new ZgsNode({ chainId: 16661n, flowAddress: CHAIN.flowAddress, shardId: 0n, numShard: 1n, txs, tree: treeReader(flow.full), store: MemStore.holding(flow), hashLoad: jsHashLoad, logSyncHeight: () => 0 });
  const server = await startRpcServer({ address: '127.0.0.1:0', methods: node.methods() });
  try {
    const a = await syncer(flow, [server.url]);
    await a.sync.step();
    assert.equal(a.pool.peers[0]!.state, 'refused');
    assert.ok(a.lines.some((l) => l.includes('it serves chain 16661') && l.includes('we mine chain 31337')), a.lines.join('\n'));
    a.pool.close();
  } finally {
    await server.close();
  }
});

type Mode = 'flip' | 'base64-flip' | 'numbers-only-flip' | 'wrong-proof' | 'wrong-roots' | 'consistent-lie' | 'stall' | 'garbage';

const invalidParamsAnswer = (id: unknown): string => JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message: 'Invalid params' } });

/** POSTs `body` to `url`; the answer's bytes and content type. */
function forward(url: string, body: string): Promise<{ bytes: Buffer; type: string }> {
  return new Promise((resolve, reject) => {
    const fwd = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
      const out: Buffer[] = [];
      r.on('data', (c: Buffer) => out.push(c));
      r.on('end', () => resolve({ bytes: Buffer.concat(out), type: r.headers['content-type'] ?? 'application/json' }));
      r.on('error', reject);
    });
    fwd.on('error', reject);
    fwd.end(body);
  });
}

/**
 * A proxy in front of an honest peer that lies in one way:
 * - flip / base64-flip / numbers-only-flip: one byte of each load changed (raw bytes; base64 or
 *   byte numbers, the proxy refusing the richer encodings as a node would);
 * - wrong-proof: a wrong sibling in sector proofs (it has no zgs_getHashAtNodeIndex, so the
 *   client proves each load with zgs_getSectorProof);
 * - wrong-roots: one load root changed in zgs_getHashAtNodeIndex batches;
 * - consistent-lie: every load changed AND every load root it reports is the changed load's root,
 *   so each load matches the peer's own roots: only checking those roots against the chain's
 *   node catches it;
 * - stall, garbage: on data calls.
 */
async function tamperingProxy(target: string, mode: Mode): Promise<{ url: string; close(): Promise<void> }> {
  // consistent-lie: the peer's changed version of load L.
  const lie = async (load: unknown): Promise<Uint8Array> => {
    const a = await forward(target, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'zgs_getDataByNodeIndex', params: [load, 'binary'] }));
    assert.equal(a.type, 'application/octet-stream', `load ${String(load)} comes whole`);
    const b = Uint8Array.from(a.bytes);
    b[5000]! ^= 1;
    return b;
  };
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString();
        const parsed = JSON.parse(body) as { id: number; method: string; params?: unknown[] } | { id: number; method: string; params?: unknown[] }[];
        const call = Array.isArray(parsed) ? parsed[0]! : parsed;
        const richer = call.method === 'zgs_getDataByNodeIndex' && call.params?.length === 2;
        if (richer && ((mode === 'numbers-only-flip') || (mode === 'base64-flip' && call.params![1] === 'binary'))) return void res.writeHead(200).end(invalidParamsAnswer(call.id));
        if (mode === 'wrong-proof' && call.method === 'zgs_getHashAtNodeIndex')
          return void res.writeHead(200).end(JSON.stringify(Array.isArray(parsed) ? parsed.map((c) => ({ jsonrpc: '2.0', id: c.id, error: { code: -32601, message: 'Method not found' } })) : { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'Method not found' } }));
        const data = call.method === 'zgs_getDataByNodeIndex' || call.method === 'zgs_downloadSegmentByTxSeq';
        if (mode === 'stall' && data) return; // never answers
        if (mode === 'garbage' && data) return void res.writeHead(200).end('{"jsonrpc":"2.0","id":1,"result":[[1,2,3');
        if (mode === 'consistent-lie' && call.method === 'zgs_getDataByNodeIndex' && call.params?.[1] === 'binary')
          return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(await lie(call.params[0]));
        if (mode === 'consistent-lie' && call.method === 'zgs_getHashAtNodeIndex' && Array.isArray(parsed)) {
          const out = [];
          for (const c of parsed) out.push({ jsonrpc: '2.0', id: c.id, result: toHex(jsHashLoad(BigInt(c.params![0] as number), await lie(c.params![0])).loadRoot) });
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
        }
        const a = await forward(target, body);
        let bytes = a.bytes;
        if ((mode === 'flip' || mode === 'base64-flip' || mode === 'numbers-only-flip') && call.method === 'zgs_getDataByNodeIndex') {
          if (a.type === 'application/octet-stream') {
            // Every load of the answer (a run of several comes back to back).
            bytes = Buffer.from(bytes);
            for (let o = 5000; o < bytes.length; o += BYTES_PER_LOAD) bytes[o]! ^= 1;
          } else {
            // Change one byte of the load (in either text encoding) somewhere in the middle.
            let text = bytes.toString();
            const at = text.indexOf('"result":') + 5000;
            const c = text[at]!;
            const swap = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c === 'A' ? 'B' : 'A';
            text = text.slice(0, at) + swap + text.slice(at + 1);
            bytes = Buffer.from(text);
          }
        }
        if (mode === 'wrong-proof' && call.method === 'zgs_getSectorProof') {
          const v = JSON.parse(bytes.toString()) as { result: { lemma: string[] } };
          v.result.lemma[12] = toHex(keccak256(new Uint8Array([1])));
          bytes = Buffer.from(JSON.stringify(v));
        }
        if (mode === 'wrong-roots' && call.method === 'zgs_getHashAtNodeIndex' && Array.isArray(parsed)) {
          const v = JSON.parse(bytes.toString()) as { result: string }[];
          v[v.length - 1]!.result = toHex(keccak256(new Uint8Array([2])));
          bytes = Buffer.from(JSON.stringify(v));
        }
        res.writeHead(200, { 'content-type': a.type }).end(bytes);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

test('sync: tampering peers are caught; nothing of theirs is stored; the reason is counted; data comes from the honest peer', async () => {
  const flow = buildFlow([1, 5000, 2 * 1024 * 1024], 3);
  const { server } = await serve(flow, MemStore.holding(flow));
  const loads = completeLoads(flow);
  const expectReason: Record<Mode, string> = {
    flip: 'mismatch',
    'base64-flip': 'mismatch',
    'numbers-only-flip': 'mismatch',
    'wrong-proof': 'mismatch',
    'wrong-roots': 'mismatch',
    'consistent-lie': 'mismatch',
    stall: 'timeout',
    garbage: 'garbage',
  };
  try {
    for (const mode of Object.keys(expectReason) as Mode[]) {
      const proxy = await tamperingProxy(server.url, mode);
      try {
        // Alone: nothing is stored, every refusal is counted.
        const alone = await syncer(flow, [proxy.url], () => true, 2000);
        await alone.sync.step();
        // A wrong level-11 sibling or load root is never used for loads whose level-10/11 node the events know: those are stored, correctly.
        const wantNone = mode === 'wrong-proof' || mode === 'wrong-roots' ? [] : loads;
        for (const l of wantNone) assert.ok(!alone.store.verifiedWrites.includes(l), `${mode}: load ${l} must not be stored from a lying peer`);
        assert.ok((alone.sync.status().rejected[expectReason[mode]] ?? 0) > 0, `${mode}: ${JSON.stringify(alone.sync.status().rejected)}`);
        if (expectReason[mode] === 'mismatch') {
          assert.equal(alone.pool.peers[0]!.state, 'dropped');
          assert.ok(alone.lines.some((l) => /^peer http:\/\/127\.0\.0\.1:\d+: load \d+ does not match the chain's root: dropped for 60 s$/.test(l)), alone.lines.join('\n'));
        }
        // Every load it did store (wrong-proof, wrong-roots: those checked by the events) is correct.
        assertStoredLoads(flow, alone.store, alone.store.verifiedWrites);
        alone.pool.close();
        // With an honest peer too: everything arrives, all correct.
        const both = await syncer(flow, [proxy.url, server.url], () => true, 2000);
        for (let i = 0; i < 6 && both.sync.status().storedLoads < loads.length; i++) await both.sync.step();
        assertStoredLoads(flow, both.store, loads);
        both.pool.close();
      } finally {
        await proxy.close();
      }
    }
  } finally {
    await server.close();
  }
});

test('rpc: SDK-shaped uploads are proof-checked against the chain, finalize the file, and downloads/proofs verify', async () => {
  const flow = buildFlow([300_000, 2 * 1024 * 1024 + 5, 4097], 5);
  // The node has every tx but #1 (its Submit event is followed, the data is not there yet).
  const store = MemStore.holding(flow);
  const t1 = flow.subs[1]!;
  store.known.fill(0, Number(t1.startPos), Number(t1.startPos + t1.lengthSectors));
  const { server } = await serve(flow, store);
  const c = new RpcClient(server.url);
  try {
    const file = flow.files[1]!;
    const m = fileMerkle(file);
    const root = toHex(m.dataRoot);
    const info0 = (await c.call('zgs_getFileInfo', [root, true])) as { finalized: boolean; tx: { seq: number; startEntryIndex: number; size: number } };
    assert.equal(info0.finalized, false);
    assert.deepEqual([info0.tx.seq, info0.tx.startEntryIndex, info0.tx.size], [1, Number(t1.startPos), file.length]);
    const seg = (i: number, data?: Uint8Array, proofIndex = i): object => {
      const p = m.uploadSegmentProof(proofIndex);
      const from = i * BYTES_PER_LOAD;
      const to = Math.min(file.length, from + BYTES_PER_LOAD);
      // The SDK sends whole sectors, the last one zero-padded.
      const bytes = new Uint8Array(Math.ceil((to - from) / BYTES_PER_SECTOR) * BYTES_PER_SECTOR);
      bytes.set(file.subarray(from, to));
      return { root, data: Buffer.from(data ?? bytes).toString('base64'), index: i, proof: { lemma: p.lemma.map(toHex), path: p.path }, fileSize: file.length };
    };
    const n = m.numSegmentsPadded;
    assert.ok(n >= 9);
    // Not on chain: refused. Wrong index for a proof, and flipped data: refused, nothing stored.
    await assert.rejects(c.call('zgs_uploadSegmentsByTxSeq', [[seg(0)], 99]), (e: unknown) => e instanceof PeerError && /no such transaction/.test(e.message));
    await assert.rejects(c.call('zgs_uploadSegmentsByTxSeq', [[{ ...seg(3), index: 4 }], 1]), /proof is not a proof of segment 4/);
    const flipped = Uint8Array.from(file.subarray(0, BYTES_PER_LOAD));
    flipped[77]! ^= 1;
    await assert.rejects(c.call('zgs_uploadSegmentsByTxSeq', [[seg(0, flipped)], 1]), /do not lead to the data root/);
    assert.equal(store.rangeKnown(t1.startPos, t1.startPos + 1n), false);
    // All segments, out of order and concurrently, last one re-padded by the server.
    const order = Array.from({ length: n }, (_, i) => i).reverse();
    await Promise.all([c.call('zgs_uploadSegmentsByTxSeq', [order.slice(0, 4).map((i) => seg(i)), 1]), c.call('zgs_uploadSegment', [seg(order[4]!)]), c.call('zgs_uploadSegments', [order.slice(5).map((i) => seg(i))])]);
    const info1 = (await c.call('zgs_getFileInfoByTxSeq', [1])) as { finalized: boolean; uploadedSegNum: number };
    assert.equal(info1.finalized, true);
    assert.equal(await c.call('zgs_checkFileFinalized', [1]), true);
    const stored = store.bytes.subarray(Number(t1.startPos) * BYTES_PER_SECTOR, Number(t1.startPos) * BYTES_PER_SECTOR + file.length);
    assert.ok(Buffer.from(stored).equals(Buffer.from(file)));
    assert.ok(store.rangeKnown(t1.startPos, t1.startPos + t1.lengthSectors), 'padding to the end of the last node is known zeros');
    // A second upload of a finalized file: the SDK's "already uploaded and finalized".
    await assert.rejects(c.call('zgs_uploadSegmentsByTxSeq', [[seg(0)], 1]), /already uploaded and finalized/);
    // Downloads: bytes back; segment proofs verify against the data root.
    const got = Buffer.from((await c.call('zgs_downloadSegmentByTxSeq', [1, 1024, 2048])) as string, 'base64');
    assert.ok(got.equals(Buffer.from(file.subarray(BYTES_PER_LOAD, 2 * BYTES_PER_LOAD))));
    for (const i of [0, n - 1]) {
      const w = (await c.call('zgs_downloadSegmentWithProof', [root, i])) as { data: string; proof: { lemma: string[]; path: boolean[] } };
      const want = m.uploadSegmentProof(i);
      assert.deepEqual(w.proof.lemma, want.lemma.map(toHex));
      assert.deepEqual(w.proof.path, want.path);
      assert.equal(w.proof.lemma[w.proof.lemma.length - 1], root);
    }
    // Sector proofs fold to the flow root.
    const ctx = (await c.call('zgs_getFlowContext')) as [string, number];
    const sector = t1.startPos + 1500n;
    const p = (await c.call('zgs_getSectorProof', [sector, ctx[0]])) as { lemma: string[]; path: boolean[] };
    const lemma = p.lemma.map((h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex')));
    const leaf = keccak256(store.bytes.subarray(Number(sector) * 256, Number(sector) * 256 + 256));
    assert.equal(toHex(lemma[0]!), toHex(leaf));
    assert.equal(toHex(foldProof(leaf, sector, lemma.slice(1, -1))), ctx[0]);
    assert.equal(p.path.length, lemma.length - 2);
  } finally {
    c.close();
    await server.close();
  }
});
