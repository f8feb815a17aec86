/**
 * Flow Merkle primitives (spec §6.1–6.2): leaves are keccak256(256-byte sector), parents
 * keccak256(left ‖ right), empty subtrees ZERO_HASHES[h]; a seal (16 sectors) is a height-4
 * subtree whose proof climbs from level 4.
 */
import { BYTES_PER_SECTOR, BYTES_PER_SEAL, FLOW_MAX_DEPTH, SECTORS_PER_SEAL_N } from '../spec.js';
import { concatBytes } from '../bytes.js';
import { keccak256 } from './hash.js';

/** A 64-byte scratch buffer: a pair is hashed without allocating a concatenation (hot in tree builds). */
const pairBuf = new Uint8Array(64);
export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) return keccak256(concatBytes(left, right)); // a peer's malformed node: hash what was given
  pairBuf.set(left, 0);
  pairBuf.set(right, 32);
  return keccak256(pairBuf);
}

/** ZERO_HASHES[h] = root of an all-zero subtree of 2^h sectors, h = 0..63 (FlowTreeLib.zeros). */
export const ZERO_HASHES: readonly Uint8Array[] = (() => {
  const z: Uint8Array[] = [keccak256(new Uint8Array(BYTES_PER_SECTOR))];
  for (let h = 1; h < FLOW_MAX_DEPTH; h++) z.push(hashPair(z[h - 1]!, z[h - 1]!));
  return z;
})();

/** keccak256 of each 256-byte sector of `data` (length a multiple of 256). */
export function sectorLeaves(data: Uint8Array): Uint8Array[] {
  if (data.length % BYTES_PER_SECTOR !== 0) throw new RangeError(`sectorLeaves: ${data.length} is not a multiple of 256`);
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += BYTES_PER_SECTOR) out.push(keccak256(data.subarray(o, o + BYTES_PER_SECTOR)));
  return out;
}

/** Every level of a complete binary tree over a power-of-two number of nodes: `nodes` first, the root last. */
export function completeLevels(nodes: readonly Uint8Array[]): Uint8Array[][] {
  if (nodes.length === 0 || (nodes.length & (nodes.length - 1)) !== 0)
    throw new RangeError(`complete tree: ${nodes.length} nodes is not a power of two`);
  let level = nodes.slice();
  const levels = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    levels.push(next);
    level = next;
  }
  return levels;
}

/** Root of a complete binary tree over a power-of-two number of nodes. */
export function completeRoot(nodes: readonly Uint8Array[]): Uint8Array {
  return completeLevels(nodes).at(-1)![0]!;
}

/**
 * Siblings of node `index` in the complete tree over `nodes`, bottom-up, one per level below the
 * root; `depth` keeps only the lowest ones (a flow shorter than the subtree stops early).
 */
export function siblingPath(nodes: readonly Uint8Array[], index: number, depth?: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= nodes.length)
    throw new RangeError(`siblingPath: index ${index} is outside 0..${nodes.length - 1}`);
  const levels = completeLevels(nodes);
  const n = Math.min(levels.length - 1, depth ?? levels.length - 1);
  const path: Uint8Array[] = [];
  for (let h = 0, i = index; h < n; h++, i >>= 1) path.push(levels[h]![i ^ 1]!);
  return path;
}

/** Root of the 16 sector leaves of one unsealed 4 KiB seal. */
export function sealRoot(unsealed: Uint8Array): Uint8Array {
  if (unsealed.length !== BYTES_PER_SEAL) throw new RangeError(`sealRoot: expected 4096 bytes, got ${unsealed.length}`);
  return completeRoot(sectorLeaves(unsealed));
}

/**
 * Folds a seal-subtree root up a proof (`MineLib.recoverMerkleRoot`): index = recallPosition / 16;
 * the current hash is on the left when the index is even.
 */
export function foldProof(leafRoot: Uint8Array, index: bigint, proof: readonly Uint8Array[]): Uint8Array {
  let h = leafRoot;
  let idx = index;
  for (const sib of proof) {
    h = (idx & 1n) === 0n ? hashPair(h, sib) : hashPair(sib, h);
    idx >>= 1n;
  }
  return h;
}

/** The flow root an answer's unsealed seal and proof imply. */
export function recoverMerkleRoot(unsealed: Uint8Array, recallPosition: bigint, proof: readonly Uint8Array[]): Uint8Array {
  return foldProof(sealRoot(unsealed), recallPosition / SECTORS_PER_SEAL_N, proof);
}
