/**
 * The WebGPU PoraBackend: `search` on the GPU (search.ts), `evaluate` and `seal` through the
 * evaluate / seal kernels, a known-answer self-check against core/ before mining, and the
 * figures the bench command adds (`gpuInfo()`). Device loss and validation errors surface as
 * MinerError('GPU_DEVICE_LOST' | 'GPU_VALIDATION') so the caller can fall back to the CPU.
 */
import { BYTES_PER_SEAL, SECTORS_PER_LOAD, UINT64_MAX } from '../spec.js';
import { concatBytes, u256be } from '../bytes.js';
import { MinerError } from '../errors.js';
import type {
  LoadSource,
  MineJob,
  NonceRange,
  PoraBackend,
  PoraEvaluation,
  PoraInput,
  SealInput,
  SearchResult,
} from '../backend/backend.js';
import { acquireGpu, isSoftwareAdapter, releaseGpu, withErrorScope, type GpuBackendName, type GpuContext } from './device.js';
import { grid, Kernels, makeBuffer, readBack, STORAGE, UNIFORM, uploadBytes, DEFAULT_PORA_PAD, type PoraPad } from './kernels.js';
import { loadsPerBinding } from './residency.js';
import { GpuSearcher } from './search.js';
import type { Blake2bVariant, KeccakLayout } from './shaders.js';
import { selfCheck } from './selfCheck.js';

export interface GpuBackendOptions {
  /** Adapter indices; only the first adapter Dawn offers (index 0) is addressable: see device.ts. */
  devices?: number[];
  gpuBackend?: GpuBackendName;
  /** Nonces per GPU batch (default: 1024 on a software GPU, up to 2^17 on a real one). */
  batch?: number;
  /** CPU threads for the hit re-check (the re-check runs on the calling thread; kept for the factory). */
  threads?: number;
  keccakLayout?: KeccakLayout;
  workgroupSize?: number;
  /** Prefetch in the pora kernel (measured no faster on an H100: off by default). */
  poraPrefetch?: boolean;
  /** BLAKE2b variant (default: the fastest measured, see shaders/README.md). */
  blake2b?: Blake2bVariant;
  /** Pad slice source of the pora kernel (default: the fastest measured). */
  poraPad?: PoraPad;
  inFlight?: number;
  /** Hit records per batch before the overflow re-run. */
  hitCap?: number;
  /** Test knob: loads per GPU data binding (default: what maxStorageBufferBindingSize allows). */
  loadsPerBinding?: number;
  /** Dawn's disable_robustness toggle (no bounds clamping in the kernels); off by default. */
  disableRobustness?: boolean;
  /** Skip the known-answer self-check at creation (tests that check the kernels directly). */
  skipSelfCheck?: boolean;
  log?: (line: string) => void;
}

export interface GpuInfo {
  adapter: string;
  gpuBackend: GpuBackendName;
  batch: number;
  inFlight: number;
  keccakLayout: KeccakLayout;
  workgroupSize: number;
  /** Kernel time summed from timestamp queries; null when the adapter has none. */
  gpuSeconds: number | null;
  timestampQuery: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  loadsPerBinding: number;
}

export interface SealThroughput {
  seals: number;
  bytes: number;
  seconds: number;
  /** Bytes sealed per second with the data already in GPU memory (kernel only). */
  sealBytesPerSecond: number;
}

export interface GpuBackend extends PoraBackend {
  gpuInfo(): GpuInfo;
  /** Known-answer check of every kernel against core/; throws MinerError('GPU_VALIDATION') on a mismatch. */
  selfCheck(): Promise<void>;
  /** evaluate() plus the recall chunk offset the GPU computed (null when mineLength / 1024 is 0). */
  evaluateDetailed(inputs: PoraInput[]): Promise<(PoraEvaluation & { chunkOffset: bigint | null; inBound: boolean | null })[]>;
  /** Seals `seals` seals resident in GPU memory, repeatedly for about `seconds`. */
  sealThroughput(seals: number, seconds: number): Promise<SealThroughput>;
}

const EVAL_IN_BYTES = 256;
const EVAL_OUT_BYTES = 256;

function isSoftware(ctx: GpuContext): boolean {
  return isSoftwareAdapter(ctx.description);
}

/** Default nonces per batch: bounded by the pad buffer (16 KiB per nonce) in one binding. */
export function defaultBatch(limits: Record<string, number>, software: boolean): number {
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize ?? 0, limits.maxBufferSize ?? 0);
  const cap = Math.floor(maxBinding / 16384);
  return Math.max(1, Math.min(cap, software ? 1024 : 1 << 17));
}

export async function createGpuBackend(opts: GpuBackendOptions = {}): Promise<GpuBackend> {
  const devices = opts.devices ?? [0];
  if (devices.length !== 1 || devices[0] !== 0)
    throw new MinerError(
      'BAD_CONFIG',
      `--devices ${devices.join(',')}: this WebGPU build addresses one adapter per process (device 0); run one zg-miner process per GPU`
    );
  const ctx = await acquireGpu({
    ...(opts.gpuBackend ? { gpuBackend: opts.gpuBackend } : {}),
    ...(opts.disableRobustness ? { disableRobustness: true } : {}),
  });
  try {
    return await buildBackend(ctx, opts);
  } catch (e) {
    releaseGpu(ctx);
    throw e;
  }
}

async function buildBackend(ctx: GpuContext, opts: GpuBackendOptions): Promise<GpuBackend> {
  const software = isSoftware(ctx);
  const wgStorage = ctx.limits.maxComputeWorkgroupStorageSize ?? 0;
  // Only the staged-pad pora kernel needs the 16.5 KiB pad in workgroup memory.
  if ((opts.poraPad ?? DEFAULT_PORA_PAD) === 'workgroup' && wgStorage < 16512 + 16)
    throw new MinerError('GPU_UNAVAILABLE', `adapter ${ctx.description} offers ${wgStorage} bytes of workgroup memory; the pora kernel needs 16528`);
  const batchCap = defaultBatch(ctx.limits, false);
  const batch = Math.min(opts.batch ?? defaultBatch(ctx.limits, software), batchCap);
  if (!(batch >= 1)) throw new MinerError('BAD_CONFIG', `--batch must be at least 1 (got ${opts.batch})`);
  const workgroupSize = opts.workgroupSize ?? 64;
  const keccakLayout = opts.keccakLayout ?? 'pairs';
  const kernels = new Kernels(ctx, {
    keccakLayout,
    workgroupSize,
    poraPrefetch: opts.poraPrefetch === true,
    ...(opts.blake2b !== undefined ? { blake2b: opts.blake2b } : {}),
    ...(opts.poraPad !== undefined ? { poraPad: opts.poraPad } : {}),
  });
  const perBinding = Math.min(opts.loadsPerBinding ?? Infinity, loadsPerBinding(ctx));
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const searcher = new GpuSearcher(ctx, kernels, {
    batch,
    inFlight: Math.max(1, opts.inFlight ?? 3),
    hitCap: Math.max(1, opts.hitCap ?? 1024),
    loadsPerBinding: perBinding,
    streamLoads: Math.max(1, Math.min(perBinding, software ? 64 : 1024)),
    log,
  });
  const timestamps = ctx.device.features.has('timestamp-query');
  let disposed = false;

  async function evaluateDetailed(inputs: PoraInput[]) {
    const out: (PoraEvaluation & { chunkOffset: bigint | null; inBound: boolean | null })[] = [];
    const per = Math.max(1, Math.min(4096, Math.floor((ctx.limits.maxStorageBufferBindingSize ?? 0) / 16384)));
    const pipeline = await kernels.evaluate();
    for (let g = 0; g < inputs.length; g += per) {
      const part = inputs.slice(g, g + per);
      out.push(
        ...(await withErrorScope(ctx, 'evaluate', async () => {
          const n = part.length;
          const inBytes = new Uint8Array(n * EVAL_IN_BYTES);
          const sealed = new Uint8Array(n * BYTES_PER_SEAL);
          const nOk: boolean[] = [];
          part.forEach((x, i) => {
            if (x.sealedData.length !== BYTES_PER_SEAL) throw new MinerError('BAD_INPUT', `sealedData must be 4096 bytes (got ${x.sealedData.length})`);
            const b = i * EVAL_IN_BYTES;
            inBytes.set(concatBytes(x.minerId, x.nonce, x.subtaskDigest), b);
            const r = x.range;
            inBytes.set(concatBytes(u256be(r.startPosition), u256be(r.mineLength), u256be(r.shardId), u256be(r.shardMask)), b + 96);
            const n64 = r.mineLength / BigInt(SECTORS_PER_LOAD);
            nOk.push(n64 > 0n && n64 <= UINT64_MAX);
            const w = new Uint32Array(8);
            const put = (k: number, v: bigint) => {
              w[k] = Number(v & 0xffffffffn);
              w[k + 1] = Number((v >> 32n) & 0xffffffffn);
            };
            put(0, x.sealOffset & UINT64_MAX);
            put(2, nOk[i] ? n64 : 0n);
            put(4, r.shardMask & UINT64_MAX);
            put(6, r.shardId & UINT64_MAX);
            inBytes.set(new Uint8Array(w.buffer), b + 224);
            sealed.set(x.sealedData, i * BYTES_PER_SEAL);
            if (x.sealOffset > UINT64_MAX) throw new MinerError('BAD_INPUT', 'sealOffset above 2^64 is not supported by the GPU kernel');
          });
          const params = makeBuffer(ctx, 'eval params', 16, UNIFORM);
          const bIn = makeBuffer(ctx, 'eval in', inBytes.length, STORAGE);
          const bSealed = makeBuffer(ctx, 'eval sealed', sealed.length, STORAGE);
          const bPads = makeBuffer(ctx, 'eval pads', n * 16384, STORAGE);
          const bOut = makeBuffer(ctx, 'eval out', n * EVAL_OUT_BYTES, STORAGE);
          try {
            ctx.device.queue.writeBuffer(params, 0, new Uint32Array([n, 0, 0, 0]));
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
            pass.dispatchWorkgroups(Math.ceil(n / workgroupSize));
            pass.end();
            ctx.device.queue.submit([enc.finish()]);
            const res = await readBack(ctx, bOut, 0, n * EVAL_OUT_BYTES);
            return part.map((_, i) => {
              const o = i * EVAL_OUT_BYTES;
              const words = new Uint32Array(res.buffer, o + 192, 4);
              const known = nOk[i] && words[2] !== 2;
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
        }))
      );
    }
    return out;
  }

  async function sealBatch(inputs: SealInput[], mode: 'seal' | 'unseal'): Promise<Uint8Array[]> {
    const pipeline = await kernels.seal();
    const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535;
    const per = Math.max(1, Math.floor(Math.min(ctx.limits.maxStorageBufferBindingSize ?? 0, 256 << 20) / BYTES_PER_SEAL));
    const out: Uint8Array[] = [];
    for (let g = 0; g < inputs.length; g += per) {
      const part = inputs.slice(g, g + per);
      const n = part.length;
      const seeds = new Uint8Array(n * 96);
      const data = new Uint8Array(n * BYTES_PER_SEAL);
      part.forEach((x, i) => {
        if (x.data.length !== BYTES_PER_SEAL) throw new MinerError('BAD_INPUT', `seal data must be 4096 bytes (got ${x.data.length})`);
        seeds.set(concatBytes(x.minerId, x.sealContextDigest, u256be(x.startSector)), i * 96);
        data.set(x.data, i * BYTES_PER_SEAL);
      });
      const res = await withErrorScope(ctx, mode, async () => {
        const params = makeBuffer(ctx, 'seal params', 16, UNIFORM);
        const bSeeds = makeBuffer(ctx, 'seal seeds', seeds.length, STORAGE);
        const bData = makeBuffer(ctx, 'seal data', data.length, STORAGE);
        try {
          ctx.device.queue.writeBuffer(params, 0, new Uint32Array([n, mode === 'unseal' ? 1 : 0, 0, 0]));
          uploadBytes(ctx, bSeeds, 0, seeds);
          uploadBytes(ctx, bData, 0, data);
          const bg = ctx.device.createBindGroup({
            layout: pipeline.getBindGroupLayout(0),
            entries: [params, bSeeds, bData].map((buffer, binding) => ({ binding, resource: { buffer } })),
          });
          const enc = ctx.device.createCommandEncoder();
          const pass = enc.beginComputePass();
          pass.setPipeline(pipeline);
          pass.setBindGroup(0, bg);
          const [x, y] = grid(n, workgroupSize, maxDim);
          pass.dispatchWorkgroups(x, y);
          pass.end();
          ctx.device.queue.submit([enc.finish()]);
          return await readBack(ctx, bData, 0, data.length);
        } finally {
          for (const b of [params, bSeeds, bData]) b.destroy();
        }
      });
      for (let i = 0; i < n; i++) out.push(res.slice(i * BYTES_PER_SEAL, (i + 1) * BYTES_PER_SEAL));
    }
    return out;
  }

  const backend: GpuBackend = {
    info: { kind: 'gpu', device: `${ctx.description} (${ctx.backend})`, threads: Math.max(1, opts.threads ?? 1) },

    search(job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult> {
      if (disposed) throw new MinerError('GPU_DEVICE_LOST', 'GPU backend already disposed');
      return searcher.search(job, nonces, data, signal);
    },

    async evaluate(inputs: PoraInput[]): Promise<PoraEvaluation[]> {
      return (await evaluateDetailed(inputs)).map(({ padSeed, padDigest, recallSeed, quality }) => ({ padSeed, padDigest, recallSeed, quality }));
    },

    evaluateDetailed,

    seal: sealBatch,

    async selfCheck(): Promise<void> {
      await selfCheck(backend);
    },

    gpuInfo(): GpuInfo {
      return {
        adapter: ctx.description,
        gpuBackend: ctx.backend,
        batch,
        inFlight: searcher.cfg.inFlight,
        keccakLayout,
        workgroupSize,
        gpuSeconds: timestamps ? searcher.gpuSeconds : null,
        timestampQuery: timestamps,
        maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize ?? 0,
        maxBufferSize: ctx.limits.maxBufferSize ?? 0,
        loadsPerBinding: perBinding,
      };
    },

    async sealThroughput(seals: number, seconds: number): Promise<SealThroughput> {
      const pipeline = await kernels.seal();
      const n = Math.max(1, Math.min(seals, Math.floor((ctx.limits.maxStorageBufferBindingSize ?? 0) / BYTES_PER_SEAL)));
      return withErrorScope(ctx, 'seal bench', async () => {
        const params = makeBuffer(ctx, 'bench params', 16, UNIFORM);
        const bSeeds = makeBuffer(ctx, 'bench seeds', n * 96, STORAGE);
        const bData = makeBuffer(ctx, 'bench data', n * BYTES_PER_SEAL, STORAGE);
        try {
          ctx.device.queue.writeBuffer(params, 0, new Uint32Array([n, 0, 0, 0]));
          const seedBytes = new Uint8Array(n * 96);
          for (let i = 0; i < seedBytes.length; i++) seedBytes[i] = (i * 2654435761) >>> 24;
          uploadBytes(ctx, bSeeds, 0, seedBytes);
          const bg = ctx.device.createBindGroup({
            layout: pipeline.getBindGroupLayout(0),
            entries: [params, bSeeds, bData].map((buffer, binding) => ({ binding, resource: { buffer } })),
          });
          const [x, y] = grid(n, workgroupSize, ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535);
          const run = async () => {
            const enc = ctx.device.createCommandEncoder();
            const pass = enc.beginComputePass();
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bg);
            pass.dispatchWorkgroups(x, y);
            pass.end();
            ctx.device.queue.submit([enc.finish()]);
            await ctx.device.queue.onSubmittedWorkDone();
          };
          await run(); // warm-up (pipeline, first-touch)
          let reps = 0;
          const t0 = performance.now();
          while (reps === 0 || performance.now() - t0 < seconds * 1000) {
            await run();
            reps++;
          }
          const secs = (performance.now() - t0) / 1000;
          const bytes = reps * n * BYTES_PER_SEAL;
          return { seals: reps * n, bytes, seconds: secs, sealBytesPerSecond: bytes / secs };
        } finally {
          for (const b of [params, bSeeds, bData]) b.destroy();
        }
      });
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      searcher.destroy();
      releaseGpu(ctx);
    },
  };
  if (!opts.skipSelfCheck) await backend.selfCheck();
  return backend;
}
