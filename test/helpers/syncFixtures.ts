/**
 * In-memory pieces for sync/RPC tests: a flow of files laid out by core's FlowTree (the oracle),
 * a store of sectors with a known-bitmap, and FlowTreeReader views over a FlowTree — one that
 * knows every leaf (a node that has the data) and one that knows only the Submit events' node
 * roots (a fresh miner), so verification through sector proofs is exercised.
 */
import { FlowTree } from '../../src/core/flowTree.js';
import { fileMerkle } from '../../src/core/fileRoot.js';
import { completeRoot, sectorLeaves } from '../../src/core/merkle.js';
import { BYTES_PER_LOAD, BYTES_PER_SECTOR, SECTORS_PER_LOAD } from '../../src/spec.js';
import type { FlowSubmission } from '../../src/types.js';
import type { FlowTreeReader, LoadRootsOut, ZgsStore } from '../../src/sync/zgsNode.js';
import type { SyncStore } from '../../src/sync/loadSync.js';
import { xorshiftStream } from './random.js';

export interface TestFlow {
  /** Every sector of the flow (zeros in gaps), padded to whole loads. */
  bytes: Uint8Array;
  subs: FlowSubmission[];
  files: Uint8Array[];
  full: FlowTree;
  eventsOnly: FlowTree;
}

/** Submits `sizes` files of seeded random bytes; `full` keeps every leaf, `eventsOnly` only node roots. */
export function buildFlow(sizes: readonly number[], seed = 1): TestFlow {
  const full = new FlowTree();
  const eventsOnly = new FlowTree();
  const rnd = xorshiftStream(seed);
  const subs: FlowSubmission[] = [];
  const files: Uint8Array[] = [];
  const placed: { start: bigint; data: Uint8Array }[] = [];
  sizes.forEach((size, i) => {
    const data = rnd(size);
    const m = fileMerkle(data);
    const a = full.submitFile(data);
    const b = eventsOnly.submit(m.submissionNodes);
    if (a.startPos !== b.startPos) throw new Error('fixture: trees disagree');
    subs.push({ txSeq: BigInt(i), startPos: a.startPos, lengthSectors: a.length, sizeBytes: BigInt(size), nodes: m.submissionNodes, blockNumber: 10 + i });
    files.push(data);
    placed.push({ start: a.startPos, data });
  });
  const loads = Math.ceil(Number(full.length) / SECTORS_PER_LOAD);
  const bytes = new Uint8Array(loads * BYTES_PER_LOAD);
  for (const p of placed) bytes.set(p.data, Number(p.start) * BYTES_PER_SECTOR);
  return { bytes, subs, files, full, eventsOnly };
}

/** A FlowTreeReader over a FlowTree: node() is null where the tree only knows an ancestor. */
export function treeReader(t: FlowTree): FlowTreeReader {
  return {
    length: () => t.length,
    rootAt: async (len) => t.rootAt(len),
    node: async (level, index) => {
      if ((index + 1n) << BigInt(level) > t.length) return null;
      try {
        return t.nodeAt(level, index);
      } catch {
        return null;
      }
    },
    proof: async (level, index, len) => t.proofAt(level, index, len),
  };
}

/** The JS oracle of hashLoad (the wasm one is the production path). */
export function jsHashLoad(loadIndex: bigint, load: Uint8Array): LoadRootsOut {
  const leaves = sectorLeaves(load);
  if (loadIndex === 0n) leaves[0] = new Uint8Array(32);
  const sealRoots: Uint8Array[] = [];
  for (let s = 0; s < 64; s++) sealRoots.push(completeRoot(leaves.slice(s * 16, s * 16 + 16)));
  return { loadRoot: completeRoot(sealRoots.slice()), sealRoots };
}

/** Sectors in memory with a known-bitmap; counts writes so tests can prove nothing bad was stored. */
export class MemStore implements ZgsStore, SyncStore {
  readonly bytes: Uint8Array;
  readonly known: Uint8Array;
  readonly verifiedWrites: bigint[] = [];
  constructor(loads: number) {
    this.bytes = new Uint8Array(loads * BYTES_PER_LOAD);
    this.known = new Uint8Array(loads * SECTORS_PER_LOAD);
    this.known[0] = 1; // the flow's placeholder sector
  }
  rangeKnown(start: bigint, end: bigint): boolean {
    for (let s = Number(start); s < Number(end); s++) if (this.known[s] !== 1) return false;
    return true;
  }
  isLoadComplete(l: bigint): boolean {
    return this.rangeKnown(l * 1024n, (l + 1n) * 1024n);
  }
  async readRawLoad(l: bigint): Promise<Uint8Array> {
    return this.bytes.slice(Number(l) * BYTES_PER_LOAD, (Number(l) + 1) * BYTES_PER_LOAD);
  }
  async writeFlowData(start: bigint, data: Uint8Array): Promise<void> {
    this.bytes.set(data, Number(start) * BYTES_PER_SECTOR);
    this.known.fill(1, Number(start), Number(start) + data.length / BYTES_PER_SECTOR);
  }
  async markKnownZero(start: bigint, end: bigint): Promise<void> {
    this.known.fill(1, Number(start), Number(end));
  }
  async writeVerifiedLoad(l: bigint, bytes: Uint8Array): Promise<void> {
    this.verifiedWrites.push(l);
    await this.writeFlowData(l * 1024n, bytes);
  }
  /** Stores the whole flow (what a node that has everything holds). */
  static holding(flow: TestFlow): MemStore {
    const s = new MemStore(flow.bytes.length / BYTES_PER_LOAD);
    s.bytes.set(flow.bytes);
    s.known.fill(1, 0, Number(flow.full.length));
    return s;
  }
}

/** Submissions as JSON text (bigints as decimal strings, roots as hex), for a child process. */
export interface SubJson {
  txSeq: string;
  startPos: string;
  lengthSectors: string;
  sizeBytes: string;
  nodes: { root: string; height: number }[];
}

export const subsToJson = (subs: readonly FlowSubmission[]): string =>
  JSON.stringify(
    subs.map((s) => ({
      txSeq: String(s.txSeq),
      startPos: String(s.startPos),
      lengthSectors: String(s.lengthSectors),
      sizeBytes: String(s.sizeBytes),
      nodes: s.nodes.map((n) => ({ root: Buffer.from(n.root).toString('hex'), height: n.height })),
    }))
  );

export const subsFromJson = (text: string): FlowSubmission[] =>
  (JSON.parse(text) as SubJson[]).map((s) => ({
    txSeq: BigInt(s.txSeq),
    startPos: BigInt(s.startPos),
    lengthSectors: BigInt(s.lengthSectors),
    sizeBytes: BigInt(s.sizeBytes),
    nodes: s.nodes.map((n) => ({ root: new Uint8Array(Buffer.from(n.root, 'hex')), height: n.height })),
    blockNumber: 1,
  }));
