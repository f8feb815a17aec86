/**
 * Hashing a load once, in wasm (pora.wasm `hashLoad`): its 64 level-4 seal roots and its level-10
 * root. core/flowTree.ts `hashLoad` is the oracle (test/unit/loadHash.test.ts holds them equal).
 * Exported for cli/ and sync/ (a peer's load is hashed here, then written with writeVerifiedLoad).
 */
import { BYTES_PER_LOAD } from '../spec.js';
import { WasmPora, HASH_LOAD_OUT } from '../backend/wasmPora.js';
import { LOAD_LEVEL, type LoadRoots } from '../core/flowTree.js';
import { completeRoot, ZERO_HASHES } from '../core/merkle.js';

let wasm: WasmPora | null = null;
const out = new Uint8Array(HASH_LOAD_OUT);

/** The roots of load `loadIndex` (leaf-0 rule for load 0) from its 262144 unsealed bytes. */
export function hashLoad(loadIndex: bigint, bytes: Uint8Array): LoadRoots {
  if (bytes.length !== BYTES_PER_LOAD) throw new RangeError(`hashLoad: expected ${BYTES_PER_LOAD} bytes, got ${bytes.length}`);
  if (loadIndex < 0n) throw new RangeError(`hashLoad: loadIndex ${loadIndex} is negative`);
  wasm ??= new WasmPora();
  wasm.hashLoadInto(bytes, loadIndex === 0n, out);
  const sealRoots: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) sealRoots.push(out.slice(i * 32, (i + 1) * 32));
  return { loadRoot: out.slice(2048, 2080), sealRoots };
}

/** keccak256 of each 256-byte sector of `data`, concatenated (32 bytes per sector). */
export function sectorLeaves(data: Uint8Array): Uint8Array {
  wasm ??= new WasmPora();
  const leaves = new Uint8Array((data.length / 256) * 32);
  wasm.sectorLeavesInto(data, leaves);
  return leaves;
}

/**
 * A submitted file hashed once, in wasm: the root of each of its Submit nodes (`heights`, in
 * order, each covering the next 2^h sectors of the zero-padded file) and the roots of every whole
 * load those nodes cover, by file-relative load index (file sectors [1024k, 1024k + 1024)). A node
 * of height ≥ 10 starts load-aligned in the flow, so these are the flow's load roots too.
 */
export function hashFile(data: Uint8Array, heights: readonly number[]): { nodeRoots: Uint8Array[]; loads: Map<number, LoadRoots> } {
  const nodeRoots: Uint8Array[] = [];
  const loads = new Map<number, LoadRoots>();
  const zeroLoad = new Uint8Array(BYTES_PER_LOAD);
  let sector = 0;
  for (const h of heights) {
    const n = 2 ** h;
    if (h >= LOAD_LEVEL) {
      const level: Uint8Array[] = [];
      for (let k = sector / 1024; k < (sector + n) / 1024; k++) {
        const from = k * BYTES_PER_LOAD;
        let roots: LoadRoots;
        if (from >= data.length) roots = { loadRoot: ZERO_HASHES[LOAD_LEVEL]!, sealRoots: Array.from({ length: 64 }, () => ZERO_HASHES[4]!) };
        else if (from + BYTES_PER_LOAD <= data.length) roots = hashLoad(1n, data.subarray(from, from + BYTES_PER_LOAD));
        else {
          zeroLoad.fill(0);
          zeroLoad.set(data.subarray(from));
          roots = hashLoad(1n, zeroLoad);
        }
        loads.set(k, roots);
        level.push(roots.loadRoot);
      }
      nodeRoots.push(completeRoot(level));
    } else {
      const chunk = new Uint8Array(n * 256);
      const from = sector * 256;
      if (from < data.length) chunk.set(data.subarray(from, Math.min(data.length, from + chunk.length)));
      const leaves = sectorLeaves(chunk);
      const list: Uint8Array[] = [];
      for (let i = 0; i < n; i++) list.push(leaves.subarray(i * 32, i * 32 + 32));
      nodeRoots.push(completeRoot(list));
    }
    sector += n;
  }
  return { nodeRoots, loads };
}
