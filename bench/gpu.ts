/**
 * GPU benchmark: PoRA search over a resident synthetic range (every load held) and batch sealing
 * with the data in GPU memory. Prints one JSON object. Not a test.
 *
 *   node dist/bench/gpu.js [--seconds 10] [--batch N] [--gib G] [--layout pairs|interleaved]
 *                          [--wg 64] [--seal-seconds 5] [--gpu-backend vulkan|opengl]
 *                          [--blake2b vec2|scalar] [--pora-pad workgroup|global]
 */
import { parseArgs } from 'node:util';
import { SECTORS_PER_LOAD_N, UINT64_MAX } from '../src/spec.js';
import type { MineJob } from '../src/backend/backend.js';
import { syntheticResidentSource } from '../src/backend/hashrate.js';
import { createGpuBackend } from '../src/gpu/gpuBackend.js';
import { defaultBenchRange } from '../src/gpu/benchRange.js';
import { BLAKE2B_VARIANTS, DEFAULT_BLAKE2B, type Blake2bVariant, type KeccakLayout } from '../src/gpu/shaders.js';
import { DEFAULT_PORA_PAD, type PoraPad } from '../src/gpu/kernels.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string' },
    gib: { type: 'string' },
    layout: { type: 'string', default: 'pairs' },
    wg: { type: 'string', default: '64' },
    'seal-seconds': { type: 'string', default: '5' },
    'seal-seals': { type: 'string', default: '262144' },
    'gpu-backend': { type: 'string' },
    // Diagnostics: no load held, so only the scratchpad kernel runs (its share of the time).
    'scratch-only': { type: 'boolean', default: false },
    'in-flight': { type: 'string' },
    prefetch: { type: 'boolean', default: false },
    blake2b: { type: 'string' },
    'pora-pad': { type: 'string' },
    'no-robustness': { type: 'boolean', default: false },
  },
});

function parseBlake(v: string): Blake2bVariant {
  const found = BLAKE2B_VARIANTS.find((x) => x === v);
  if (found === undefined) throw new Error(`--blake2b must be one of ${BLAKE2B_VARIANTS.join(', ')} (got ${v})`);
  return found;
}
function parsePad(v: string): PoraPad {
  if (v !== 'workgroup' && v !== 'global') throw new Error(`--pora-pad must be workgroup or global (got ${v})`);
  return v;
}

const t0 = performance.now();
const gpu = await createGpuBackend({
  ...(values.batch ? { batch: Number(values.batch) } : {}),
  keccakLayout: values.layout as KeccakLayout,
  workgroupSize: Number(values.wg),
  poraPrefetch: values.prefetch,
  ...(values.blake2b !== undefined ? { blake2b: parseBlake(values.blake2b) } : {}),
  ...(values['pora-pad'] !== undefined ? { poraPad: parsePad(values['pora-pad']) } : {}),
  disableRobustness: values['no-robustness'],
  ...(values['in-flight'] ? { inFlight: Number(values['in-flight']) } : {}),
  ...(values['gpu-backend'] ? { gpuBackend: values['gpu-backend'] as 'vulkan' | 'opengl' } : {}),
});
const setupSeconds = (performance.now() - t0) / 1000;
try {
  const info0 = gpu.gpuInfo();
  const range = defaultBenchRange(info0, values.gib !== undefined ? Number(values.gib) : undefined);
  const t1 = performance.now();
  // Chunks of up to 1 GiB (4096 loads); --scratch-only holds no seal.
  const data = syntheticResidentSource(range.loads / 4, { loadsPerChunk: Math.min(range.loads, 4096), held: !values['scratch-only'] });
  const mineLength = BigInt(range.loads) * SECTORS_PER_LOAD_N;
  const job: MineJob = {
    id: 1,
    minerId: new Uint8Array(32).fill(1),
    subtaskDigest: new Uint8Array(32).fill(2),
    range: { startPosition: 0n, mineLength, shardId: 0n, shardMask: UINT64_MAX },
    poraTarget: 1n << 190n, // rare hits: the bench measures hashing, not re-checks
    flowLength: mineLength,
  };
  const base = new Uint8Array(32).fill(3);
  const per = info0.batch * info0.inFlight * 2;
  // Warm-up: uploads the range and runs every pipeline once.
  await gpu.search(job, { base, start: 0n, count: info0.batch }, data);
  const uploadSeconds = (performance.now() - t1) / 1000;
  const gpuBefore = gpu.gpuInfo().gpuSeconds ?? 0;
  let nonces = 0;
  let sealHashes = 0;
  let hits = 0;
  let rejected = 0;
  const t2 = performance.now();
  let start = BigInt(info0.batch);
  while (performance.now() - t2 < Number(values.seconds) * 1000) {
    const r = await gpu.search(job, { base, start, count: per }, data);
    start += BigInt(per);
    nonces += r.stats.nonces;
    sealHashes += r.stats.sealHashes;
    hits += r.hits.length;
    rejected += r.stats.rejected;
  }
  const seconds = (performance.now() - t2) / 1000;
  const info = gpu.gpuInfo();
  const seal = await gpu.sealThroughput(Number(values['seal-seals']), Number(values['seal-seconds']));
  const out = {
    backend: 'gpu',
    adapter: info.adapter,
    gpuBackend: info.gpuBackend,
    keccakLayout: info.keccakLayout,
    workgroupSize: info.workgroupSize,
    batch: info.batch,
    inFlight: info.inFlight,
    scratchOnly: values['scratch-only'],
    poraPrefetch: values.prefetch,
    blake2b: values.blake2b ?? DEFAULT_BLAKE2B,
    poraPad: values['pora-pad'] ?? DEFAULT_PORA_PAD,
    robustness: !values['no-robustness'],
    rangeBytes: range.bytes,
    rangeBindings: range.bindings,
    loadsPerBinding: info.loadsPerBinding,
    nonces,
    seconds,
    noncesPerSecond: nonces / seconds,
    gpuSeconds: info.gpuSeconds === null ? null : info.gpuSeconds - gpuBefore,
    sealHashesPerSecond: sealHashes / seconds,
    hits,
    rejected,
    sealBytesPerSecond: seal.sealBytesPerSecond,
    sealSeals: seal.seals,
    setupSeconds,
    uploadSeconds,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await gpu.dispose();
}
