/**
 * Loading the project's WebAssembly modules (dist/wasm/*.wasm, built from src/wasm by `npm run
 * build`), compiled once per thread. Node has the WebAssembly API globally, but this project's lib
 * settings (ES2023, no DOM) carry no typings for it, so the slice used here is typed locally.
 */
import { readFileSync } from 'node:fs';

export interface WasmModule {
  readonly __wasmModule: unique symbol;
}
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const WebAssemblyJs = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export function compileWasm(bytes: Uint8Array): WasmModule {
  return new WebAssemblyJs.Module(bytes);
}

export function instantiateWasm(module: WasmModule, imports: Record<string, Record<string, unknown>> = {}): unknown {
  return new WebAssemblyJs.Instance(module, imports).exports;
}

const cache = new Map<string, WasmModule>();

/** dist/wasm/`name`, compiled once per thread. */
export function projectWasm(name: 'pora.wasm' | 'rs.wasm'): WasmModule {
  let m = cache.get(name);
  if (m === undefined) {
    const url = new URL(`../wasm/${name}`, import.meta.url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch (e) {
      throw new Error(`${name} not found at ${url.pathname}: run npm run build`, { cause: e });
    }
    m = compileWasm(bytes);
    cache.set(name, m);
  }
  return m;
}
