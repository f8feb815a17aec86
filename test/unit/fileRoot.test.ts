import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/bytes.js';
import { keccak256 } from '../../src/core/hash.js';
import { completeRoot, hashPair, sectorLeaves, ZERO_HASHES } from '../../src/core/merkle.js';
import {
  dataRootFromNodes,
  fileMerkle,
  numChunks,
  paddedChunks,
  promotingLevels,
  promotingProof,
  splitNodes,
  submissionFor,
  type SegmentProof,
} from '../../src/core/fileRoot.js';
import { Prng } from '../helpers/random.js';

const SECTOR = 256;

/** Folds an SDK-layout proof: the lemma's first entry up the path must give its last entry. */
function foldSdkProof(p: SegmentProof): Uint8Array {
  let h = p.lemma[0]!;
  p.path.forEach((isLeft, k) => {
    h = isLeft ? hashPair(h, p.lemma[k + 1]!) : hashPair(p.lemma[k + 1]!, h);
  });
  return h;
}

test('padding rule (spec §6.4): powers of two stay, others round up to nextPow2/16 (1 below 16)', () => {
  const sectors = (chunks: number): number => paddedChunks(chunks * SECTOR);
  assert.deepEqual([1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33].map(sectors), [1, 2, 3, 4, 5, 7, 8, 15, 16, 18, 32, 36]);
  assert.equal(sectors(1025), 1152); // nextPow2 2048 → multiples of 128
  assert.equal(sectors(3000), 3072);
  assert.equal(sectors(4097), 4608);
  assert.equal(paddedChunks(1), 1);
  assert.equal(paddedChunks(257), 2);
  assert.equal(numChunks(257), 2);
  assert.throws(() => paddedChunks(0), RangeError);
});

test('splitNodes: binary decomposition, largest first, at most 4 nodes after padding', () => {
  assert.deepEqual(splitNodes(1), [0]);
  assert.deepEqual(splitNodes(7), [2, 1, 0]);
  assert.deepEqual(splitNodes(1152), [10, 7]);
  assert.deepEqual(splitNodes(4608), [12, 9]);
  assert.deepEqual(splitNodes(2 ** 40 + 2 ** 37), [40, 37]);
  const rng = new Prng('split');
  for (let k = 0; k < 500; k++) {
    const padded = paddedChunks(rng.range(1, 1 << 30));
    const hs = splitNodes(padded);
    assert.ok(hs.length <= 4, `padded ${padded} → ${hs}`);
    assert.ok(hs[0]! - hs[hs.length - 1]! < 4);
    assert.equal(hs.reduce((s, h) => s + 2 ** h, 0), padded);
  }
});

test('spec §10.1 file roots: 6 and 7 zero sectors', () => {
  const six = fileMerkle(new Uint8Array(6 * SECTOR));
  assert.equal(toHex(six.dataRoot), '0x567c47a879794dd489a210dec17d31cc5919bc427d138d716a8107e025e2dbcb');
  assert.equal(toHex(six.dataRoot), toHex(hashPair(ZERO_HASHES[2]!, ZERO_HASHES[1]!)));
  const seven = fileMerkle(new Uint8Array(7 * SECTOR));
  assert.equal(toHex(seven.dataRoot), '0x294253ab31cbf90dbbbef755a75ff1601da790e35c365f530e7c1a1ca904dcf8');
  assert.deepEqual(seven.submissionNodes.map((n) => [toHex(n.root), n.height]), [
    [toHex(ZERO_HASHES[2]!), 2],
    [toHex(ZERO_HASHES[1]!), 1],
    [toHex(ZERO_HASHES[0]!), 0],
  ]);
});

test('a file with a partial last sector is zero-padded, not truncated', () => {
  const data = new Uint8Array(300).fill(9);
  const m = fileMerkle(data);
  const padded = new Uint8Array(2 * SECTOR);
  padded.set(data);
  assert.equal(toHex(m.dataRoot), toHex(completeRoot(sectorLeaves(padded))));
  assert.deepEqual(m.uploadSegmentProof(0), { index: 0, lemma: [m.dataRoot], path: [] });
});

test('promoting tree: unpaired right-most nodes move up unchanged and add no proof step', () => {
  const leaves = [0, 1, 2, 3, 4].map((i) => keccak256(Uint8Array.of(i)));
  const levels = promotingLevels(leaves);
  const [a, b, c, d, e] = leaves as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const root = hashPair(hashPair(hashPair(a, b), hashPair(c, d)), e);
  assert.equal(toHex(levels[levels.length - 1]![0]!), toHex(root));
  const last = promotingProof(levels, 4);
  assert.equal(last.lemma.length, 3);
  assert.deepEqual(last.path, [false]);
  assert.equal(toHex(last.lemma[1]!), toHex(hashPair(hashPair(a, b), hashPair(c, d))));
  for (let i = 0; i < 5; i++) assert.equal(toHex(foldSdkProof(promotingProof(levels, i))), toHex(root));
  assert.throws(() => promotingProof(levels, 5), RangeError);
});

test('random files: data root = fold of submission nodes = promoting tree over segment roots; every segment proof folds', () => {
  const rng = new Prng('file-roots');
  const sizes = [1, 255, 256, 257, 262144, 262145, 3 * 262144 + 1];
  for (let k = 0; k < 5; k++) sizes.push(rng.range(1, 700_000));
  for (const size of sizes) {
    const data = rng.bytes(size);
    const m = fileMerkle(data);
    const levels = promotingLevels(m.segmentRoots);
    assert.equal(toHex(levels[levels.length - 1]![0]!), toHex(m.dataRoot), `size ${size}`);
    assert.equal(toHex(dataRootFromNodes(m.submissionNodes)), toHex(m.dataRoot));
    assert.equal(m.numSegmentsPadded, Math.ceil(m.paddedChunks / 1024));
    // Node roots are complete trees over their zero-padded sectors.
    const padded = new Uint8Array(m.paddedChunks * SECTOR);
    padded.set(data);
    let offset = 0;
    for (const n of m.submissionNodes) {
      const bytes = padded.subarray(offset * SECTOR, (offset + 2 ** n.height) * SECTOR);
      assert.equal(toHex(n.root), toHex(completeRoot(sectorLeaves(bytes))), `size ${size} node h=${n.height}`);
      offset += 2 ** n.height;
    }
    for (let i = 0; i < m.segmentRoots.length; i++) {
      const p = m.uploadSegmentProof(i);
      assert.equal(toHex(p.lemma[0]!), toHex(m.segmentRoots.length === 1 ? m.dataRoot : m.segmentRoots[i]!));
      assert.equal(toHex(foldSdkProof(p)), toHex(m.dataRoot));
      assert.equal(toHex(p.lemma[p.lemma.length - 1]!), toHex(m.dataRoot));
    }
    const sub = submissionFor(data, Uint8Array.of(1, 2));
    assert.equal(sub.length, BigInt(size));
    assert.deepEqual(sub.tags, Uint8Array.of(1, 2));
    assert.deepEqual(sub.nodes.map((n) => toHex(n.root)), m.submissionNodes.map((n) => toHex(n.root)));
  }
});
