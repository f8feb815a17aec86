/**
 * Hashing a load once, in wasm (pora.wasm `hashLoad`): its 64 level-4 seal roots and its level-10
 * root. core/flowTree.ts `hashLoad` is the oracle (test/unit/loadHash.test.ts holds them equal).
 * Exported for cli/ and sync/ (a peer's load is hashed here, then written with writeVerifiedLoad).
 */
import { BYTES_PER_LOAD, SECTORS_PER_LOAD } from '../spec.js';
import { WasmPora, HASH_LOAD_OUT } from '../backend/wasmPora.js';
import { LOAD_LEVEL, type LoadRoots } from '../core/flowTree.js';
import { completeRoot, ZERO_HASHES } from '../core/merkle.js';
import { sharedHashPool, type HashPool } from './hashPool.js';

let wasm: WasmPora | null = null;
const out = new Uint8Array(HASH_LOAD_OUT);

/** The roots of load `loadIndex` (leaf-0 rule for load 0) from its 262144 unsealed bytes. */
export function hashLoad(loadIndex: bigint, bytes: Uint8Array): LoadRoots {
  if (bytes.length !== BYTES_PER_LOAD) throw new RangeError(`hashLoad: expected ${BYTES_PER_LOAD} bytes, got ${bytes.length}`);
  if (loadIndex < 0n) throw new RangeError(`hashLoad: loadIndex ${loadIndex} is negative`);
  wasm ??= new WasmPora();
  wasm.hashLoadInto(bytes, loadIndex === 0n, out);
  return rootsAt(out, 0);
}

/**
 * hashLoad on the hash pool: the calling thread stays free, and loads hashed at the same time
 * (peer sync fetches several) use every core.
 */
export async function hashLoadPooled(loadIndex: bigint, bytes: Uint8Array, pool: HashPool = sharedHashPool()): Promise<LoadRoots> {
  if (bytes.length !== BYTES_PER_LOAD) throw new RangeError(`hashLoad: expected ${BYTES_PER_LOAD} bytes, got ${bytes.length}`);
  if (loadIndex < 0n) throw new RangeError(`hashLoad: loadIndex ${loadIndex} is negative`);
  return rootsAt(await pool.hashLoads(bytes, loadIndex === 0n), 0);
}

/** keccak256 of each 256-byte sector of `data`, concatenated (32 bytes per sector). */
export function sectorLeaves(data: Uint8Array): Uint8Array {
  wasm ??= new WasmPora();
  const leaves = new Uint8Array((data.length / 256) * 32);
  wasm.sectorLeavesInto(data, leaves);
  return leaves;
}

/** LoadRoots from hashLoad's output layout (copies: a root outlives the buffer it came in). */
export function rootsAt(out: Uint8Array, k: number): LoadRoots {
  const base = k * HASH_LOAD_OUT;
  const sealRoots: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) sealRoots.push(out.slice(base + i * 32, base + (i + 1) * 32));
  return { loadRoot: out.slice(base + 2048, base + 2080), sealRoots };
}

/**
 * A submitted file hashed once, its whole loads on every core (hashPool.ts): the root of each of
 * its Submit nodes (`heights`, in order, each covering the next 2^h sectors of the zero-padded
 * file) and the roots of every whole load those nodes cover, by file-relative load index (file
 * sectors [1024k, 1024k + 1024)). A node of height ≥ 10 starts load-aligned in the flow, so these
 * are the flow's load roots too. `data` must not change until the promise settles.
 */
export async function hashFile(data: Uint8Array, heights: readonly number[], pool: HashPool = sharedHashPool()): Promise<{ nodeRoots: Uint8Array[]; loads: Map<number, LoadRoots> }> {
  const loads = new Map<number, LoadRoots>();
  const big: { first: number; loads: number; hashed: Promise<Uint8Array>[] }[] = [];
  const small = new Map<number, Uint8Array>();
  let sector = 0;
  // Every node's hashing starts before any is awaited: the pool works while the small nodes are hashed here.
  for (const [i, h] of heights.entries()) {
    const n = 2 ** h;
    if (h >= LOAD_LEVEL) {
      const first = sector / SECTORS_PER_LOAD;
      const count = n / SECTORS_PER_LOAD;
      const dataLoads = Math.max(0, Math.min(count, Math.ceil(data.length / BYTES_PER_LOAD) - first));
      const whole = Math.max(0, Math.min(dataLoads, Math.floor(data.length / BYTES_PER_LOAD) - first));
      const hashed = [pool.hashLoads(data.subarray(first * BYTES_PER_LOAD, (first + whole) * BYTES_PER_LOAD))];
      if (dataLoads > whole) {
        // The file ends inside this load: hash it zero-padded (one load, not a copy of the file).
        const last = new Uint8Array(BYTES_PER_LOAD);
        last.set(data.subarray((first + whole) * BYTES_PER_LOAD));
        hashed.push(pool.hashLoads(last));
      }
      big.push({ first, loads: count, hashed });
    } else {
      const chunk = new Uint8Array(n * 256);
      const from = sector * 256;
      if (from < data.length) chunk.set(data.subarray(from, Math.min(data.length, from + chunk.length)));
      const leaves = sectorLeaves(chunk);
      const list: Uint8Array[] = [];
      for (let j = 0; j < n; j++) list.push(leaves.subarray(j * 32, j * 32 + 32));
      small.set(i, completeRoot(list));
    }
    sector += n;
  }
  const nodeRoots: Uint8Array[] = [];
  let b = 0;
  for (const [i, h] of heights.entries()) {
    if (h < LOAD_LEVEL) {
      nodeRoots.push(small.get(i)!);
      continue;
    }
    const node = big[b++]!;
    const outs = await Promise.all(node.hashed);
    const level: Uint8Array[] = [];
    let k = 0;
    for (const out of outs)
      for (let j = 0; j < out.length / HASH_LOAD_OUT; j++, k++) {
        const roots = rootsAt(out, j);
        loads.set(node.first + k, roots);
        level.push(roots.loadRoot);
      }
    // Loads past the file's end are all zeros.
    for (; k < node.loads; k++) {
      loads.set(node.first + k, { loadRoot: ZERO_HASHES[LOAD_LEVEL]!, sealRoots: Array.from({ length: 64 }, () => ZERO_HASHES[4]!) });
      level.push(ZERO_HASHES[LOAD_LEVEL]!);
    }
    nodeRoots.push(completeRoot(level));
  }
  return { nodeRoots, loads };
}
