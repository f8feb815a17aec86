/**
 * Uniform layouts parsed from the WGSL structs (src/gpu/uniforms.ts): the offsets WGSL's rules
 * give for the kernels' parameter blocks, and packing that refuses what does not fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packUniform, parseUniformLayout, uniformLayout } from '../../src/gpu/uniforms.js';

test('PadParams, PoraParams, SealParams, EvalParams and RsParams lay out as WGSL does', () => {
  const pad = uniformLayout('scratchpad.wgsl', 'PadParams');
  const at = (l: typeof pad, f: string): number => l.fields.get(f)!.offset;
  assert.equal(pad.size, 208);
  assert.deepEqual(
    ['preimage', 'start', 'count', 'resident', 'n', 'shard_mask', 'shard_id', 'rel_lo', 'rel_hi', 'loads_per_chunk', 'list_stride', 'resident_empty', 'delta'].map((f) => at(pad, f)),
    [0, 128, 136, 140, 144, 152, 160, 168, 176, 184, 188, 192, 200]
  );
  const pora = uniformLayout('pora.wgsl', 'PoraParams');
  assert.equal(pora.size, 48);
  assert.deepEqual(['bound', 'chunk', 'list_stride', 'mask_base', 'hit_cap'].map((f) => at(pora, f)), [0, 32, 36, 40, 44]);
  assert.equal(uniformLayout('seal.wgsl', 'SealParams').size, 16);
  assert.equal(uniformLayout('evaluate.wgsl', 'EvalParams').size, 16);
  assert.deepEqual([...uniformLayout('rs.wgsl', 'RsParams').fields.values()].map((f) => f.offset), [0, 4, 8, 12]);
});

test('alignment: a u32 before a vec2 pads to 8, a struct rounds up to 16; comments are ignored', () => {
  const l = parseUniformLayout('struct X {\n  a: u32, // one\n  /* two */ b: vec2<u32>,\n  c: array<vec4<u32>, 2>,\n  d: u32,\n}', 'X');
  assert.deepEqual([...l.fields.entries()].map(([k, f]) => [k, f.offset]), [['a', 0], ['b', 8], ['c', 16], ['d', 48]]);
  assert.equal(l.size, 64);
});

test('packing: u64 as lo/hi words, bytes in place; unknown fields, wrong kinds and oversize bytes throw', () => {
  const l = parseUniformLayout('struct Y { a: u32, b: vec2<u32>, c: array<vec4<u32>, 1> }', 'Y');
  const w = packUniform(l, { a: 7, b: (5n << 32n) | 9n, c: new Uint8Array([1, 2, 3, 4]) });
  assert.deepEqual([...w], [7, 0, 9, 5, 0x04030201, 0, 0, 0]);
  assert.throws(() => packUniform(l, { z: 1 }), /no field z/);
  assert.throws(() => packUniform(l, { a: 1n }), /not vec2/);
  assert.throws(() => packUniform(l, { c: new Uint8Array(17) }), /do not fit/);
  assert.throws(() => parseUniformLayout('struct Z { a: f64 }', 'Z'), /not supported/);
});
