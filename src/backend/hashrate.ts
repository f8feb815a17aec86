/**
 * The hashrate measurement behind `zg-miner bench` and bench/hashrate.ts: a backend searching
 * synthetic sealed data held in shared memory (every seal held, so each nonce hashes all 64 seals;
 * target 0, so nothing hits and no re-check runs).
 */
import { BYTES_PER_LOAD, UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import { UsageError } from '../errors.js';
import { gitCommit } from '../buildInfo.js';
import type { LoadSource, MineJob, PoraBackend } from './backend.js';

const MIB = 1 << 20;
/** Loads per SharedArrayBuffer chunk (64 MiB). */
const LOADS_PER_CHUNK = 256;

export interface HashrateResult {
  backend: 'cpu' | 'gpu';
  threads: number;
  noncesPerSecond: number;
  sealHashesPerSecond: number;
  seconds: number;
  rangeMiB: number;
  device: string;
  node: string;
  commit: string;
  /**
   * CPU seconds the whole process used while measuring (user + system). On a machine shared with
   * other work it falls below threads × seconds, and nonces / cpuSeconds still tells the speed.
   */
  cpuSeconds: number;
}

/** Bytes of xorshift output that are then repeated (with each load stamped with its index). */
const PATTERN_BYTES = 4 * MIB;

/**
 * `rangeMiB` of pseudo-random "sealed" bytes in shared memory, every seal held. The content does
 * not matter for speed, only that it is there: 4 MiB of xorshift32 output (not a crypto PRNG)
 * repeated with memcpy, each load's first word replaced by its index so loads differ. ~0.3 s/GiB.
 */
export function syntheticResidentSource(rangeMiB: number, seed = 0x9e3779b9): LoadSource {
  const loadCount = (rangeMiB * MIB) / BYTES_PER_LOAD;
  if (!Number.isInteger(loadCount) || loadCount < 1) throw new UsageError(`--range-mib must be a positive multiple of 0.25, got ${rangeMiB}`);
  const pattern = new Uint32Array(PATTERN_BYTES / 4);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < pattern.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    pattern[i] = s;
  }
  const patternBytes = new Uint8Array(pattern.buffer);
  const chunks: SharedArrayBuffer[] = [];
  for (let first = 0; first < loadCount; first += LOADS_PER_CHUNK) {
    const buf = new SharedArrayBuffer(Math.min(LOADS_PER_CHUNK, loadCount - first) * BYTES_PER_LOAD);
    const bytes = new Uint8Array(buf);
    for (let o = 0; o < bytes.length; o += PATTERN_BYTES) bytes.set(patternBytes.subarray(0, Math.min(PATTERN_BYTES, bytes.length - o)), o);
    const words = new Uint32Array(buf);
    for (let l = 0; l < buf.byteLength / BYTES_PER_LOAD; l++) words[(l * BYTES_PER_LOAD) / 4] = first + l;
    chunks.push(buf);
  }
  const masks = new SharedArrayBuffer(8 * loadCount);
  new BigUint64Array(masks).fill(UINT64_MAX);
  return {
    availability: (L) => (L >= 0n && L < BigInt(loadCount) ? UINT64_MAX : 0n),
    read: async (L) => {
      const i = Number(L);
      return new Uint8Array(chunks[Math.floor(i / LOADS_PER_CHUNK)]!, (i % LOADS_PER_CHUNK) * BYTES_PER_LOAD, BYTES_PER_LOAD).slice();
    },
    resident: { firstLoad: 0n, loadCount, chunks, loadsPerChunk: LOADS_PER_CHUNK, masks },
  };
}

/** The bench job: a whole-range, unsharded context over the synthetic loads, target 0. */
export function benchJob(data: LoadSource): MineJob {
  const loads = BigInt(data.resident?.loadCount ?? 0);
  const id = (b: number): Uint8Array => new Uint8Array(32).fill(b);
  return {
    id: 0,
    minerId: id(0x11),
    subtaskDigest: id(0x22),
    range: { startPosition: 0n, mineLength: loads * SECTORS_PER_LOAD_N, shardId: 0n, shardMask: UINT64_MAX },
    poraTarget: 0n,
    flowLength: loads * SECTORS_PER_LOAD_N,
  };
}

/** Runs one search until `seconds` pass (abort), after a warm-up; nonces/s over the measured part. */
export async function measureHashrate(
  backend: PoraBackend,
  data: LoadSource,
  opts: { seconds: number; warmupSeconds?: number; rangeMiB: number }
): Promise<HashrateResult> {
  const job = benchJob(data);
  const base = new Uint8Array(32).fill(0x5a);
  const run = async (seconds: number, start: bigint): Promise<{ nonces: number; sealHashes: number; elapsed: number; cpu: number }> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await backend.search(job, { base, start, count: Number.MAX_SAFE_INTEGER }, data, AbortSignal.timeout(seconds * 1000));
    const c = process.cpuUsage(c0);
    return { nonces: r.stats.nonces, sealHashes: r.stats.sealHashes, elapsed: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  const warm = await run(opts.warmupSeconds ?? 1, 0n);
  const m = await run(opts.seconds, BigInt(warm.nonces));
  return {
    backend: backend.info.kind,
    threads: backend.info.threads,
    noncesPerSecond: Math.round((m.nonces / m.elapsed) * 10) / 10,
    sealHashesPerSecond: Math.round((m.sealHashes / m.elapsed) * 10) / 10,
    seconds: Math.round(m.elapsed * 1000) / 1000,
    rangeMiB: opts.rangeMiB,
    device: backend.info.device,
    node: process.version,
    commit: gitCommit(),
    cpuSeconds: Math.round(m.cpu * 1000) / 1000,
  };
}

