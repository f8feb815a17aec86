/**
 * The follower's pending transactions are an index of work to do: a poll retries those whose file
 * has arrived plus a bounded sweep (for data synced from peers), not every pending one (#13 item 4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowFollower, PENDING_SWEEP } from '../../src/miner/flowFollower.js';
import { DirDataSource, nodeRootsFor } from '../../src/miner/dataSource.js';
import type { FlowSubmissionView, FlowTreePort, MinerChain, MinerStore } from '../../src/miner/ports.js';

const PENDING = 2000;
const SIZE = 1024; // 4 sectors per file, one file per load

function submissions(): FlowSubmissionView[] {
  return Array.from({ length: PENDING }, (_, k) => {
    const data = fileOf(k);
    return { txSeq: BigInt(k), startPos: BigInt(1024 * (k + 1)), lengthSectors: 4n, sizeBytes: BigInt(SIZE), nodes: [{ root: nodeRootsFor(data, [2])[0]!, height: 2 }], blockNumber: 1 };
  });
}
function fileOf(k: number): Uint8Array {
  return new Uint8Array(SIZE).fill((k % 250) + 1);
}

test('follower: an idle poll with 2,000 pending transactions reads no file; an arrived file is stored on the next poll; peer-held data drains by the sweep', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-follower-'));
  try {
    const subs = submissions();
    const known = new Set<bigint>(); // startPos of stored transactions
    const held = new Set<bigint>(); // txSeqs a peer sync has stored
    let head = 1;
    const chain = { blockNumber: async () => head, submissions: async (from: number, to: number) => (from <= 1 && 1 <= to ? subs : []) } as unknown as MinerChain;
    const store = {
      rangeKnown: (a: bigint) => known.has(a),
      markKnownZero: async () => {},
      writeSubmission: async (a: bigint) => void known.add(a),
    } as unknown as MinerStore;
    const tree = { addSubmission: async () => ({ startSector: 0n, endSector: 0n }), length: () => 1n } as unknown as FlowTreePort;
    const files = new DirDataSource(join(dir, 'files'));
    let reads = 0;
    const source = { fileData: (t: bigint, n: bigint) => (reads++, files.fileData(t, n)), remove: (t: bigint) => files.remove(t), available: () => files.available() };
    const follower = new FlowFollower({
      chain,
      store,
      flowTree: tree,
      source,
      stateFile: join(dir, 'follower.json'),
      fromBlock: 0,
      held: (s) => held.has(s.txSeq),
      log: { info: () => {}, warn: () => {} },
    });
    assert.equal(await follower.poll(), 0);
    assert.equal(follower.pendingCount, PENDING);
    reads = 0;
    head = 2;
    assert.equal(await follower.poll(), 0);
    assert.equal(reads, 0, 'an idle poll must not try every pending transaction');

    // A file arrives (as `zg-miner import` puts it): exactly that one is read and stored.
    mkdirSync(join(dir, 'files'), { recursive: true });
    writeFileSync(join(dir, 'files', '1234.bin'), fileOf(1234));
    writeFileSync(join(dir, 'files', '99999.bin'), fileOf(7)); // a file for no known transaction
    assert.equal(await follower.poll(), 1);
    assert.equal(reads, 1);
    assert.ok(known.has(1024n * 1235n));
    assert.equal(follower.pendingCount, PENDING - 1);

    // Data synced from peers leaves the pending list within ceil(n / PENDING_SWEEP) polls, each bounded.
    for (const s of subs) if (s.txSeq % 2n === 0n) held.add(s.txSeq);
    const polls = Math.ceil(PENDING / PENDING_SWEEP);
    for (let k = 0; k < polls; k++) await follower.poll();
    assert.equal(follower.pendingCount, PENDING / 2, "the odd transactions are left (1234, stored from its file, was even)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follower: a data source that cannot list its files still gets every pending transaction retried', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-follower-'));
  try {
    const subs = submissions().slice(0, 10);
    const stored: bigint[] = [];
    const chain = { blockNumber: async () => 1, submissions: async () => subs } as unknown as MinerChain;
    const store = { rangeKnown: () => false, markKnownZero: async () => {}, writeSubmission: async (a: bigint) => void stored.push(a) } as unknown as MinerStore;
    const tree = { addSubmission: async () => ({ startSector: 0n, endSector: 0n }), length: () => 1n } as unknown as FlowTreePort;
    const have = new Set<bigint>();
    const follower = new FlowFollower({
      chain,
      store,
      flowTree: tree,
      source: { fileData: async (t: bigint) => (have.has(t) ? fileOf(Number(t)) : null) },
      stateFile: join(dir, 'follower.json'),
      fromBlock: 0,
      log: { info: () => {}, warn: () => {} },
    });
    await follower.poll();
    assert.equal(follower.pendingCount, 10);
    have.add(9n);
    assert.equal(await follower.poll(), 1);
    assert.deepEqual(stored, [1024n * 10n]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follower: a data dir from before the transaction index gets it back-filled from the chain (the events are read again)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-follower-'));
  try {
    const subs = submissions().slice(0, 5);
    const stateFile = join(dir, 'follower.json');
    // The follower had passed every event (block 1) and stored everything before the index existed.
    writeFileSync(stateFile, JSON.stringify({ nextBlock: 7, flowEnd: String(1024 * 6), pending: [] }));
    const chain = { blockNumber: async () => 9, submissions: async (from: number, to: number) => (from <= 1 && 1 <= to ? subs : []) } as unknown as MinerChain;
    const writes: bigint[] = [];
    const store = { rangeKnown: () => true, markKnownZero: async () => {}, writeSubmission: async (a: bigint) => void writes.push(a) } as unknown as MinerStore;
    const added: bigint[] = [];
    const tree = { addSubmission: async () => ({ startSector: 0n, endSector: 0n }), length: () => 6n * 1024n } as unknown as FlowTreePort;
    const indexed: bigint[] = [];
    const infos: string[] = [];
    const follower = new FlowFollower({
      chain,
      store,
      flowTree: { ...tree, addSubmission: async (s: FlowSubmissionView) => (added.push(s.txSeq), { startSector: 0n, endSector: 0n }) } as unknown as FlowTreePort,
      source: { fileData: async () => null },
      stateFile,
      fromBlock: 0,
      onSubmissions: async (s) => void indexed.push(...s.map((x) => x.txSeq)),
      needsEventReplay: () => indexed.length === 0,
      log: { info: (l) => infos.push(l), warn: () => {} },
    });
    await follower.poll();
    assert.deepEqual(indexed, [0n, 1n, 2n, 3n, 4n], 'the index is filled');
    assert.deepEqual(writes, [], 'stored data is not rewritten');
    assert.equal(follower.pendingCount, 0);
    assert.equal(follower.syncedBlock, 9);
    assert.ok(infos.some((l) => /transaction index is empty: re-reading Submit events from block 0/.test(l)), infos.join('\n'));
    await follower.poll();
    assert.equal(indexed.length, 5, 'once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follower: the state file stays small with 2,000 pending (they live in the pending log); an old inline list migrates; a re-read event is not pending twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zgm-follower-'));
  try {
    const subs = submissions();
    const stateFile = join(dir, 'follower.json');
    let head = 1;
    const chain = { blockNumber: async () => head, submissions: async (from: number, to: number) => (from <= 1 && 1 <= to ? subs : []) } as unknown as MinerChain;
    const store = { rangeKnown: () => false, markKnownZero: async () => {}, writeSubmission: async () => {} } as unknown as MinerStore;
    // A tree that holds the events (length past one load), so no replay is asked for.
    const tree = { addSubmission: async () => ({ startSector: 0n, endSector: 0n }), length: () => 1024n * 4096n } as unknown as FlowTreePort;
    const make = (): FlowFollower =>
      new FlowFollower({ chain, store, flowTree: tree, source: { fileData: async () => null, available: async () => new Set() }, stateFile, fromBlock: 0, log: { info: () => {}, warn: () => {} } });
    let f = make();
    await f.poll();
    assert.equal(f.pendingCount, PENDING);
    assert.ok(statSync(stateFile).size < 200, `follower.json is ${statSync(stateFile).size} bytes`);
    await f.close();

    // A crash after the log was made durable but before the state file moved on: the block is
    // read again, and its transactions are not added a second time.
    writeFileSync(stateFile, JSON.stringify({ nextBlock: 0, flowEnd: '0' }));
    f = make();
    await f.poll();
    assert.equal(f.pendingCount, PENDING);
    await f.close();
    f = make();
    head = 3;
    await f.poll();
    assert.equal(f.pendingCount, PENDING, 'reopened from the log');
    await f.close();

    // A state file from before the log, with its pending list inline: the list moves to the log.
    rmSync(join(dir, 'follower.pending.jsonl'));
    const inline = subs.slice(0, 3).map((s) => ({ txSeq: String(s.txSeq), startPos: String(s.startPos), lengthSectors: '4', sizeBytes: String(SIZE), nodes: [{ root: Buffer.from(s.nodes[0]!.root).toString('hex'), height: 2 }] }));
    writeFileSync(stateFile, JSON.stringify({ nextBlock: 4, flowEnd: String(1024 * 4), pending: inline }));
    f = make();
    await f.poll();
    assert.equal(f.pendingCount, 3);
    assert.ok(!('pending' in JSON.parse(readFileSync(stateFile, 'utf8'))), 'the inline list is gone from the state file');
    await f.close();
    f = make();
    await f.poll();
    assert.equal(f.pendingCount, 3);
    await f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
