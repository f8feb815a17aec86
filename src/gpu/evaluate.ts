/**
 * `evaluate()` on the GPU (shaders/evaluate.wgsl): pad seed, pad digest, recall seed, quality and
 * recall chunk offset of each PoraInput, for selftest, the known-answer self-check and tests.
 * Not a hot path: each group of inputs gets its own buffers.
 */
import { BYTES_PER_SEAL, UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import { concatBytes, u256be } from '../bytes.js';
import { MinerError } from '../errors.js';
import type { PoraEvaluation, PoraInput } from '../backend/backend.js';
import { withErrorScope, type GpuContext } from './device.js';
import { makeBuffer, readBack, STORAGE, UNIFORM, uploadBytes, type Kernels } from './kernels.js';
import { u64Words } from './jobParams.js';
import { uniformLayout, writeUniform } from './uniforms.js';

const EVAL_PARAMS = uniformLayout('evaluate.wgsl', 'EvalParams');
/** Per input: minerId, nonce, subtaskDigest, abi.encode(range) (224 bytes), then 8 u32 of u64 fields. */
const EVAL_IN_BYTES = 256;
/** Per input: padSeed 64, padDigest 64, recallSeed 32, quality 32, then chunk offset lo/hi, inBound. */
const EVAL_OUT_BYTES = 256;

export type DetailedEvaluation = PoraEvaluation & { chunkOffset: bigint | null; inBound: boolean | null };

/** The 256-byte input record of one PoraInput; `ok` = mineLength / 1024 is a usable u64 (> 0). */
function inputRecord(x: PoraInput): { bytes: Uint8Array; ok: boolean } {
  if (x.sealedData.length !== BYTES_PER_SEAL) throw new MinerError('BAD_INPUT', `sealedData must be 4096 bytes (got ${x.sealedData.length})`);
  if (x.sealOffset > UINT64_MAX) throw new MinerError('BAD_INPUT', 'sealOffset above 2^64 is not supported by the GPU kernel');
  const r = x.range;
  const n64 = r.mineLength / SECTORS_PER_LOAD_N;
  const ok = n64 > 0n && n64 <= UINT64_MAX;
  const words = new Uint32Array([...u64Words(x.sealOffset), ...u64Words(ok ? n64 : 0n), ...u64Words(r.shardMask), ...u64Words(r.shardId)]);
  const bytes = concatBytes(
    x.minerId,
    x.nonce,
    x.subtaskDigest,
    u256be(r.startPosition),
    u256be(r.mineLength),
    u256be(r.shardId),
    u256be(r.shardMask),
    new Uint8Array(words.buffer)
  );
  return { bytes, ok };
}

export async function evaluateOnGpu(ctx: GpuContext, kernels: Kernels, inputs: readonly PoraInput[]): Promise<DetailedEvaluation[]> {
  const out: DetailedEvaluation[] = [];
  // The pads scratch buffer (16 KiB per input) must fit one binding.
  const per = Math.max(1, Math.min(4096, Math.floor((ctx.limits.maxStorageBufferBindingSize ?? 0) / 16384)));
  const pipeline = await kernels.evaluate();
  for (let g = 0; g < inputs.length; g += per) out.push(...(await evaluateGroup(ctx, kernels, pipeline, inputs.slice(g, g + per))));
  return out;
}

function evaluateGroup(ctx: GpuContext, kernels: Kernels, pipeline: GPUComputePipeline, part: readonly PoraInput[]): Promise<DetailedEvaluation[]> {
  return withErrorScope(ctx, 'evaluate', async () => {
    const n = part.length;
    const inBytes = new Uint8Array(n * EVAL_IN_BYTES);
    const sealed = new Uint8Array(n * BYTES_PER_SEAL);
    const ok = part.map((x, i) => {
      const rec = inputRecord(x);
      inBytes.set(rec.bytes, i * EVAL_IN_BYTES);
      sealed.set(x.sealedData, i * BYTES_PER_SEAL);
      return rec.ok;
    });
    const params = makeBuffer(ctx, 'eval params', EVAL_PARAMS.size, UNIFORM);
    const bIn = makeBuffer(ctx, 'eval in', inBytes.length, STORAGE);
    const bSealed = makeBuffer(ctx, 'eval sealed', sealed.length, STORAGE);
    const bPads = makeBuffer(ctx, 'eval pads', n * 16384, STORAGE);
    const bOut = makeBuffer(ctx, 'eval out', n * EVAL_OUT_BYTES, STORAGE);
    try {
      writeUniform(ctx, params, EVAL_PARAMS, { count: n });
      uploadBytes(ctx, bIn, 0, inBytes);
      uploadBytes(ctx, bSealed, 0, sealed);
      const bg = ctx.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [params, bIn, bSealed, bPads, bOut].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const enc = ctx.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(Math.ceil(n / kernels.opts.workgroupSize));
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
      const res = await readBack(ctx, bOut, 0, n * EVAL_OUT_BYTES);
      return part.map((_, i) => {
        const o = i * EVAL_OUT_BYTES;
        const words = new Uint32Array(res.buffer, o + 192, 4);
        const known = ok[i] === true && words[2] !== 2;
        return {
          padSeed: res.slice(o, o + 64),
          padDigest: res.slice(o + 64, o + 128),
          recallSeed: res.slice(o + 128, o + 160),
          quality: res.slice(o + 160, o + 192),
          chunkOffset: known ? BigInt(words[0]!) | (BigInt(words[1]!) << 32n) : null,
          inBound: known ? words[2] === 1 : null,
        };
      });
    } finally {
      for (const b of [params, bIn, bSealed, bPads, bOut]) b.destroy();
    }
  });
}
