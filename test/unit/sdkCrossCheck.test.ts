/**
 * Property test against the official 0G TypeScript SDK (`@0gfoundation/0g-ts-sdk`, a
 * devDependency used only here): for seeded-random file sizes from 1 byte to 4 MiB, our data
 * root, submission nodes and upload segment proofs must equal the SDK's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemData } from '@0gfoundation/0g-ts-sdk';
import { toHex } from '../../src/bytes.js';
import { fileMerkle, submissionFor } from '../../src/core/fileRoot.js';
import { Prng } from '../helpers/random.js';

const MAX_SIZE = 4 * 1024 * 1024;
const rng = new Prng('sdk-cross-check');
// Edges (one sector, segment boundaries, the 4 MiB top) plus log-uniform random sizes.
const sizes = [1, 256, 257, 4095, 262144, 262145, 1024 * 1024 + 1, MAX_SIZE];
for (let k = 0; k < 10; k++) sizes.push(Math.min(MAX_SIZE, 1 + Math.floor(2 ** (rng.int(22_000) / 1000))));

for (const size of sizes) {
  test(`SDK cross-check: ${size}-byte file`, async () => {
    const data = rng.bytes(size);
    const mine = fileMerkle(data);

    const file = new MemData(data);
    const [tree, treeErr] = await file.merkleTree();
    assert.equal(treeErr, null);
    assert.ok(tree !== null);
    assert.equal(toHex(mine.dataRoot), tree.rootHash(), 'dataRoot');
    assert.equal(mine.numChunks, file.numChunks());
    assert.equal(mine.numSegmentsPadded, file.numSegmentsPadded());
    assert.equal(mine.segmentRoots.length, tree.leaves.length);

    const [submission, subErr] = await file.createSubmission('0x');
    assert.equal(subErr, null);
    assert.ok(submission !== null);
    const sdkNodes = submission.data.nodes.map((n) => ({ root: String(n.root), height: BigInt(n.height) }));
    const ours = submissionFor(data);
    assert.deepEqual(ours.nodes.map((n) => ({ root: toHex(n.root), height: n.height })), sdkNodes, 'submission nodes');
    assert.equal(ours.length, BigInt(submission.data.length));

    for (let i = 0; i < tree.leaves.length; i++) {
      const sdkProof = tree.proofAt(i);
      const p = mine.uploadSegmentProof(i);
      assert.deepEqual(p.lemma.map(toHex), sdkProof.lemma, `segment ${i} lemma`);
      assert.deepEqual(p.path, sdkProof.path, `segment ${i} path`);
    }
  });
}
