import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes.js';
import { foldProof, recoverMerkleRoot, sealRoot } from '../../src/core/merkle.js';
import { loadMerkleCases } from '../helpers/vectors.js';

const cases = loadMerkleCases();

test('merkle vectors are present', () => {
  assert.ok(cases.length >= 8, `expected at least 8 merkle cases, found ${cases.length}`);
});

for (const c of cases) {
  test(`${c.name} sealRoot`, () => {
    assert.equal(toHex(sealRoot(c.unsealedData)), toHex(c.expected.sealRoot));
    // The contract with an empty proof returns the seal subtree root itself.
    assert.equal(toHex(recoverMerkleRoot(c.unsealedData, c.recallPosition, [])), toHex(c.expected.sealRoot));
  });

  test(`${c.name} recoveredRoot`, () => {
    assert.equal(toHex(recoverMerkleRoot(c.unsealedData, c.recallPosition, c.merkleProof)), toHex(c.expected.recoveredRoot));
    if (c.merkleProof.length > 0) {
      // Flipping the side of the first step must change the root (the fold really uses the index).
      const flipped = foldProof(c.expected.sealRoot, c.recallPosition / 16n + 1n, c.merkleProof.slice(0, 1));
      const straight = foldProof(c.expected.sealRoot, c.recallPosition / 16n, c.merkleProof.slice(0, 1));
      assert.notEqual(toHex(flipped), toHex(straight));
    }
  });
}
