/**
 * The Rust crate reed-solomon-erasure 3.1.1 compiled to wasm (npm
 * `@digitaldefiance/reed-solomon-erasure.wasm`, a dev dependency): the yardstick `bench ec` runs
 * beside ours and the cross-check the tests encode against. Only its raw `encode` export is used:
 * the package's JS `reconstruct()` frees its flags buffer twice and then returns wrong data.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compileWasm, instantiateWasm } from '../wasmModule.js';

interface CrateExports {
  memory: { buffer: ArrayBuffer };
  __wbindgen_malloc(size: number): number;
  __wbindgen_free(ptr: number, size: number): void;
  encode(ptr: number, len: number, dataShards: number, parityShards: number): number;
}

export interface RustCrate {
  /** Encodes a codeword laid out as k data shards then m parity shards, contiguous, in place. */
  encode(codeword: Uint8Array, k: number, m: number): void;
  /**
   * A codeword of `bytes` held in the crate's own memory, for timing `encode` without the
   * wrapper's per-call malloc and copies.
   */
  resident(bytes: number): { view: () => Uint8Array; encode: (k: number, m: number) => void; free: () => void };
}

/** The crate, or null when the dev dependency is not installed (a production install). */
export function loadRustCrate(): RustCrate | null {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve('@digitaldefiance/reed-solomon-erasure.wasm/wasm');
  } catch {
    return null;
  }
  const x = instantiateWasm(compileWasm(readFileSync(path))) as CrateExports;
  const check = (rc: number): void => {
    if (rc !== 0) throw new Error(`reed-solomon-erasure encode returned error ${rc}`);
  };
  return {
    encode(codeword, k, m) {
      const ptr = x.__wbindgen_malloc(codeword.length);
      try {
        new Uint8Array(x.memory.buffer, ptr, codeword.length).set(codeword);
        check(x.encode(ptr, codeword.length, k, m));
        codeword.set(new Uint8Array(x.memory.buffer, ptr, codeword.length));
      } finally {
        x.__wbindgen_free(ptr, codeword.length);
      }
    },
    resident(bytes) {
      const ptr = x.__wbindgen_malloc(bytes);
      return {
        view: () => new Uint8Array(x.memory.buffer, ptr, bytes),
        encode: (k, m) => check(x.encode(ptr, bytes, k, m)),
        free: () => x.__wbindgen_free(ptr, bytes),
      };
    },
  };
}
