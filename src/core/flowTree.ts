/**
 * The flow Merkle tree (spec §6.1–6.3), pure and in memory, with proofs against the current root
 * and against any older root of the same append-only flow.
 *
 * Shape: leaves are keccak256(sector) except leaf 0, the literal 0x00…00; a tree of length L has
 * height ceil(log2 L) and every missing right-edge node at level h is ZERO_HASHES[h]. Gaps left by
 * the contract's alignment (`insertNode`, the segment `pad` of `Flow.submit`) are zero sectors.
 *
 * Storage: for each level a sparse map of 1024-node pages. Appending places a node and climbs while
 * it is a right child, so every *complete* node at or above the level it was appended at is stored
 * exactly once (an append costs O(1) amortised hashes). Nodes below a subtree appended by its root
 * alone (e.g. a peer's level-10 load root) are unknown; gap nodes come from a list of zero intervals.
 * Because the flow only grows, a node of an older tree of length L equals the current node when it
 * ends at or before L, is ZERO_HASHES[h] when it starts at or after L, and only the O(height) nodes
 * that straddle L are rehashed: that is how `rootAt(L)` and proofs against old roots work.
 */
import { BYTES_PER_LOAD, BYTES_PER_SECTOR, FLOW_MAX_DEPTH, SECTORS_PER_LOAD, SECTORS_PER_SEAL, SECTORS_PER_SEGMENT } from '../spec.js';
import { equalBytes } from '../bytes.js';
import { keccak256 } from './hash.js';
import { completeLevels, foldProof, hashPair, siblingPath, ZERO_HASHES } from './merkle.js';
import { paddedChunks, paddedSectorLeaves, splitNodes } from './fileRoot.js';

const PAGE_BITS = 10;
const PAGE_SIZE = 1 << PAGE_BITS;
const HASH = 32;
/** Level of a seal root (16 sectors) and of a load root (1024 sectors). */
export const SEAL_LEVEL = 4;
export const LOAD_LEVEL = 10;
/** The flow's first leaf: the literal bytes32(0) the contract initialises the tree with. */
export const FLOW_LEAF_ZERO: Uint8Array = new Uint8Array(HASH);

interface Page {
  hashes: Uint8Array;
  known: Uint8Array;
}

/**
 * Where a FlowTree keeps its complete nodes. The default keeps 1024-node pages in memory; a
 * persisted tree (store/persistedFlowTree.ts) keeps them in files and reads them on demand.
 * `get` returns undefined for a node never set; the returned bytes must not be modified.
 */
export interface FlowNodeStorage {
  get(level: number, index: number): Uint8Array | undefined;
  set(level: number, index: number, value: Uint8Array): void;
}

/** Sparse in-memory pages of 1024 nodes per level. */
export class MemoryNodeStorage implements FlowNodeStorage {
  #levels: Map<number, Page>[] = [];

  get(h: number, i: number): Uint8Array | undefined {
    const page = this.#levels[h]?.get(Math.floor(i / PAGE_SIZE));
    const slot = i % PAGE_SIZE;
    return page !== undefined && page.known[slot] === 1 ? page.hashes.subarray(slot * HASH, (slot + 1) * HASH) : undefined;
  }

  set(h: number, i: number, v: Uint8Array): void {
    while (this.#levels.length <= h) this.#levels.push(new Map());
    const level = this.#levels[h]!;
    const key = Math.floor(i / PAGE_SIZE);
    let page = level.get(key);
    if (page === undefined) {
      page = { hashes: new Uint8Array(PAGE_SIZE * HASH), known: new Uint8Array(PAGE_SIZE) };
      level.set(key, page);
    }
    const slot = i % PAGE_SIZE;
    page.hashes.set(v, slot * HASH);
    page.known[slot] = 1;
  }
}

/** What a FlowTree holds besides its nodes (a persisted tree saves and restores it). */
export interface FlowTreeState {
  length: number;
  /** Zero-sector intervals [start, end) in the order they were added (adjacent ones merge on restore). */
  gaps: [number, number][];
}

function toIndex(x: bigint | number, label: string): number {
  const n = typeof x === 'bigint' ? Number(x) : x;
  if (!Number.isSafeInteger(n) || n < 0 || (typeof x === 'bigint' && BigInt(n) !== x))
    throw new RangeError(`${label}: expected a non-negative integer below 2^53, got ${x}`);
  return n;
}

function checkHeight(height: bigint | number): number {
  const h = toIndex(height, 'height');
  if (h >= FLOW_MAX_DEPTH) throw new RangeError(`height: ${h} is not below the flow's max depth ${FLOW_MAX_DEPTH}`);
  return h;
}

/** `nextAlign(x, h)` of FlowTreeLib: x rounded up to a multiple of 2^h (0 stays 0). */
export function nextAlign(x: number, height: number): number {
  const size = 2 ** height;
  return Math.ceil(x / size) * size;
}

/** Tree height of a flow of `length` sectors: the least h with 2^h >= length (1 sector → 0). */
export function treeHeight(length: bigint | number): number {
  const n = toIndex(length, 'flow length');
  if (n < 1) throw new RangeError('flow length: a flow has at least 1 sector (the placeholder at position 0)');
  let h = 0;
  while (2 ** h < n) h++;
  return h;
}

export class FlowTree {
  #nodes: FlowNodeStorage;
  #length = 0;
  /** Zero intervals added since the last `takeNewGaps()` (what a persisted tree appends). */
  #newGaps: [number, number][] = [];
  /** Sorted, disjoint zero-sector intervals [start, end) created by alignment and padding. */
  #zeroStarts: number[] = [];
  #zeroEnds: number[] = [];
  /**
   * Straddling nodes of the last length asked about, by level (at most one per level). They never
   * change (the flow is append-only), so proofs for many seals against one root share them.
   */
  #edgeLength = -1;
  #edge: (Uint8Array | undefined)[] = [];

  /**
   * The fresh Flow tree (length 1, leaf 0 = 0x00…00) over `nodes`, or, with `state`, a tree
   * restored over nodes that already hold it.
   */
  constructor(nodes: FlowNodeStorage = new MemoryNodeStorage(), state?: FlowTreeState) {
    this.#nodes = nodes;
    if (state === undefined) {
      this.#place(0, 0, FLOW_LEAF_ZERO);
      this.#length = 1;
      return;
    }
    for (const [a, b] of state.gaps) this.#mergeGap(a, b);
    this.#length = toIndex(state.length, 'flow length');
  }

  /** The zero intervals added since the last call (for a persisted tree to append). */
  takeNewGaps(): [number, number][] {
    const g = this.#newGaps;
    this.#newGaps = [];
    return g;
  }

  /**
   * Records a complete node known from elsewhere (a verified load's root at level 10): stores it
   * and every ancestor it completes with a known sibling, up to the first ancestor already known,
   * which must agree. Returns false when a known node or ancestor disagrees (nothing is stored).
   */
  recordNode(level: number, index: bigint | number, value: Uint8Array): boolean {
    if (value.length !== HASH) throw new RangeError(`recordNode: a node is 32 bytes, got ${value.length}`);
    let h = checkHeight(level);
    let i = toIndex(index, 'index');
    if ((i + 1) * 2 ** h > this.#length)
      throw new RangeError(`recordNode: node (level ${h}, index ${i}) ends beyond the flow length ${this.#length}`);
    const writes: [number, number, Uint8Array][] = [];
    let v = value;
    for (;;) {
      const known = this.#get(h, i);
      if (known !== undefined) {
        if (!equalBytes(known, v)) return false;
        break;
      }
      writes.push([h, i, v]);
      const p = Math.floor(i / 2);
      if ((p + 1) * 2 ** (h + 1) > this.#length || h + 1 >= FLOW_MAX_DEPTH) break;
      const sibling = this.#get(h, i ^ 1);
      if (sibling === undefined) break;
      v = i % 2 === 0 ? hashPair(v, sibling) : hashPair(sibling, v);
      h += 1;
      i = p;
    }
    for (const [wh, wi, wv] of writes) this.#store(wh, wi, wv.slice());
    return true;
  }

  /** A complete node of the current tree (stored, or inside a zero gap), or undefined if unknown. */
  completeNode(level: number, index: bigint | number): Uint8Array | undefined {
    const h = checkHeight(level);
    const i = toIndex(index, 'index');
    if ((i + 1) * 2 ** h > this.#length) return undefined;
    return this.#get(h, i)?.slice();
  }

  /**
   * A flow of whole loads known only by their level-10 roots (what a miner keeps), e.g. from
   * `loadRoot()`; root 0 must already include the leaf-0 rule. Length = 1024 × roots.
   */
  static fromLoadRoots(roots: readonly Uint8Array[]): FlowTree {
    if (roots.length === 0) throw new RangeError('fromLoadRoots: need at least one load root');
    const tree = new FlowTree(new MemoryNodeStorage(), { length: 0, gaps: [] });
    for (const r of roots) tree.insertNode(r, LOAD_LEVEL);
    return tree;
  }

  /** currentLength in sectors (starts at 1). */
  get length(): bigint {
    return BigInt(this.#length);
  }

  get height(): number {
    return treeHeight(this.#length);
  }

  /** Appends leaf hashes at currentLength (no alignment); returns the first position. */
  appendLeaves(leaves: readonly Uint8Array[]): bigint {
    const start = this.#length;
    for (const leaf of leaves) {
      if (leaf.length !== HASH) throw new RangeError(`appendLeaves: a leaf is 32 bytes, got ${leaf.length}`);
      this.#place(0, this.#length, leaf);
      this.#length += 1;
    }
    return BigInt(start);
  }

  /** Appends whole 256-byte sectors at currentLength (leaf = keccak256(sector)). */
  appendSectors(data: Uint8Array): bigint {
    if (data.length % BYTES_PER_SECTOR !== 0)
      throw new RangeError(`appendSectors: ${data.length} bytes is not a whole number of 256-byte sectors`);
    const start = this.#length;
    for (let o = 0; o < data.length; o += BYTES_PER_SECTOR) {
      this.#place(0, this.#length, keccak256(data.subarray(o, o + BYTES_PER_SECTOR)));
      this.#length += 1;
    }
    return BigInt(start);
  }

  /**
   * FlowTreeLib `insertNode(root, h)`: start = nextAlign(currentLength, h), the gap becomes zero
   * sectors, the subtree root sits at level h; returns the start position.
   */
  insertNode(root: Uint8Array, height: bigint | number): bigint {
    if (root.length !== HASH) throw new RangeError(`insertNode: a node root is 32 bytes, got ${root.length}`);
    const h = checkHeight(height);
    const start = this.#alignTo(h);
    this.#place(h, start / 2 ** h, root);
    this.#length = start + 2 ** h;
    return BigInt(start);
  }

  /** Like `insertNode` but from the subtree's 2^h sectors, so every node below it is known too. */
  insertSubtreeSectors(data: Uint8Array): bigint {
    const sectors = data.length / BYTES_PER_SECTOR;
    if (!Number.isInteger(sectors) || sectors < 1 || (sectors & (sectors - 1)) !== 0)
      throw new RangeError(`insertSubtreeSectors: ${data.length} bytes is not 2^h whole sectors`);
    const start = this.#alignTo(Math.log2(sectors));
    this.appendSectors(data);
    return BigInt(start);
  }

  /** FlowTreeLib `pad`: moves to the next segment if the submission would cross one from mid-segment. */
  padForSubmission(heights: readonly (bigint | number)[]): void {
    const hs = heights.map(checkHeight);
    if (hs.length === 0) throw new RangeError('submission: at least one node');
    for (let i = 1; i < hs.length; i++)
      if (hs[i]! >= hs[i - 1]!) throw new RangeError('submission: node heights must strictly decrease');
    const size = hs.reduce((s, h) => s + 2 ** h, 0);
    const start = nextAlign(this.#length, hs[0]!);
    const segment = (x: number): number => Math.floor(x / SECTORS_PER_SEGMENT);
    if (start % SECTORS_PER_SEGMENT !== 0 && segment(start) !== segment(start + size - 1))
      this.#addGap(this.#length, start + SECTORS_PER_SEGMENT - (start % SECTORS_PER_SEGMENT));
  }

  /** `Flow.submit`'s tree update: pad, then insert each node; returns the Submit event's startPos and length (sectors). */
  submit(nodes: readonly { root: Uint8Array; height: bigint | number }[]): { startPos: bigint; length: bigint } {
    this.padForSubmission(nodes.map((n) => n.height));
    let startPos = -1n;
    for (const n of nodes) {
      const s = this.insertNode(n.root, n.height);
      if (startPos < 0n) startPos = s;
    }
    return { startPos, length: this.length - startPos };
  }

  /** `submit` for a file whose bytes are known (spec §6.4 nodes, zero-padded), keeping every leaf. */
  submitFile(data: Uint8Array): { startPos: bigint; length: bigint } {
    const padded = paddedChunks(data.length);
    const heights = splitNodes(padded);
    this.padForSubmission(heights);
    const leaves = paddedSectorLeaves(data, padded);
    let startPos = -1;
    let offset = 0;
    for (const h of heights) {
      const start = this.#alignTo(h);
      if (startPos < 0) startPos = start;
      this.appendLeaves(leaves.slice(offset, offset + 2 ** h));
      offset += 2 ** h;
    }
    return { startPos: BigInt(startPos), length: BigInt(this.#length - startPos) };
  }

  /** The current root. */
  root(): Uint8Array {
    return this.rootAt(this.#length);
  }

  /** The root the tree had (or would have had) when its length was `length` (1 ≤ length ≤ current). */
  rootAt(length: bigint | number): Uint8Array {
    const L = this.#checkLength(length);
    return this.#oldNode(treeHeight(L), 0, L).slice();
  }

  /** Node (level, index) of the tree of length `atLength` (default: current). */
  nodeAt(level: number, index: bigint | number, atLength: bigint | number = this.#length): Uint8Array {
    const L = this.#checkLength(atLength);
    const h = checkHeight(level);
    return this.#oldNode(h, toIndex(index, 'index'), L).slice();
  }

  /**
   * Siblings of node (level, index) from `level` up to height-1, bottom-up, without the root,
   * in the tree of length `atLength` (default: current). `foldProof(node, index, proof)` gives its root.
   */
  proofAt(level: number, index: bigint | number, atLength: bigint | number = this.#length): Uint8Array[] {
    const L = this.#checkLength(atLength);
    let h = checkHeight(level);
    let i = toIndex(index, 'index');
    if (i * 2 ** h >= L) throw new RangeError(`proof: node (level ${h}, index ${i}) starts beyond the flow length ${L}`);
    const H = treeHeight(L);
    const proof: Uint8Array[] = [];
    for (; h < H; h++, i = Math.floor(i / 2)) proof.push(this.#oldNode(h, i ^ 1, L).slice());
    return proof;
  }

  /** `PoraAnswer.merkleProof` for seal `sealIndex` (= recallPosition / 16): levels 4..height-1. */
  proofForSeal(sealIndex: bigint | number, atLength: bigint | number = this.#length): Uint8Array[] {
    return this.proofAt(SEAL_LEVEL, sealIndex, atLength);
  }

  /** Siblings of load `loadIndex`'s root, levels 10..height-1 (the "top proof" of spec §9.3). */
  topProofForLoad(loadIndex: bigint | number, atLength: bigint | number = this.#length): Uint8Array[] {
    return this.proofAt(LOAD_LEVEL, loadIndex, atLength);
  }

  #checkLength(length: bigint | number): number {
    const L = toIndex(length, 'flow length');
    if (L < 1 || L > this.#length)
      throw new RangeError(`flow length ${L} is outside 1..${this.#length} (the local tree's length)`);
    return L;
  }

  /** Zero-fills up to the next multiple of 2^h and returns that start. */
  #alignTo(h: number): number {
    const start = nextAlign(this.#length, h);
    this.#addGap(this.#length, start);
    return start;
  }

  /** Records [a, b) as zero sectors and places it as maximal aligned all-zero subtrees. */
  #addGap(a: number, b: number): void {
    if (a >= b) return;
    this.#mergeGap(a, b);
    this.#newGaps.push([a, b]);
    let pos = a;
    while (pos < b) {
      let h = 0;
      while (h + 1 < FLOW_MAX_DEPTH && pos % 2 ** (h + 1) === 0 && pos + 2 ** (h + 1) <= b) h++;
      this.#place(h, pos / 2 ** h, ZERO_HASHES[h]!);
      pos += 2 ** h;
    }
    this.#length = b;
  }

  #mergeGap(a: number, b: number): void {
    const last = this.#zeroEnds.length - 1;
    if (last >= 0 && this.#zeroEnds[last] === a) this.#zeroEnds[last] = b;
    else {
      this.#zeroStarts.push(a);
      this.#zeroEnds.push(b);
    }
  }

  /** Stores a node and every parent it completes (it completes one exactly when it is a right child). */
  #place(h: number, i: number, value: Uint8Array): void {
    let v = value;
    this.#store(h, i, v);
    while (i % 2 === 1) {
      const left = this.#get(h, i - 1);
      if (left === undefined) throw new Error(`flow tree invariant: left sibling (level ${h}, index ${i - 1}) missing`);
      v = hashPair(left, v);
      h += 1;
      i = (i - 1) / 2;
      this.#store(h, i, v);
    }
  }

  #store(h: number, i: number, v: Uint8Array): void {
    this.#nodes.set(h, i, v);
  }

  /** A complete node of the current tree, or undefined when only an ancestor of it is known. */
  #get(h: number, i: number): Uint8Array | undefined {
    // Gaps first: an in-memory search, where the storage may read a file.
    if (this.#inZeroGap(i * 2 ** h, (i + 1) * 2 ** h)) return ZERO_HASHES[h];
    return this.#nodes.get(h, i);
  }

  #inZeroGap(start: number, end: number): boolean {
    let lo = 0;
    let hi = this.#zeroStarts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#zeroStarts[mid]! <= start) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && end <= this.#zeroEnds[found]!;
  }

  /** Node (h, i) of the tree of length L ≤ current length (see the file comment). */
  #oldNode(h: number, i: number, L: number): Uint8Array {
    const start = i * 2 ** h;
    if (start >= L) return ZERO_HASHES[h]!;
    if (start + 2 ** h <= L) {
      const v = this.#get(h, i);
      if (v === undefined)
        throw new RangeError(`flow tree node (level ${h}, index ${i}) is unknown: its subtree was added by its root only`);
      return v;
    }
    if (this.#edgeLength !== L) {
      this.#edgeLength = L;
      this.#edge = [];
    }
    const cached = this.#edge[h];
    if (cached !== undefined) return cached;
    const v = hashPair(this.#oldNode(h - 1, 2 * i, L), this.#oldNode(h - 1, 2 * i + 1, L));
    this.#edge[h] = v;
    return v;
  }
}

/** The 11 levels of one load's 1024-leaf subtree; leaf 0 of load 0 is the flow's 0x00…00. */
function loadLevels(load: Uint8Array, loadIndex: bigint): Uint8Array[][] {
  if (load.length !== BYTES_PER_LOAD) throw new RangeError(`load: expected ${BYTES_PER_LOAD} bytes, got ${load.length}`);
  if (loadIndex < 0n) throw new RangeError(`loadIndex: ${loadIndex} is negative`);
  const leaves: Uint8Array[] = [];
  for (let o = 0; o < load.length; o += BYTES_PER_SECTOR) leaves.push(keccak256(load.subarray(o, o + BYTES_PER_SECTOR)));
  if (loadIndex === 0n) leaves[0] = new Uint8Array(HASH); // the flow's placeholder leaf, not keccak(sector 0)
  return completeLevels(leaves);
}

/** The roots of one load: its level-10 root and its 64 level-4 seal roots. */
export interface LoadRoots {
  loadRoot: Uint8Array;
  sealRoots: Uint8Array[];
}

/**
 * The level-10 root and the 64 level-4 seal roots of a 256 KiB load of unsealed data (leaf-0 rule
 * for load 0). The oracle of the wasm fast path (backend/wasmPora.ts hashLoadInto).
 */
export function hashLoad(loadIndex: bigint, load: Uint8Array): LoadRoots {
  const levels = loadLevels(load, loadIndex);
  return { loadRoot: levels[LOAD_LEVEL]![0]!, sealRoots: levels[SEAL_LEVEL]! };
}

/** The level-10 root of a 256 KiB load of unsealed data (leaf-0 rule for load 0). */
export function loadRoot(load: Uint8Array, loadIndex: bigint): Uint8Array {
  return loadLevels(load, loadIndex)[LOAD_LEVEL]![0]!;
}

/** Siblings at levels 4..9 of seal `sealInLoad` (0..63) inside its load. */
export function loadSealProof(load: Uint8Array, loadIndex: bigint, sealInLoad: number): Uint8Array[] {
  if (!Number.isInteger(sealInLoad) || sealInLoad < 0 || sealInLoad >= SECTORS_PER_LOAD / SECTORS_PER_SEAL)
    throw new RangeError(`sealInLoad: expected 0..63, got ${sealInLoad}`);
  return siblingPath(loadLevels(load, loadIndex)[SEAL_LEVEL]!, sealInLoad);
}

/**
 * A full `merkleProof` for a seal from the load's bytes and its top proof (spec §9.3 step 6):
 * in-load siblings at levels 4..9 followed by the top proof (levels 10..height-1).
 */
export function sealProofFromLoad(
  load: Uint8Array,
  loadIndex: bigint,
  sealInLoad: number,
  topProof: readonly Uint8Array[]
): Uint8Array[] {
  return [...loadSealProof(load, loadIndex, sealInLoad), ...topProof];
}

/** Spec §9.3 step 4: the flow root that a load root and its top siblings (levels 10..) imply. */
export function foldLoadRoot(root: Uint8Array, loadIndex: bigint, topProof: readonly Uint8Array[]): Uint8Array {
  return foldProof(root, loadIndex, topProof);
}

/** True when `load` (unsealed bytes of load `loadIndex`) is part of the flow with root `flowRoot`. */
export function verifyLoad(load: Uint8Array, loadIndex: bigint, topProof: readonly Uint8Array[], flowRoot: Uint8Array): boolean {
  return equalBytes(foldLoadRoot(loadRoot(load, loadIndex), loadIndex, topProof), flowRoot);
}
