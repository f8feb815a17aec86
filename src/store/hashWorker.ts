/**
 * A hashing worker of the store's HashPool (hashPool.ts): one pora.wasm instance; each request is
 * a run of whole loads in shared memory, hashed in place (no copy through the main thread) with
 * the roots written into the shared output the pool hands over.
 */
import { serveRpc } from '../workerRpc/workerRpc.js';
import { BYTES_PER_LOAD } from '../spec.js';
import { HASH_LOAD_OUT, WasmPora } from '../backend/wasmPora.js';

/** A run of whole loads (a view of shared memory) and where their roots go (shared too). */
export interface HashRequest {
  data: Uint8Array;
  /** The run's first load is flow load 0 (its leaf 0 is the placeholder 0x00…00). */
  leafZero: boolean;
  /** count × HASH_LOAD_OUT bytes: load k's 64 seal roots, then its load root, at k × HASH_LOAD_OUT. */
  out: Uint8Array;
}

const wasm = new WasmPora();

serveRpc<HashRequest, number>((r) => {
  const count = r.data.length / BYTES_PER_LOAD;
  if (!Number.isInteger(count) || r.out.length !== count * HASH_LOAD_OUT) throw new RangeError(`hash request: ${r.data.length} bytes / ${r.out.length} output bytes do not match`);
  for (let k = 0; k < count; k++)
    wasm.hashLoadInto(r.data.subarray(k * BYTES_PER_LOAD, (k + 1) * BYTES_PER_LOAD), r.leafZero && k === 0, r.out.subarray(k * HASH_LOAD_OUT, (k + 1) * HASH_LOAD_OUT));
  return count;
});
