/**
 * The hashrate measurement behind `zg-miner bench` and bench/hashrate.ts: a backend searching
 * synthetic sealed data held in shared memory (every seal held, so each nonce hashes all 64 seals;
 * target 0, so nothing hits and no re-check runs).
 */
import { BYTES_PER_LOAD, UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import { UsageError } from '../errors.js';
import { gitCommit } from '../buildInfo.js';
import type { LoadSource, MineJob, PoraBackend } from './backend.js';
import { memoryLoadSource } from './memorySource.js';

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

export interface SyntheticSourceOptions {
  seed?: number;
  /** Loads per shared chunk (default 256 = 64 MiB). */
  loadsPerChunk?: number;
  /** false: no seal held (a scratchpad-only run); default true. */
  held?: boolean;
}

/**
 * `rangeMiB` of pseudo-random "sealed" bytes in shared memory, every seal held. The content does
 * not matter for speed, only that it is there: 4 MiB of xorshift32 output (not a crypto PRNG)
 * repeated, each load's first word replaced by its index so loads differ. ~0.3 s/GiB.
 */
export function syntheticResidentSource(rangeMiB: number, opts: SyntheticSourceOptions = {}): LoadSource {
  const loadCount = (rangeMiB * MIB) / BYTES_PER_LOAD;
  if (!Number.isInteger(loadCount) || loadCount < 1) throw new UsageError(`--range-mib must be a positive multiple of 0.25, got ${rangeMiB}`);
  const pattern = new Uint32Array(PATTERN_BYTES / 4);
  let s = (opts.seed ?? 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < pattern.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    pattern[i] = s;
  }
  const patternBytes = new Uint8Array(pattern.buffer);
  const loadsPerPattern = PATTERN_BYTES / BYTES_PER_LOAD;
  const held = opts.held ?? true;
  return memoryLoadSource({
    loadCount,
    loadsPerChunk: opts.loadsPerChunk ?? LOADS_PER_CHUNK,
    fill: (load, rel) => {
      const at = (rel % loadsPerPattern) * BYTES_PER_LOAD;
      load.set(patternBytes.subarray(at, at + BYTES_PER_LOAD));
      new DataView(load.buffer, load.byteOffset, 4).setUint32(0, rel, true);
    },
    mask: () => (held ? UINT64_MAX : 0n),
  });
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

