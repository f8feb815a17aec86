import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes.js';
import { seal, sealSeed, unseal } from '../../src/core/seal.js';
import { keccak256 } from '../../src/core/hash.js';
import { loadUnsealCases } from '../helpers/vectors.js';

const cases = loadUnsealCases();

test('unseal vectors are present', () => {
  assert.ok(cases.length >= 8, `expected at least 8 unseal cases, found ${cases.length}`);
});

for (const c of cases) {
  test(`${c.name} unsealedData`, () => {
    const got = unseal(c.sealedData, c.minerId, c.sealedContextDigest, c.recallPosition);
    assert.equal(toHex(got), toHex(c.expected.unsealedData));
    // Word 0 is masked by the seal seed, word 1 by keccak(sealed word 0).
    const mask0 = sealSeed(c.minerId, c.sealedContextDigest, c.recallPosition);
    for (let i = 0; i < 32; i++) assert.equal(got[i], c.sealedData[i]! ^ mask0[i]!);
    const mask1 = keccak256(c.sealedData.subarray(0, 32));
    for (let i = 0; i < 32; i++) assert.equal(got[32 + i], c.sealedData[32 + i]! ^ mask1[i]!);
  });

  test(`${c.name} seal round trip`, () => {
    const resealed = seal(c.expected.unsealedData, c.minerId, c.sealedContextDigest, c.recallPosition);
    assert.equal(toHex(resealed), toHex(c.sealedData));
  });
}
