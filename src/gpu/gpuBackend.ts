/**
 * The WebGPU PoraBackend: `search` on the GPU (search.ts), `evaluate` (evaluate.ts) and `seal`
 * (seal.ts, streamed through a transfer ring), a known-answer self-check against core/ before mining, and the
 * figures the bench command adds (`gpuInfo()`). Device loss and validation errors surface as
 * MinerError('GPU_DEVICE_LOST' | 'GPU_VALIDATION') so the caller can fall back to the CPU.
 */
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
import { isSoftwareAdapter, releaseGpu, withNewGpu, type GpuBackendName, type GpuContext } from './device.js';
import { Kernels, DEFAULT_PORA_PAD, type PoraPad } from './kernels.js';
import { evaluateOnGpu, type DetailedEvaluation } from './evaluate.js';
import { GpuSealer, type SealThroughput } from './seal.js';
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

export type { SealThroughput } from './seal.js';

export interface GpuBackend extends PoraBackend {
  gpuInfo(): GpuInfo;
  /** Known-answer check of every kernel against core/; throws MinerError('GPU_VALIDATION') on a mismatch. */
  selfCheck(): Promise<void>;
  /** evaluate() plus the recall chunk offset the GPU computed (null when mineLength / 1024 is 0). */
  evaluateDetailed(inputs: PoraInput[]): Promise<DetailedEvaluation[]>;
  /** Seals `seals` seals resident in GPU memory, repeatedly for about `seconds`. */
  sealThroughput(seals: number, seconds: number): Promise<SealThroughput>;
}

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
  return withNewGpu(
    {
      ...(opts.gpuBackend ? { gpuBackend: opts.gpuBackend } : {}),
      ...(opts.disableRobustness ? { disableRobustness: true } : {}),
    },
    (ctx) => buildBackend(ctx, opts)
  );
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

  const sealer = new GpuSealer(ctx, kernels, { workgroupSize });
  const evaluateDetailed = (inputs: PoraInput[]): Promise<DetailedEvaluation[]> => evaluateOnGpu(ctx, kernels, inputs);

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

    seal: (inputs: SealInput[], mode: 'seal' | 'unseal') => sealer.seal(inputs, mode),

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

    sealThroughput: (seals: number, seconds: number): Promise<SealThroughput> => sealer.throughput(seals, seconds),

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      searcher.destroy();
      sealer.destroy();
      releaseGpu(ctx);
    },
  };
  if (!opts.skipSelfCheck) await backend.selfCheck();
  return backend;
}
