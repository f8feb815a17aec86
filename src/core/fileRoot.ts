/**
 * File (transaction) Merkle data of an upload (spec §6.4): the flow padding of a file, its
 * submission nodes (what `Flow.submit` inserts), its data root (the file id nodes and SDKs use)
 * and the per-segment proofs an uploader sends with each 256 KiB segment.
 *
 * Two tree shapes meet here and give the same root: the submission nodes are complete subtrees
 * folded right to left (`keccak(n0 ‖ keccak(n1 ‖ …))`), while the SDK/node file tree is built over
 * segment roots and promotes an unpaired right-most node unchanged. Because node sizes are a
 * binary decomposition of the padded length, largest first, both constructions coincide; we build
 * the promoting tree for proofs and the fold for the root, and the tests check that they agree.
 */
import { BYTES_PER_SECTOR, SECTORS_PER_SEGMENT } from '../spec.js';
import { hashPair, completeRoot } from './merkle.js';
import { keccak256 } from './hash.js';

/** One submission node: the root of a complete subtree of 2^height sectors. */
export interface FileNode {
  root: Uint8Array;
  height: number;
}

/** A proof of one segment root against the data root, in the SDK's `Proof` layout. */
export interface SegmentProof {
  index: number;
  /** `[segmentRoot, sibling…, dataRoot]`; a one-segment file has just `[dataRoot]`. */
  lemma: Uint8Array[];
  /** `path[k]` is true when the node at level k is a left child (promoted levels have no entry). */
  path: boolean[];
}

export interface FileMerkle {
  /** ceil(size / 256). */
  numChunks: number;
  /** Sector count after the flow padding rule. */
  paddedChunks: number;
  /** ceil(paddedChunks / 1024). */
  numSegmentsPadded: number;
  dataRoot: Uint8Array;
  /** Largest first, in submission order. */
  submissionNodes: FileNode[];
  /** Root of each 1024-sector segment of the padded file (the last may be shorter). */
  segmentRoots: Uint8Array[];
  uploadSegmentProof(index: number): SegmentProof;
}

/** `Flow.submit`'s argument data (`SubmissionData`): length in bytes, heights as uint256. */
export interface SubmissionData {
  length: bigint;
  tags: Uint8Array;
  nodes: { root: Uint8Array; height: bigint }[];
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`file size: expected a positive byte count, got ${size}`);
}

function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** ceil(size / 256): the file's sectors before padding. */
export function numChunks(size: number): number {
  checkSize(size);
  return Math.ceil(size / BYTES_PER_SECTOR);
}

/**
 * The padded sector count (`compute_padded_chunk_size`): a power of two stays; otherwise round up
 * to a multiple of nextPow2/16 (1 below 16 sectors), so a file has at most 4 submission nodes.
 */
export function paddedChunks(size: number): number {
  const chunks = numChunks(size);
  const p2 = nextPow2(chunks);
  if (p2 === chunks) return chunks;
  const minChunk = p2 < 16 ? 1 : p2 / 16;
  return Math.ceil(chunks / minChunk) * minChunk;
}

/** Heights of the submission nodes: the binary decomposition of `padded`, largest first. */
export function splitNodes(padded: number): number[] {
  if (!Number.isSafeInteger(padded) || padded < 1)
    throw new RangeError(`splitNodes: expected a positive sector count, got ${padded}`);
  const heights: number[] = [];
  for (let h = Math.floor(Math.log2(padded)) + 1; h >= 0; h--) {
    const size = 2 ** h;
    if (size <= padded && Math.floor(padded / size) % 2 === 1) heights.push(h);
  }
  return heights;
}

/** The data root: `root = nodes[last]; for i = last-1 .. 0: root = keccak(nodes[i] ‖ root)`. */
export function dataRootFromNodes(nodes: readonly { root: Uint8Array }[]): Uint8Array {
  const last = nodes[nodes.length - 1];
  if (last === undefined) throw new RangeError('dataRootFromNodes: a submission has at least one node');
  let root = last.root;
  for (let i = nodes.length - 2; i >= 0; i--) root = hashPair(nodes[i]!.root, root);
  return root;
}

/** keccak256 of each zero-padded sector of the padded file (flow leaves of the file's sectors). */
export function paddedSectorLeaves(data: Uint8Array, padded: number): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  const full = Math.floor(data.length / BYTES_PER_SECTOR);
  for (let s = 0; s < full; s++) leaves.push(keccak256(data.subarray(s * BYTES_PER_SECTOR, (s + 1) * BYTES_PER_SECTOR)));
  if (full * BYTES_PER_SECTOR < data.length) {
    const tail = new Uint8Array(BYTES_PER_SECTOR);
    tail.set(data.subarray(full * BYTES_PER_SECTOR));
    leaves.push(keccak256(tail));
  }
  const zeroLeaf = keccak256(new Uint8Array(BYTES_PER_SECTOR));
  while (leaves.length < padded) leaves.push(zeroLeaf);
  return leaves;
}

/**
 * Levels of a tree that promotes an unpaired right-most node unchanged (merkle_light / SDK
 * `MerkleTree.build`); levels[0] are the leaves, the last level holds the root alone.
 */
export function promotingLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) throw new RangeError('promotingLevels: no leaves');
  const levels: Uint8Array[][] = [leaves.slice()];
  let level = levels[0]!;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The SDK proof of leaf `index` in a promoting tree given by its levels. */
export function promotingProof(levels: readonly Uint8Array[][], index: number): SegmentProof {
  const leaves = levels[0]!;
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length)
    throw new RangeError(`segment index ${index} is outside 0..${leaves.length - 1}`);
  const root = levels[levels.length - 1]![0]!;
  if (leaves.length === 1) return { index, lemma: [root], path: [] };
  const lemma: Uint8Array[] = [leaves[index]!];
  const path: boolean[] = [];
  let idx = index;
  for (let k = 0; k + 1 < levels.length; k++) {
    const level = levels[k]!;
    if (idx % 2 === 1) {
      lemma.push(level[idx - 1]!);
      path.push(false);
    } else if (idx + 1 < level.length) {
      lemma.push(level[idx + 1]!);
      path.push(true);
    }
    // else: the unpaired right-most node is promoted, which adds no proof step.
    idx = Math.floor(idx / 2);
  }
  lemma.push(root);
  return { index, lemma, path };
}

/** Everything an uploader needs to know about `data` (spec §6.4), computed in one pass. */
export function fileMerkle(data: Uint8Array): FileMerkle {
  const chunks = numChunks(data.length);
  const padded = paddedChunks(data.length);
  const leaves = paddedSectorLeaves(data, padded);

  const segmentRoots: Uint8Array[] = [];
  for (let s = 0; s < padded; s += SECTORS_PER_SEGMENT) {
    const segLevels = promotingLevels(leaves.slice(s, Math.min(s + SECTORS_PER_SEGMENT, padded)));
    segmentRoots.push(segLevels[segLevels.length - 1]![0]!);
  }

  // Nodes of 1024+ sectors start on segment boundaries (larger nodes come first), so their roots
  // are complete trees over whole segment roots; smaller nodes lie inside the last segment.
  const submissionNodes: FileNode[] = [];
  let offset = 0;
  for (const h of splitNodes(padded)) {
    const size = 2 ** h;
    const root =
      size >= SECTORS_PER_SEGMENT
        ? completeRoot(segmentRoots.slice(offset / SECTORS_PER_SEGMENT, (offset + size) / SECTORS_PER_SEGMENT))
        : completeRoot(leaves.slice(offset, offset + size));
    submissionNodes.push({ root, height: h });
    offset += size;
  }

  const segLevels = promotingLevels(segmentRoots);
  return {
    numChunks: chunks,
    paddedChunks: padded,
    numSegmentsPadded: segmentRoots.length,
    dataRoot: dataRootFromNodes(submissionNodes),
    submissionNodes,
    segmentRoots,
    uploadSegmentProof: (index: number) => promotingProof(segLevels, index),
  };
}

/** The `SubmissionData` of `Flow.submit` for `data` (tags default to empty bytes). */
export function submissionFor(data: Uint8Array, tags: Uint8Array = new Uint8Array(0)): SubmissionData {
  const { submissionNodes } = fileMerkle(data);
  return {
    length: BigInt(data.length),
    tags,
    nodes: submissionNodes.map((n) => ({ root: n.root, height: BigInt(n.height) })),
  };
}
