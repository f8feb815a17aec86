import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes.js';
import { fileMerkle, numChunks, paddedChunks, splitNodes, submissionFor } from '../../src/core/fileRoot.js';
import { loadFileRootCases } from '../helpers/vectors.js';

const cases = loadFileRootCases();

test('file-root vectors are present', () => {
  assert.ok(cases.length >= 7, `expected at least 7 file-root cases, found ${cases.length}`);
});

for (const c of cases) {
  test(`${c.name} sizes, dataRoot, submission nodes and segment proofs`, () => {
    assert.equal(c.data.length, c.size);
    assert.equal(numChunks(c.size), c.numChunks, 'numChunks');
    assert.equal(paddedChunks(c.size), c.paddedChunks, 'paddedChunks');
    assert.deepEqual(splitNodes(c.paddedChunks), c.submissionNodes.map((n) => n.height), 'node heights');

    const m = fileMerkle(c.data);
    assert.equal(m.numChunks, c.numChunks);
    assert.equal(m.paddedChunks, c.paddedChunks);
    assert.equal(m.numSegmentsPadded, c.numSegmentsPadded);
    assert.equal(toHex(m.dataRoot), toHex(c.dataRoot), 'dataRoot');
    assert.deepEqual(
      m.submissionNodes.map((n) => ({ root: toHex(n.root), height: n.height })),
      c.submissionNodes.map((n) => ({ root: toHex(n.root), height: n.height })),
      'submission nodes'
    );
    assert.equal(m.segmentRoots.length, c.uploadSegmentProofs.length);
    for (const p of c.uploadSegmentProofs) {
      const got = m.uploadSegmentProof(p.index);
      assert.equal(got.index, p.index);
      assert.deepEqual(got.lemma.map(toHex), p.lemma.map(toHex), `segment ${p.index} lemma`);
      assert.deepEqual(got.path, p.path, `segment ${p.index} path`);
    }

    const sub = submissionFor(c.data);
    assert.equal(sub.length, BigInt(c.size));
    assert.deepEqual(sub.nodes.map((n) => n.height), c.submissionNodes.map((n) => BigInt(n.height)));
  });
}
