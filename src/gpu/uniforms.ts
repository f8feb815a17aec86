/**
 * Uniform blocks laid out from their WGSL struct definitions (webgpu-utils' habit): the host
 * reads `struct X { ... }` out of the shader file and computes each field's offset with WGSL's
 * alignment rules, so no byte offset is kept by hand on the TypeScript side.
 *
 * Field types used by the kernels: u32, vec2<u32> (a u64 as lo, hi), vec4<u32> and
 * array<vec4<u32>, N> (raw bytes).
 */
import { readShader } from './shaders.js';
import type { GpuContext } from './device.js';

export interface UniformField {
  readonly offset: number;
  readonly size: number;
  readonly type: string;
}

export interface UniformLayout {
  readonly struct: string;
  /** Bytes, rounded up to the struct's 16-byte uniform alignment. */
  readonly size: number;
  readonly fields: ReadonlyMap<string, UniformField>;
}

/** A field value: u32 → number; vec2<u32> → bigint (u64, low word first); vectors and arrays → bytes. */
export type UniformValue = number | bigint | Uint8Array | Uint32Array;

function typeInfo(type: string): { align: number; size: number } {
  const t = type.replace(/\s+/g, '');
  if (t === 'u32' || t === 'i32' || t === 'f32') return { align: 4, size: 4 };
  if (t === 'vec2<u32>') return { align: 8, size: 8 };
  if (t === 'vec4<u32>') return { align: 16, size: 16 };
  const arr = /^array<(.+),(\d+)u?>$/.exec(t);
  if (arr) {
    const el = typeInfo(arr[1]!);
    // Uniform arrays need a 16-byte element stride.
    const stride = Math.ceil(el.size / 16) * 16;
    return { align: 16, size: stride * Number(arr[2]) };
  }
  throw new Error(`uniforms: WGSL type ${type} is not supported`);
}

/** Splits a struct body on top-level commas (array<T, N> has one inside). */
function fieldDecls(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((d) => d.trim()).filter((d) => d !== '');
}

/** The layout of `struct name` in `source` (WGSL text). */
export function parseUniformLayout(source: string, name: string): UniformLayout {
  const m = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(source);
  if (!m) throw new Error(`uniforms: no struct ${name} in the shader`);
  const body = m[1]!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const fields = new Map<string, UniformField>();
  let offset = 0;
  let maxAlign = 16;
  for (const decl of fieldDecls(body)) {
    const colon = decl.indexOf(':');
    const field = decl.slice(0, colon).trim();
    const type = decl.slice(colon + 1).trim();
    const { align, size } = typeInfo(type);
    maxAlign = Math.max(maxAlign, align);
    offset = Math.ceil(offset / align) * align;
    fields.set(field, { offset, size, type: type.replace(/\s+/g, '') });
    offset += size;
  }
  return { struct: name, size: Math.ceil(offset / maxAlign) * maxAlign, fields };
}

const cache = new Map<string, UniformLayout>();

/** The layout of `struct name` in `shaders/<file>`. */
export function uniformLayout(file: string, name: string): UniformLayout {
  const key = `${file}:${name}`;
  let l = cache.get(key);
  if (l === undefined) {
    l = parseUniformLayout(readShader(file), name);
    cache.set(key, l);
  }
  return l;
}

/** Packs `values` (every field not named is zero). @throws on an unknown field or a value that does not fit. */
export function packUniform(layout: UniformLayout, values: Readonly<Record<string, UniformValue>>): Uint32Array {
  const words = new Uint32Array(layout.size / 4);
  const bytes = new Uint8Array(words.buffer);
  for (const [name, v] of Object.entries(values)) {
    const f = layout.fields.get(name);
    if (f === undefined) throw new Error(`uniforms: ${layout.struct} has no field ${name}`);
    if (typeof v === 'number') {
      if (f.type !== 'u32') throw new Error(`uniforms: ${layout.struct}.${name} is ${f.type}, not u32`);
      words[f.offset / 4] = v >>> 0;
    } else if (typeof v === 'bigint') {
      if (f.type !== 'vec2<u32>') throw new Error(`uniforms: ${layout.struct}.${name} is ${f.type}, not vec2<u32>`);
      const x = BigInt.asUintN(64, v);
      words[f.offset / 4] = Number(x & 0xffffffffn);
      words[f.offset / 4 + 1] = Number(x >> 32n);
    } else {
      const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      if (b.length > f.size) throw new Error(`uniforms: ${b.length} bytes do not fit ${layout.struct}.${name} (${f.size})`);
      bytes.set(b, f.offset);
    }
  }
  return words;
}

export function writeUniform(ctx: GpuContext, buffer: GPUBuffer, layout: UniformLayout, values: Readonly<Record<string, UniformValue>>): void {
  ctx.device.queue.writeBuffer(buffer, 0, packUniform(layout, values));
}

export const RS_PARAMS = uniformLayout('rs.wgsl', 'RsParams');
