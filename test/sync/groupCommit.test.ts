import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealedStore } from '../../src/store/sealedStore.js';
import { hashLoad } from '../../src/store/loadHash.js';
import { BYTES_PER_LOAD } from '../../src/spec.js';
import { xorshiftStream } from '../helpers/random.js';

test('writeVerifiedLoads: one commit for many loads; a load that disagrees with the flow tree writes nothing of the batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-group-commit-'));
  try {
    const rnd = xorshiftStream(9);
    const loads = [1n, 2n, 3n].map((l) => ({ loadIndex: l, bytes: rnd(BYTES_PER_LOAD) }));
    const roots = loads.map((x) => hashLoad(x.loadIndex, x.bytes));
    const store = await SealedStore.open(join(dir, 'store'), { minerId: new Uint8Array(32) });
    try {
      // Three height-10 submissions: loads 1, 2, 3 (load 0 is the placeholder gap).
      for (let i = 0; i < 3; i++)
        await store.flowTree.addSubmission({ txSeq: BigInt(i), startPos: BigInt(1024 * (i + 1)), lengthSectors: 1024n, sizeBytes: BigInt(BYTES_PER_LOAD), nodes: [{ root: roots[i]!.loadRoot, height: 10 }], blockNumber: 1 });
      const bad = { ...loads[2]!, roots: { ...roots[2]!, loadRoot: roots[1]!.loadRoot } };
      await assert.rejects(store.writeVerifiedLoads([{ ...loads[0]!, roots: roots[0]! }, bad]), /disagrees with the flow tree/);
      assert.equal(store.rangeKnown(1024n, 2048n), false, 'the good load of a refused batch is not stored either');
      await store.writeVerifiedLoads(loads.map((x, i) => ({ ...x, roots: roots[i]! })));
      for (const x of loads) {
        assert.ok(store.isLoadComplete(x.loadIndex));
        assert.ok(Buffer.from(await store.readRawLoad(x.loadIndex)).equals(Buffer.from(x.bytes)));
      }
    } finally {
      await store.close();
    }
    // Durable: a reopen sees all three.
    const again = await SealedStore.open(join(dir, 'store'), { minerId: new Uint8Array(32) });
    try {
      for (const x of loads) assert.ok(again.isLoadComplete(x.loadIndex));
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
