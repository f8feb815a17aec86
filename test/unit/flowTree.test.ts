import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes.js';
import { keccak256 } from '../../src/core/hash.js';
import { completeRoot, foldProof, hashPair, recoverMerkleRoot, sealRoot, sectorLeaves, siblingPath, ZERO_HASHES } from '../../src/core/merkle.js';
import {
  FlowTree,
  foldLoadRoot,
  loadRoot,
  loadSealProof,
  nextAlign,
  sealProofFromLoad,
  treeHeight,
  verifyLoad,
} from '../../src/core/flowTree.js';
import { paddedChunks, splitNodes, submissionFor } from '../../src/core/fileRoot.js';
import { Prng } from '../helpers/random.js';

const SECTOR = 256;
const SEAL_BYTES = 4096;
const LOAD_BYTES = 262144;

/** Sector p of the spec's examples: all bytes `tag`, except byte0 = p & 0xff, byte1 = (p >> 8) & 0xff. */
function taggedSectors(start: number, count: number, tag: number): Uint8Array {
  const out = new Uint8Array(count * SECTOR).fill(tag);
  for (let k = 0; k < count; k++) {
    out[k * SECTOR] = (start + k) & 0xff;
    out[k * SECTOR + 1] = ((start + k) >> 8) & 0xff;
  }
  return out;
}

/**
 * The simple reference tree of spec §6.1: leaves 0..L-1 (leaf 0 = 0x00…00), padded with
 * ZERO_HASHES[0] to the next power of two, complete binary tree.
 */
class ReferenceFlow {
  data = new Uint8Array(1 << 16);
  /** Leaf hashes by position (gaps: keccak of a zero sector), kept so roots only hash pairs. */
  leaves: Uint8Array[] = [new Uint8Array(32)];
  length = 1;

  #ensure(bytes: number): void {
    if (bytes <= this.data.length) return;
    let n = this.data.length;
    while (n < bytes) n *= 2;
    const grown = new Uint8Array(n);
    grown.set(this.data);
    this.data = grown;
  }
  /** Writes sectors at position `pos` >= length (the sectors in between stay zero). */
  write(pos: number, sectors: Uint8Array): void {
    this.#ensure(pos * SECTOR + sectors.length);
    this.data.set(sectors, pos * SECTOR);
    while (this.leaves.length < pos) this.leaves.push(ZERO_HASHES[0]!);
    this.leaves.push(...sectorLeaves(sectors));
    this.length = pos + sectors.length / SECTOR;
  }
  /** The flow bytes as the tree of length L sees them: sectors at and after L are zero. */
  bytesAt(L: number, from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    const end = Math.min(to, L * SECTOR);
    if (end > from) out.set(this.data.subarray(from, end));
    return out;
  }
  rootAt(L: number): Uint8Array {
    const leaves = this.leaves.slice(0, L);
    let p2 = 1;
    while (p2 < L) p2 *= 2;
    while (leaves.length < p2) leaves.push(ZERO_HASHES[0]!);
    return completeRoot(leaves);
  }
}

test('treeHeight and nextAlign follow the spec', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 1024, 1025, 4096, 4097].map((n) => treeHeight(n)), [0, 1, 2, 2, 3, 10, 11, 12, 13]);
  assert.equal(treeHeight(1n << 40n), 40);
  assert.throws(() => treeHeight(0), RangeError);
  assert.deepEqual([nextAlign(0, 5), nextAlign(1, 3), nextAlign(8, 3), nextAlign(9, 3), nextAlign(1025, 10)], [0, 8, 8, 16, 2048]);
});

test('a fresh tree has length 1 and root 0x00…00', () => {
  const t = new FlowTree();
  assert.equal(t.length, 1n);
  assert.equal(t.height, 0);
  assert.equal(toHex(t.root()), '0x' + '00'.repeat(32));
  assert.deepEqual(t.proofAt(0, 0), []);
});

test('spec §10.3 insertion example: all five roots, by sectors and by subtree roots', () => {
  const steps: [number, number, number, string][] = [
    [3, 0x11, 8, '0x3ab2bbb385f55b3e2bd650ad7e4093e41dc5a82d19e13706eef3ef3a60e84385'],
    [10, 0x22, 1024, '0x392445186c365bade0cef84b3118ebc830d57323dc3ed504a04a923f9fb7be9a'],
    [2, 0x33, 2048, '0x0c52bdd13933f5be6fe8b1bacd10c0a2ca366c948b4f95a75d047b43ea6bb9f1'],
    [0, 0x44, 2052, '0x302dd76a3d32c2b12abc9722ce0f1e1eec398deaebb60931fb13234617fced69'],
    [5, 0x55, 2080, '0x050ea2becc708af712ff051962db572c6549b39c8e42634998068da532de001f'],
  ];
  const bySectors = new FlowTree();
  const byRoots = new FlowTree();
  const ref = new ReferenceFlow();
  for (const [h, tag, start, root] of steps) {
    const data = taggedSectors(start, 2 ** h, tag);
    assert.equal(bySectors.insertSubtreeSectors(data), BigInt(start));
    assert.equal(byRoots.insertNode(completeRoot(sectorLeaves(data)), h), BigInt(start));
    ref.write(start, data);
    assert.equal(toHex(bySectors.root()), root, `root after h=${h}`);
    assert.equal(toHex(byRoots.root()), root, `root after h=${h} (insertNode)`);
    assert.equal(toHex(ref.rootAt(ref.length)), root, `reference root after h=${h}`);
    assert.equal(bySectors.length, BigInt(start + 2 ** h));
  }
  // The older roots are still reachable, from both trees.
  for (const [h, , start, root] of steps) {
    assert.equal(toHex(bySectors.rootAt(start + 2 ** h)), root);
    assert.equal(toHex(byRoots.rootAt(start + 2 ** h)), root);
  }
  // Proofs above the inserted heights agree between the two trees; below them byRoots cannot know.
  assert.deepEqual(byRoots.proofAt(5, 65).map(toHex), bySectors.proofAt(5, 65).map(toHex));
  assert.deepEqual(byRoots.proofAt(10, 1).map(toHex), bySectors.proofAt(10, 1).map(toHex));
  assert.throws(() => byRoots.proofForSeal(70), /added by its root only/);
  assert.equal(bySectors.proofForSeal(70).length, bySectors.height - 4);
});

/** The §10.2 flow: sector 0 placeholder, sector p = 0x5a… with byte0/byte1 = p. */
function workedExampleFlow(): { tree: FlowTree; data: Uint8Array } {
  const data = taggedSectors(0, 4096, 0x5a);
  const tree = new FlowTree();
  tree.appendSectors(data.subarray(SECTOR));
  return { tree, data };
}

test('spec §10.2 worked example: flowRoot (height 12) and the 8-entry merkleProof of recallPosition 1200', () => {
  const { tree, data } = workedExampleFlow();
  assert.equal(tree.length, 4096n);
  assert.equal(tree.height, 12);
  assert.equal(toHex(tree.root()), '0x9b80e9da73558970ef6320a63b09e7fab4ba9569459dcad2777fe108707e631e');
  const proof = tree.proofForSeal(1200 / 16);
  assert.deepEqual(proof.map(toHex), [
    '0x8d291b8754e8536a51993989c5a6a55b4c164987529c9011959a2b697cac066b',
    '0x2bcb6979b6beb818eb4215c38aade7371f768581dc708a1570bf52529b8f8b2c',
    '0x8ba447627d621b195945fb30104fe342b3637096371030498734c9b5efdac9f1',
    '0x3f959c36d341d54f2be1edefb521fad14c6bae257dcb0052e74265471a7aff6c',
    '0xf803e89b2a8d97b6d628984a5a10efb11a5f7e249606332a72139154184d9a2a',
    '0xfabbdfe0cf7eaf6ba0d52606d496661b6e4e0f52538a6740487a6884bcc9800d',
    '0xfea254c15ac9b67893fc636aa931496d118cd5eab990d8dbc8a94e0ad3ce4106',
    '0x97fe71723a8bba2e40e4973913e661cc3dc9cacac8830c8514534a73f93dc66e',
  ]);
  const unsealed = data.subarray(1200 * SECTOR, 1200 * SECTOR + SEAL_BYTES);
  assert.equal(toHex(recoverMerkleRoot(unsealed, 1200n, proof)), toHex(tree.root()));
  // The load-based path (spec §9.3 step 6) gives the same proof.
  const load1 = data.subarray(LOAD_BYTES, 2 * LOAD_BYTES);
  assert.deepEqual(sealProofFromLoad(load1, 1n, (1200 - 1024) / 16, tree.topProofForLoad(1)).map(toHex), proof.map(toHex));
});

test('load roots: leaf-0 rule for load 0, fromLoadRoots, top proofs and verifyLoad', () => {
  const { tree, data } = workedExampleFlow();
  const loads = [0, 1, 2, 3].map((l) => data.subarray(l * LOAD_BYTES, (l + 1) * LOAD_BYTES));
  const roots = loads.map((load, l) => loadRoot(load, BigInt(l)));
  roots.forEach((r, l) => assert.equal(toHex(r), toHex(tree.nodeAt(10, l)), `load ${l}`));
  // Sector 0 of load 0 holds 0x5a… bytes, but its leaf is the literal zero: not keccak(sector).
  assert.notEqual(toHex(loadRoot(loads[0]!, 0n)), toHex(loadRoot(loads[0]!, 1n)));
  const leaves = sectorLeaves(loads[0]!);
  leaves[0] = new Uint8Array(32);
  assert.equal(toHex(loadRoot(loads[0]!, 0n)), toHex(completeRoot(leaves)));

  const fromRoots = FlowTree.fromLoadRoots(roots);
  assert.equal(fromRoots.length, 4096n);
  assert.equal(toHex(fromRoots.root()), toHex(tree.root()));
  for (let l = 0; l < 4; l++) {
    const top = fromRoots.topProofForLoad(l);
    assert.equal(top.length, 2);
    assert.deepEqual(top.map(toHex), tree.topProofForLoad(l).map(toHex));
    assert.equal(toHex(foldLoadRoot(roots[l]!, BigInt(l), top)), toHex(tree.root()));
    assert.ok(verifyLoad(loads[l]!, BigInt(l), top, tree.root()));
    const tampered = Uint8Array.from(loads[l]!);
    tampered[SECTOR * 5 + 7] = tampered[SECTOR * 5 + 7]! ^ 0x80;
    assert.equal(verifyLoad(tampered, BigInt(l), top, tree.root()), false);
    assert.equal(verifyLoad(loads[l]!, BigInt(l ^ 1), top, tree.root()), false);
    if (l < 2) for (const s of [0, 37, 63]) {
      assert.deepEqual(loadSealProof(loads[l]!, BigInt(l), s).map(toHex), tree.proofAt(4, l * 64 + s, 4096).slice(0, 6).map(toHex));
    }
  }
  // A load-root-only tree cannot give in-load siblings, and says why.
  assert.throws(() => fromRoots.proofForSeal(3), /added by its root only/);
  // It keeps growing like any tree: a partial tail load from its sectors.
  fromRoots.appendSectors(taggedSectors(4096, 100, 0x5a));
  tree.appendSectors(taggedSectors(4096, 100, 0x5a));
  assert.equal(toHex(fromRoots.root()), toHex(tree.root()));
  assert.equal(toHex(fromRoots.rootAt(4096)), '0x9b80e9da73558970ef6320a63b09e7fab4ba9569459dcad2777fe108707e631e');
  assert.throws(() => loadRoot(new Uint8Array(100), 0n), RangeError);
  assert.throws(() => FlowTree.fromLoadRoots([]), RangeError);
});

test('Flow.submit pad rule (spec §6.3): a submission that would cross a segment from mid-segment starts at the next one', () => {
  const cases: { before: number; heights: number[]; startPos: number; after: number }[] = [
    { before: 1, heights: [4, 2], startPos: 16, after: 36 }, // [16, 36) stays in segment 0
    { before: 1000, heights: [6], startPos: 1024, after: 1088 }, // aligned start: no pad needed
    { before: 1020, heights: [2], startPos: 1020, after: 1024 }, // ends exactly at the boundary
    { before: 1030, heights: [3, 1], startPos: 1032, after: 1042 },
    { before: 2000, heights: [5, 4], startPos: 2048, after: 2096 }, // [2016, 2064) would cross 2048
    { before: 1021, heights: [1, 0], startPos: 1024, after: 1027 }, // [1022, 1025) would cross 1024
    { before: 5, heights: [10, 9], startPos: 1024, after: 2560 },
  ];
  for (const c of cases) {
    const t = new FlowTree();
    if (c.before > 1) t.appendSectors(new Uint8Array((c.before - 1) * SECTOR).fill(7));
    const nodes = c.heights.map((h, k) => ({ root: keccak256(Uint8Array.of(h, k)), height: BigInt(h) }));
    const r = t.submit(nodes);
    assert.equal(r.startPos, BigInt(c.startPos), `startPos for ${JSON.stringify(c)}`);
    assert.equal(t.length, BigInt(c.after));
    assert.equal(r.length, BigInt(c.heights.reduce((s, h) => s + 2 ** h, 0)));
  }
  const t = new FlowTree();
  assert.throws(() => t.submit([]), RangeError);
  assert.throws(() => t.submit([{ root: new Uint8Array(32), height: 2 }, { root: new Uint8Array(32), height: 2 }]), /strictly decrease/);
});

test('submitFile equals submit(submissionFor(data)) and keeps every leaf', () => {
  const rng = new Prng('submitFile');
  const a = new FlowTree();
  const b = new FlowTree();
  for (const size of [1, 300, 5000, 70000, 262145, 33]) {
    const data = rng.bytes(size);
    const ra = a.submitFile(data);
    const rb = b.submit(submissionFor(data).nodes);
    assert.deepEqual(ra, rb);
    assert.equal(ra.length, BigInt(paddedChunks(size)));
    assert.equal(toHex(a.root()), toHex(b.root()));
    // The file's first seal is provable from its bytes when it starts on a seal boundary.
    if (ra.startPos % 16n === 0n) {
      const seal = new Uint8Array(SEAL_BYTES);
      seal.set(data.subarray(0, SEAL_BYTES));
      if (paddedChunks(size) >= 16) assert.equal(toHex(recoverMerkleRoot(seal, ra.startPos, a.proofForSeal(ra.startPos / 16n))), toHex(a.root()));
    }
  }
  assert.deepEqual(splitNodes(paddedChunks(262145)), [10, 7]);
});

/** A random flow built through every append path, checked against the reference at each step. */
function randomFlow(seed: string, targetSectors: number): { tree: FlowTree; ref: ReferenceFlow; lengths: number[] } {
  const rng = new Prng(seed);
  const tree = new FlowTree();
  const ref = new ReferenceFlow();
  const lengths: number[] = [1];
  while (ref.length < targetSectors) {
    const op = rng.int(3);
    if (op === 0) {
      const n = rng.range(1, 300);
      const data = rng.bytes(n * SECTOR);
      assert.equal(tree.appendSectors(data), BigInt(ref.length));
      ref.write(ref.length, data);
    } else if (op === 1) {
      const h = rng.int(9);
      const data = rng.bytes(2 ** h * SECTOR);
      const start = nextAlign(ref.length, h);
      assert.equal(tree.insertSubtreeSectors(data), BigInt(start));
      ref.write(start, data);
    } else {
      const size = rng.range(1, 600_000);
      const data = rng.bytes(size);
      const heights = splitNodes(paddedChunks(size));
      const total = heights.reduce((s, h) => s + 2 ** h, 0);
      // The pad rule, stated independently of the implementation.
      let start = nextAlign(ref.length, heights[0]!);
      if (start % 1024 !== 0 && Math.floor(start / 1024) !== Math.floor((start + total - 1) / 1024)) start = Math.ceil(start / 1024) * 1024;
      const r = tree.submitFile(data);
      assert.equal(r.startPos, BigInt(start));
      const padded = new Uint8Array(total * SECTOR);
      padded.set(data);
      ref.write(start, padded);
    }
    assert.equal(tree.length, BigInt(ref.length));
    lengths.push(ref.length);
  }
  return { tree, ref, lengths };
}

/** Folds seal proofs of the tree of length L back to `root`: every seal, or every `step`-th one. */
function checkAllSeals(tree: FlowTree, ref: ReferenceFlow, L: number, root: Uint8Array, step = 1): number {
  let checked = 0;
  for (let s = 1; s * 16 < L; s += step) {
    const proof = tree.proofForSeal(s, L);
    assert.equal(proof.length, Math.max(0, treeHeight(L) - 4));
    const unsealed = ref.bytesAt(L, s * SEAL_BYTES, (s + 1) * SEAL_BYTES);
    const got = recoverMerkleRoot(unsealed, BigInt(s * 16), proof);
    if (toHex(got) !== toHex(root)) assert.fail(`seal ${s} of the tree of length ${L} does not fold to its root`);
    checked++;
  }
  // Seal 0 holds the placeholder leaf: it folds only from its real subtree root, not from data.
  if (L > 1) {
    const sealZeroRoot = tree.nodeAt(4, 0, L);
    assert.equal(toHex(foldProof(sealZeroRoot, 0n, tree.proofForSeal(0, L))), toHex(root));
  }
  return checked;
}

test('random flow: roots after every append equal the reference tree, every seal folds to the root', () => {
  const { tree, ref, lengths } = randomFlow('flow-a', 3000);
  for (const L of lengths) assert.equal(toHex(tree.rootAt(L)), toHex(ref.rootAt(L)), `root at length ${L}`);
  assert.ok(checkAllSeals(tree, ref, ref.length, tree.root()) > 150);
});

test('random 64K-sector flow: every seal proves against the current root, sampled seals against older roots', () => {
  const { tree, ref, lengths } = randomFlow('flow-64k', 65536);
  const L = ref.length;
  assert.equal(toHex(tree.root()), toHex(ref.rootAt(L)));
  const n = checkAllSeals(tree, ref, L, tree.root());
  assert.ok(n >= 4000, `checked ${n} seals`);
  // Older roots (as a mined context's flowRoot would be): historical lengths, a sample of their seals.
  const rng = new Prng('old-roots');
  for (let k = 0; k < 3; k++) {
    const old = lengths[rng.int(lengths.length)]!;
    const oldRoot = ref.rootAt(old);
    assert.equal(toHex(tree.rootAt(old)), toHex(oldRoot));
    checkAllSeals(tree, ref, old, oldRoot, 37);
  }
  // An arbitrary length inside appended data (a root the flow never committed) works too.
  const mid = Math.floor(L / 3) + 5;
  assert.equal(toHex(tree.rootAt(mid)), toHex(ref.rootAt(mid)));
});

test('proofs against an older root differ from current ones when the tree has grown', () => {
  const { tree } = workedExampleFlow();
  const oldRoot = tree.root();
  const oldProof = tree.proofForSeal(75);
  tree.appendSectors(new Uint8Array(5000 * SECTOR).fill(1));
  assert.notEqual(toHex(tree.root()), toHex(oldRoot));
  assert.equal(toHex(tree.rootAt(4096)), toHex(oldRoot));
  assert.deepEqual(tree.proofForSeal(75, 4096n).map(toHex), oldProof.map(toHex));
  assert.equal(tree.proofForSeal(75).length, treeHeight(9096) - 4);
  assert.throws(() => tree.rootAt(0), RangeError);
  assert.throws(() => tree.rootAt(tree.length + 1n), RangeError);
  assert.throws(() => tree.proofForSeal(256, 4096), /beyond the flow length/);
});

test('zero gaps use ZERO_HASHES, never keccak(64 zero bytes)', () => {
  const t = new FlowTree();
  t.insertNode(fromHex('0x' + '11'.repeat(32)), 6); // sectors 1..63 become a zero gap
  assert.equal(toHex(t.nodeAt(4, 1)), toHex(ZERO_HASHES[4]!));
  assert.equal(toHex(t.nodeAt(0, 5)), toHex(ZERO_HASHES[0]!));
  assert.equal(toHex(t.nodeAt(3, 0)), toHex(completeRoot([new Uint8Array(32), ...Array(7).fill(ZERO_HASHES[0]!)])));
  assert.equal(toHex(t.nodeAt(5, 1)), toHex(ZERO_HASHES[5]!));
  assert.equal(toHex(sealRoot(new Uint8Array(SEAL_BYTES))), toHex(ZERO_HASHES[4]!));
});

test('siblingPath: every leaf of a complete tree folds to its root, bottom-up; depth keeps the lowest levels', () => {
  const rng = new Prng(77);
  for (const n of [1, 2, 4, 16, 64]) {
    const nodes = Array.from({ length: n }, () => keccak256(rng.bytes(8)));
    const root = completeRoot(nodes);
    for (let i = 0; i < n; i++) {
      const path = siblingPath(nodes, i);
      assert.equal(path.length, Math.log2(n));
      assert.equal(toHex(foldProof(nodes[i]!, BigInt(i), path)), toHex(root), `n=${n} i=${i}`);
      if (n >= 4) assert.deepEqual(siblingPath(nodes, i, 1).map(toHex), [toHex(nodes[i ^ 1]!)]);
    }
  }
  // Depth 2 of 4 leaves: the second sibling is the other pair's parent.
  const four = Array.from({ length: 4 }, (_, k) => keccak256(new Uint8Array([k])));
  assert.deepEqual(siblingPath(four, 0, 2).map(toHex), [toHex(four[1]!), toHex(hashPair(four[2]!, four[3]!))]);
  assert.throws(() => siblingPath(four, 4), /outside/);
  assert.throws(() => siblingPath(four.slice(0, 3), 0), /power of two/);
});

test('shard miner: a tree fed only by Submit events (plus the load roots sync fetches under event nodes above a load) proves its loads against every older context length', () => {
  // A context's flowLength is always the end of a submission; a shard miner holds no data of the
  // other shard, so every node its proofs need must come from the events or the fetched load roots.
  const rng = new Prng('shard-old-contexts');
  const full = new FlowTree();
  const events = new FlowTree();
  const ends: number[] = [];
  const bigNodes: { start: number; height: number }[] = [];
  while (Number(full.length) < 40 * 1024) {
    // Sizes from one sector to several loads, so boundaries fall inside loads and big nodes span them.
    const size = rng.int(4) === 0 ? rng.range(262_144, 1_200_000) : rng.range(1, 70_000);
    const data = rng.bytes(size);
    const r = full.submitFile(data);
    const nodes = submissionFor(data).nodes;
    const e = events.submit(nodes);
    assert.equal(e.startPos, r.startPos);
    let at = Number(e.startPos);
    for (const n of nodes) {
      const h = Number(n.height);
      if (h > 10) bigNodes.push({ start: at, height: h });
      at += 2 ** h;
    }
    ends.push(Number(full.length));
  }
  assert.equal(toHex(events.root()), toHex(full.root()));
  // Sync: one zgs_getHashAtNodeIndex batch per event node above a load gives every load root under it.
  for (const n of bigNodes)
    for (let L = n.start / 1024; L < (n.start + 2 ** n.height) / 1024; L++) assert.ok(events.recordNode(10, L, full.nodeAt(10, L)));
  const held = (L: number): boolean => L % 2 === 0; // shard 0 of 2
  let proved = 0;
  for (const F of ends) {
    for (let L = 0; (L + 1) * 1024 <= F; L++) {
      if (!held(L)) continue;
      assert.deepEqual(events.proofAt(10, L, F).map(toHex), full.proofAt(10, L, F).map(toHex), `load ${L} at flow length ${F}`);
      proved++;
    }
    // The held load holding F (partial then) is proven from its own raw data: only the levels above it come from the tree.
    const B = Math.floor(F / 1024);
    if (F % 1024 !== 0 && held(B)) {
      assert.deepEqual(events.proofAt(10, B, F).map(toHex), full.proofAt(10, B, F).map(toHex), `boundary load ${B} at ${F}`);
      proved++;
    }
  }
  assert.ok(proved > 200, `proved ${proved}`);
  assert.ok(bigNodes.length > 3 && ends.some((F) => F % 1024 !== 0), 'the flow has big nodes and boundaries inside loads');
});
