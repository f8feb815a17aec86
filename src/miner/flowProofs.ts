/**
 * The `merkleProof` of an answer (spec §6.2): siblings from level 4 up to height−1 on the path of
 * the seal, against the flow as it was at the mined context's `flowLength` (usually older than
 * the local flow). Levels ≥ 10 come from the flow tree (O(height) node reads); levels 4–9 from
 * the load's 64 stored seal roots, except for the load holding `flowLength` (its seals past it
 * were zeros then), which is rehashed from its raw bytes with those sectors read as zeros.
 */
import { BYTES_PER_SECTOR, SECTORS_PER_LOAD_N, SEALS_PER_LOAD_N } from '../spec.js';
import { siblingPath } from '../core/merkle.js';
import { hashLoad, LOAD_LEVEL, SEAL_LEVEL, treeHeight } from '../core/flowTree.js';
import { MinerError } from '../errors.js';
import type { Bytes32 } from '../types.js';
import type { FlowTreePort, MinerStore } from './ports.js';

/** Siblings at levels 4..height−1 for seal `sealIndex` (global, = recallPosition / 16). */
export async function sealProof(store: MinerStore, tree: FlowTreePort, sealIndex: bigint, flowLength: bigint): Promise<Bytes32[]> {
  const height = treeHeight(flowLength);
  const load = sealIndex / SEALS_PER_LOAD_N;
  const loadStart = load * SECTORS_PER_LOAD_N;
  if (loadStart >= flowLength) throw new MinerError('STORE_ERROR', `seal ${sealIndex} lies beyond the flow length ${flowLength}`);
  let roots: Bytes32[] | null;
  if (loadStart + SECTORS_PER_LOAD_N <= flowLength) {
    roots = store.sealRoots(load);
    if (roots === null) throw new MinerError('STORE_ERROR', `load ${load} has no seal roots locally`);
  } else {
    // The load holding flowLength: sectors past it were zeros at that time.
    const raw = Uint8Array.from(await store.readRawLoad(load));
    raw.fill(0, Number(flowLength - loadStart) * BYTES_PER_SECTOR);
    roots = hashLoad(load, raw).sealRoots;
  }
  // Levels 4..9 inside the load; a flow shorter than one load stops below the load root.
  const proof: Bytes32[] = siblingPath(roots, Number(sealIndex % SEALS_PER_LOAD_N), Math.max(0, height - SEAL_LEVEL));
  if (height > LOAD_LEVEL) proof.push(...(await tree.proof(LOAD_LEVEL, load, flowLength)));
  return proof;
}
