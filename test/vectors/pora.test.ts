import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToBigInt, toHex } from '../../src/bytes.js';
import { SECTORS_PER_LOAD_N, SECTORS_PER_SEAL_N } from '../../src/spec.js';
import { numShards, rangeDigest, recallChunkOffset, recallInBound, recallLoadStart } from '../../src/core/recallRange.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { pora } from '../../src/verify/verifyAnswer.js';
import type { PoraAnswer } from '../../src/types.js';
import { loadPoraCases, type PoraCase } from '../helpers/vectors.js';

const cases = loadPoraCases();

test('pora vectors are present', () => {
  assert.ok(cases.length >= 10, `expected at least 10 pora cases, found ${cases.length}`);
});

function answerOf(c: PoraCase): PoraAnswer {
  return {
    contextDigest: new Uint8Array(32),
    nonce: c.nonce,
    minerId: c.minerId,
    range: c.range,
    recallPosition: c.recallPosition,
    sealOffset: c.sealOffset,
    sealedContextDigest: new Uint8Array(32),
    sealedData: c.sealedData,
    merkleProof: [],
  };
}

for (const c of cases) {
  test(`${c.name} intermediates`, () => {
    const e = c.expected;
    assert.equal(toHex(rangeDigest(c.range)), toHex(e.rangeDigest), 'rangeDigest');
    const padSeed = computePadSeed(c.minerId, c.nonce, c.subtaskDigest, c.range);
    assert.equal(toHex(padSeed), toHex(e.padSeed), 'padSeed');
    const { pad, padDigest, recallSeed } = computeScratchPad(padSeed);
    assert.equal(toHex(padDigest), toHex(e.padDigest), 'padDigest');
    assert.equal(toHex(pad.subarray(pad.length - 64)), toHex(e.padDigest), 'pad cell 255 = padDigest');
    assert.equal(toHex(recallSeed), toHex(e.recallSeed), 'recallSeed');
    const chunkOffset = recallChunkOffset(c.range, recallSeed);
    assert.ok(recallInBound(c.range, chunkOffset), 'recall in bound');
    assert.equal(recallLoadStart(c.range, chunkOffset), e.recallChunkPosition, 'recallChunkPosition');
    assert.equal(e.recallChunkPosition, c.range.startPosition + chunkOffset * SECTORS_PER_LOAD_N);
    assert.equal(e.recallChunkPosition + c.sealOffset * SECTORS_PER_SEAL_N, e.recallPosition, 'recallPosition');
    assert.equal(c.recallPosition, e.recallPosition, 'input recallPosition');
    assert.equal(numShards(c.range), e.numShards, 'numShards');
    const quality = poraOutput(c.sealOffset, padSeed, mixSeal(c.sealedData, pad, c.sealOffset));
    assert.equal(toHex(quality), toHex(e.poraOutput), 'poraOutput');
  });

  test(`${c.name} pora() verdict`, () => {
    const r = pora(answerOf(c), c.subtaskDigest);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(toHex(r.quality), toHex(c.expected.poraOutput));
    assert.deepEqual(r.warnings, []);
    // One flipped sealed byte changes the quality.
    const flipped = Uint8Array.from(c.sealedData);
    flipped[4095] = flipped[4095]! ^ 1;
    const r2 = pora({ ...answerOf(c), sealedData: flipped }, c.subtaskDigest);
    assert.ok(r2.ok);
    assert.notEqual(bytesToBigInt(r2.quality), bytesToBigInt(c.expected.poraOutput));
  });
}
