/**
 * Hashing a load once, in wasm (pora.wasm `hashLoad`): its 64 level-4 seal roots and its level-10
 * root. core/flowTree.ts `hashLoad` is the oracle (test/unit/loadHash.test.ts holds them equal).
 * Exported for cli/ and sync/ (a peer's load is hashed here, then written with writeVerifiedLoad).
 */
import { BYTES_PER_LOAD } from '../spec.js';
import { WasmPora, HASH_LOAD_OUT } from '../backend/wasmPora.js';
import type { LoadRoots } from '../core/flowTree.js';

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
