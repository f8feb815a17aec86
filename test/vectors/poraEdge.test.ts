import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes.js';
import { SECTORS_PER_LOAD_N, SECTORS_PER_SEAL_N } from '../../src/spec.js';
import { numShards, rangeDigest, recallChunkOffset, recallLoadStart } from '../../src/core/recallRange.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { pora } from '../../src/verify/verifyAnswer.js';
import type { PoraAnswer } from '../../src/types.js';
import { loadPoraEdgeCases, type PoraEdgeCase } from '../helpers/vectors.js';

const cases = loadPoraEdgeCases();

test('pora-edge vectors cover all three kinds', () => {
  const kinds = new Set(cases.map((c) => c.kind));
  assert.deepEqual([...kinds].sort(), ['accepted-boundary', 'accepted-large-sealOffset', 'revert']);
});

function answerOf(c: PoraEdgeCase): PoraAnswer {
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
  const e = c.expected;
  if ('revert' in e) {
    test(`${c.name} reverts "${e.revert}"`, () => {
      const r = pora(answerOf(c), c.subtaskDigest);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : r.reason, e.revert);
    });
    continue;
  }

  test(`${c.name} ${c.kind} intermediates`, () => {
    assert.equal(toHex(rangeDigest(c.range)), toHex(e.rangeDigest), 'rangeDigest');
    const padSeed = computePadSeed(c.minerId, c.nonce, c.subtaskDigest, c.range);
    assert.equal(toHex(padSeed), toHex(e.padSeed), 'padSeed');
    const { pad, padDigest, recallSeed } = computeScratchPad(padSeed);
    assert.equal(toHex(padDigest), toHex(e.padDigest), 'padDigest');
    assert.equal(toHex(recallSeed), toHex(e.recallSeed), 'recallSeed');
    const chunkOffset = recallChunkOffset(c.range, recallSeed);
    assert.equal(recallLoadStart(c.range, chunkOffset), e.recallChunkPosition, 'recallChunkPosition');
    assert.equal(e.recallChunkPosition + c.sealOffset * SECTORS_PER_SEAL_N, e.recallPosition, 'recallPosition');
    assert.equal(numShards(c.range), e.numShards, 'numShards');
    if (c.kind === 'accepted-boundary') assert.equal(chunkOffset * SECTORS_PER_LOAD_N, c.range.mineLength);
    else assert.ok(c.sealOffset >= 64n);
    const quality = poraOutput(c.sealOffset, padSeed, mixSeal(c.sealedData, pad, c.sealOffset));
    assert.equal(toHex(quality), toHex(e.poraOutput), 'poraOutput');
  });

  test(`${c.name} ${c.kind} accepted by pora() with one warning`, () => {
    const r = pora(answerOf(c), c.subtaskDigest);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(toHex(r.quality), toHex(e.poraOutput));
    assert.equal(r.warnings.length, 1);
    const expectedWord = c.kind === 'accepted-boundary' ? /end of the mining range/ : /sealOffset \d+ is outside 0\.\.63/;
    assert.match(r.warnings[0]!, expectedWord);
  });
}
