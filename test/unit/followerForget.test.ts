/**
 * Imported data comes back after its load is forgotten (issue 9 item 6): the flow follower makes
 * the transactions of a forgotten load pending again (also after a restart: the store's flag is
 * durable), names the `zg-miner import --tx` to run, and stores the file once it is imported.
 * Real store and follower; the chain is a fixed list of Submit events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealedStore } from '../../src/store/sealedStore.js';
import { Scrubber } from '../../src/store/scrub.js';
import { hashLoad } from '../../src/store/loadHash.js';
import { FlowFollower } from '../../src/miner/flowFollower.js';
import { DirDataSource } from '../../src/miner/dataSource.js';
import { TxIndex } from '../../src/sync/txIndex.js';
import type { MinerChain } from '../../src/miner/ports.js';
import type { FlowSubmission } from '../../src/types.js';
import { BYTES_PER_LOAD } from '../../src/spec.js';
import { xorshiftStream } from '../helpers/random.js';

const MINER = new Uint8Array(32).fill(0x5e);

test('follower: the transaction of a forgotten load is pending again (also after a restart) and an imported file brings the load back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-follow-forget-'));
  const data = xorshiftStream(11)(3 * BYTES_PER_LOAD);
  const file = (i: number): Uint8Array => data.slice(i * BYTES_PER_LOAD, (i + 1) * BYTES_PER_LOAD);
  // Three one-load transactions (loads 1..3) in block 5.
  const subs: FlowSubmission[] = [0, 1, 2].map((i) => ({
    txSeq: BigInt(i),
    startPos: BigInt(1024 * (i + 1)),
    lengthSectors: 1024n,
    sizeBytes: BigInt(BYTES_PER_LOAD),
    nodes: [{ root: hashLoad(BigInt(i + 1), file(i)).loadRoot, height: 10 }],
    blockNumber: 5,
  }));
  const chain = {
    blockNumber: async () => 6,
    submissions: async (from: number, to: number) => (from <= 5 && 5 <= to ? subs : []),
  } as unknown as MinerChain;
  const txs = await TxIndex.open(null);
  await txs.add(subs);
  const store = await SealedStore.open(join(dir, 'store'), { minerId: MINER });
  const source = new DirDataSource(join(dir, 'files'));
  const lines: string[] = [];
  const follower = (): FlowFollower =>
    new FlowFollower({
      chain,
      store,
      flowTree: store.flowTree,
      source,
      stateFile: join(dir, 'follower.json'),
      fromBlock: 0,
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(l) },
      txsIn: (a, b) => txs.overlapping(a, b),
    });
  try {
    for (let i = 0; i < 3; i++) await source.put(BigInt(i), file(i));
    const f = follower();
    assert.equal(await f.poll(), 3);
    assert.equal(f.pendingCount, 0);
    assert.equal(store.isLoadComplete(2n), true);
    // The follower is stopped when the scrub forgets the load (it learns of it from the store's flag).
    await f.close();

    const fd = openSync(join(dir, 'store', 'raw.bin'), 'r+');
    writeSync(fd, new Uint8Array([9, 9, 9, 9]), 0, 4, 2 * BYTES_PER_LOAD + 4096);
    closeSync(fd);
    await new Scrubber({ store, minerId: MINER, log: { warn: () => {} } }).scrub(2n);
    assert.deepEqual(store.forgottenLoads(), [2n]);

    lines.length = 0;
    const e = follower();
    assert.equal(await e.poll(), 0);
    assert.equal(e.pendingCount, 1, 'tx 1 (load 2) is pending again');
    assert.deepEqual(lines, ['tx 1: its data in load 2 was forgotten (damaged on disk): pending again (zg-miner import --tx 1 FILE)']);
    assert.equal(await e.poll(), 0);
    assert.equal(e.pendingCount, 1, 'added once');

    // A restart before the import: the pending entry is in the follower's log.
    await e.close();
    const g = follower();
    assert.equal(await g.poll(), 0);
    assert.equal(g.pendingCount, 1);

    // `zg-miner import --tx 1 FILE` puts the file in the data dir; the next poll stores it.
    await source.put(1n, file(1));
    assert.equal(await g.poll(), 1);
    assert.equal(g.pendingCount, 0);
    assert.equal(store.isLoadComplete(2n), true);
    assert.deepEqual(store.forgottenLoads(), []);
    assert.ok(Buffer.from(await store.readRawLoad(2n)).equals(Buffer.from(file(1))));
    assert.equal(store.nextUnsealedLoad(2n), 2n, 'queued for sealing again');

    // A running follower learns of a load forgotten while it runs (the store's forget count changes).
    const fd3 = openSync(join(dir, 'store', 'raw.bin'), 'r+');
    writeSync(fd3, new Uint8Array([7]), 0, 1, 3 * BYTES_PER_LOAD + 100);
    closeSync(fd3);
    await new Scrubber({ store, minerId: MINER, log: { warn: () => {} } }).scrub(3n);
    assert.equal(await g.poll(), 0);
    assert.equal(g.pendingCount, 1, 'tx 2 (load 3) is pending');
    await g.close();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
