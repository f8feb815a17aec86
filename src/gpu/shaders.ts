/**
 * WGSL sources: real `.wgsl` files under `shaders/`, composed by concatenation (WGSL has no
 * imports) and specialised with `override` constants at pipeline creation, never by templates.
 */
import { readFileSync } from 'node:fs';

/** `shaders/` at the package root (this file runs from dist/src/gpu/). */
const SHADER_DIR = new URL('../../../shaders/', import.meta.url);

/** The two keccak-f lane layouts (plain u32 pairs is the default: see README Speed). */
export type KeccakLayout = 'pairs' | 'interleaved';

const cache = new Map<string, string>();

export function readShader(name: string): string {
  let src = cache.get(name);
  if (src === undefined) {
    src = readFileSync(new URL(name, SHADER_DIR), 'utf8');
    cache.set(name, src);
  }
  return src;
}

/** The shared primitives every kernel needs, in dependency order. */
function common(layout: KeccakLayout): string[] {
  return ['u64.wgsl', 'blake2b.wgsl', `keccak_${layout}.wgsl`, 'keccak256.wgsl'];
}

export type KernelName = 'scratchpad' | 'pora' | 'seal' | 'evaluate' | 'primitives_test';

export function kernelSource(kernel: KernelName, layout: KeccakLayout = 'pairs'): string {
  return [...common(layout), `${kernel}.wgsl`].map(readShader).join('\n');
}
