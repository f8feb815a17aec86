/**
 * The `merkleProof` of an answer (spec §6.2): siblings from level 4 up to height−1 on the path of
 * the seal, against the flow as it was at the mined context's `flowLength` (usually older than
 * the local flow). Levels 4–9 come from the store's per-load seal roots; levels ≥ 10 from the
 * level-10 roots of the loads, where the load holding `flowLength` is rebuilt from its raw bytes
 * with every sector at or past `flowLength` read as a zero sector (what the tree held then).
 */
import { BYTES_PER_SECTOR, SECTORS_PER_LOAD, SEALS_PER_LOAD } from '../spec.js';
import { hashPair, ZERO_HASHES, completeRoot, sectorLeaves } from '../core/merkle.js';
import { MinerError } from '../errors.js';
import type { Bytes32 } from '../types.js';
import type { MinerStore } from './ports.js';

const LOAD = BigInt(SECTORS_PER_LOAD);

/** ceil(log2(n)) for n ≥ 1 (1 leaf → 0). */
export function treeHeight(n: bigint): number {
  let h = 0;
  while (1n << BigInt(h) < n) h++;
  return h;
}

export class FlowProofs {
  private readonly store: MinerStore;
  constructor(store: MinerStore) {
    this.store = store;
  }

  /** The level-10 root of load `j` in the flow of length `flowLength` (sectors). */
  private async loadRootAt(j: bigint, flowLength: bigint): Promise<Bytes32> {
    const start = j * LOAD;
    if (start >= flowLength) return ZERO_HASHES[10]!;
    if (start + LOAD <= flowLength) {
      const r = this.store.loadRoot(j);
      if (r === null) throw new MinerError('STORE_ERROR', `load ${j} is not complete locally; cannot build a flow proof`);
      return r;
    }
    // The load holding flowLength: sectors past it were zeros at that time.
    const raw = Uint8Array.from(await this.store.readRawLoad(j));
    raw.fill(0, Number(flowLength - start) * BYTES_PER_SECTOR);
    const leaves = sectorLeaves(raw);
    if (j === 0n) leaves[0] = new Uint8Array(32);
    return completeRoot(leaves);
  }

  /** Level-h node `index` of the flow at `flowLength`, h ≥ 10. */
  private async nodeAt(h: number, index: bigint, flowLength: bigint, memo: Map<string, Bytes32>): Promise<Bytes32> {
    if (index << BigInt(h) >= flowLength) return ZERO_HASHES[h]!;
    if (h === 10) return this.loadRootAt(index, flowLength);
    const key = `${h}:${index}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const v = hashPair(await this.nodeAt(h - 1, index * 2n, flowLength, memo), await this.nodeAt(h - 1, index * 2n + 1n, flowLength, memo));
    memo.set(key, v);
    return v;
  }

  /** The flow root at `flowLength` (for checking a proof before sending it). */
  async rootAt(flowLength: bigint): Promise<Bytes32> {
    const height = treeHeight(flowLength);
    if (height < 10) throw new MinerError('STORE_ERROR', `flow length ${flowLength} is below one load`);
    return this.nodeAt(height, 0n, flowLength, new Map());
  }

  /** Siblings at levels 4..height−1 for seal `sealIndex` (global, = recallPosition / 16). */
  async proofForSeal(sealIndex: bigint, flowLength: bigint): Promise<Bytes32[]> {
    const height = treeHeight(flowLength);
    const load = sealIndex / BigInt(SEALS_PER_LOAD);
    const roots = this.store.sealRoots(load);
    if (roots === null) throw new MinerError('STORE_ERROR', `load ${load} has no seal roots locally`);
    const proof: Bytes32[] = [];
    // Levels 4..9 inside the load.
    let level = roots;
    let idx = Number(sealIndex % BigInt(SEALS_PER_LOAD));
    for (let h = 4; h < 10 && h < height; h++) {
      proof.push(level[idx ^ 1]!);
      const next: Bytes32[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
      level = next;
      idx >>= 1;
    }
    // Levels 10..height-1 across loads.
    const memo = new Map<string, Bytes32>();
    let node = load;
    for (let h = 10; h < height; h++) {
      proof.push(await this.nodeAt(h, node ^ 1n, flowLength, memo));
      node >>= 1n;
    }
    return proof;
  }
}
