/**
 * `zg-miner bench store --loads N [--json] [--dir D]`: the store at scale. Builds a store of N
 * loads (N × 256 KiB of flow) through the store's own code — Submit events into the flow tree,
 * the follower's gap and padding path (known-zero sectors, so the data files stay sparse), every
 * load recorded in the tree — then measures, in a fresh child process, what a miner of that size
 * pays: open time, RSS after open, the median Merkle proof of 100 random answers, one idle
 * sealer + follower tick, one /status. Ingest (hash once + store) and CPU sealing are measured on
 * real random data beside it. One JSON line: loads, buildSeconds, openSeconds, rssBytes,
 * proofMillis, tickMillis, statusMillis, ingestMBps, sealMBps, sealMBpsPerCore, ingestMBPerCpuSecond,
 * sealMBPerCpuSecond (MB per CPU-second used: what a core gives when it is not shared), machine, commit.
 *
 * The tick runs against an idle chain (no new block, no epoch range): the miner's own cost per
 * tick, without RPC latency.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { BYTES_PER_LOAD, BYTES_PER_SEAL, SECTORS_PER_LOAD_N } from '../../spec.js';
import { MinerError } from '../../errors.js';
import { gitCommit } from '../../buildInfo.js';
import { ZERO_HASHES } from '../../core/merkle.js';
import { paddedChunks, splitNodes } from '../../core/fileRoot.js';
import { SealedStore } from '../../store/sealedStore.js';
import { hashFile } from '../../store/loadHash.js';
import { FlowFollower } from '../../miner/flowFollower.js';
import { Sealer } from '../../miner/sealer.js';
import { Miner } from '../../miner/miner.js';
import { sealProof } from '../../miner/flowProofs.js';
import type { MinerChain } from '../../miner/ports.js';
import { createCpuBackend } from '../../backend/cpuBackend.js';
import { createReferenceBackend } from '../../backend/referenceBackend.js';
import { UINT64_MAX } from '../../spec.js';

interface BenchStoreArgs {
  loads: number;
  json: boolean;
  dir: string | undefined;
  'open-only': string | undefined;
  'ingest-mib': number;
}

const MINER_ID = new Uint8Array(32).fill(0x5c);
/** Loads per Submit event of the built flow (one node of height 10 + log2 of it). */
const CHUNK_LOADS = 65536;

/** A chain with nothing new: the follower and sealer find no block, no event, no epoch range. */
function idleChain(head: number): MinerChain {
  return {
    blockNumber: async () => head,
    computeWorkerContext: async () => {
      throw new MinerError('BAD_INPUT', 'bench store: no chain');
    },
    submissions: async () => [],
    epochRangesFrom: async () => [],
    sealedContextDigest: async () => new Uint8Array(32),
    submit: async () => ({ result: 'stale', reason: 'bench store: no chain' }),
  };
}

/** Builds the store: a gap chunk, then Submit events of CHUNK_LOADS zero loads, each recorded in the tree. */
async function build(dir: string, loads: number, log: (l: string) => void): Promise<void> {
  const chunk = Math.max(1, Math.min(CHUNK_LOADS, Math.floor(loads / 2)));
  const height = 10 + Math.log2(chunk);
  if (!Number.isInteger(height) || loads % chunk !== 0) throw new MinerError('BAD_INPUT', `bench store: --loads ${loads} must be a power of two ≥ 2`);
  const store = await SealedStore.open(dir, { minerId: MINER_ID });
  try {
    const chunkSectors = BigInt(chunk) * SECTORS_PER_LOAD_N;
    // The first event aligns to its node: sectors [1, chunkSectors) become a gap of the flow.
    for (let k = 1; k < loads / chunk; k++) {
      const start = BigInt(k) * chunkSectors;
      await store.flowTree.addSubmission({
        txSeq: BigInt(k - 1),
        startPos: start,
        lengthSectors: chunkSectors,
        sizeBytes: chunkSectors * 256n,
        nodes: [{ root: ZERO_HASHES[height]!, height }],
        blockNumber: k,
      });
      // What the follower does with the gap before the event and the event's data (here zeros).
      if (k === 1) await markZeroInSteps(store, 0n, start);
      await markZeroInSteps(store, start, start + chunkSectors);
      if (k % 16 === 0) log(`bench store: ${k * chunk} of ${loads} loads`);
    }
  } finally {
    await store.close();
  }
}

/** markKnownZero in steps of 4096 loads (each completes and records its loads in one go). */
async function markZeroInSteps(store: SealedStore, from: bigint, to: bigint): Promise<void> {
  const step = 4096n * SECTORS_PER_LOAD_N;
  for (let a = from; a < to; a += step) await store.markKnownZero(a, a + step < to ? a + step : to);
}

/** Runs in the child: open, RSS, proofs, one idle tick, one status. */
async function measureOpen(dir: string): Promise<Record<string, number>> {
  const t0 = performance.now();
  const store = await SealedStore.open(dir, { minerId: MINER_ID });
  const openSeconds = (performance.now() - t0) / 1000;
  const rssBytes = process.memoryUsage().rss;
  try {
    const flowLength = store.flowTree.length();
    const seals = flowLength / 16n;
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      // A random seal of a complete load past load 0 (the answers a miner of this size gives).
      const seal = 64n + (BigInt('0x' + randomBytes(8).toString('hex')) % (seals - 64n));
      const t = performance.now();
      await sealProof(store, store.flowTree, seal, flowLength);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const chain = idleChain(1);
    const log = { info: () => {}, warn: () => {} };
    const stateDir = mkdtempSync(join(tmpdir(), 'zg-bench-follower-'));
    try {
      const source = { fileData: async () => null };
      const follower = new FlowFollower({ chain, store, flowTree: store.flowTree, source, stateFile: join(stateDir, 'follower.json'), fromBlock: 1, log });
      const backend = createReferenceBackend();
      const sealer = new Sealer({ chain, store, backend, minerId: MINER_ID, log });
      await follower.poll(); // first poll reads the (absent) state file
      const t1 = performance.now();
      await follower.poll();
      await sealer.sealPending();
      const tickMillis = performance.now() - t1;
      const miner = new Miner({
        chain, store, backend, source, flowTree: store.flowTree, minerId: MINER_ID, log,
        shardId: 0n, shardMask: UINT64_MAX, iterBatchSize: 1, contextQuerySeconds: 1, cpuPercentage: 100, syncSeconds: 1, follower, sealer,
      });
      // /status is asked again and again: the median of 5 after a first (cold) one.
      JSON.stringify(miner.status());
      const st: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t2 = performance.now();
        JSON.stringify(miner.status());
        st.push(performance.now() - t2);
      }
      const statusMillis = st.sort((a, b) => a - b)[2]!;
      return { openSeconds, rssBytes, proofMillis: times[50]!, tickMillis, statusMillis };
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  } finally {
    await store.close();
  }
}

/**
 * Storing + root-hashing real random data the follower's way: each file read into shared memory
 * (as DirDataSource does), hashed once on the hash pool while writeSubmission writes it (the roots
 * arrive as a promise), MB/s wall and per CPU-second (all threads).
 */
async function measureIngest(mib: number): Promise<{ mbps: number; perCpuSecond: number; backlog: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'zg-bench-ingest-'));
  try {
    const store = await SealedStore.open(dir, { minerId: MINER_ID });
    const fileBytes = 64 * BYTES_PER_LOAD; // 16 MiB files
    const heights = splitNodes(paddedChunks(fileBytes));
    const files = Math.max(1, Math.round((mib << 20) / fileBytes));
    const data = Array.from({ length: Math.min(files, 4) }, () => {
      const b = new Uint8Array(new SharedArrayBuffer(fileBytes));
      b.set(randomBytes(fileBytes));
      return b;
    });
    await hashFile(data[0]!, heights); // starts the pool's workers (a miner's run long before its first file)
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let f = 0; f < files; f++) {
      const start = BigInt(f + 1) * 64n * SECTORS_PER_LOAD_N;
      const bytes = data[f % data.length]!;
      const roots = hashFile(bytes, heights).then((h) => new Map([...h.loads].map(([k, r]) => [start / SECTORS_PER_LOAD_N + BigInt(k), r] as const)));
      await store.writeSubmission(start, start + 64n * SECTORS_PER_LOAD_N, bytes, roots);
    }
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(c0);
    try {
      const backlog = await measureBacklog(store, BigInt(files + 1) * 64n * SECTORS_PER_LOAD_N);
      return { mbps: (files * fileBytes) / 1e6 / secs, perCpuSecond: (files * fileBytes) / 1e6 / cpu, backlog };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * On the ingest store, whose real loads all wait to be sealed: one follower + sealer tick while
 * no epoch range covers them yet (the queue is not empty, so this is the tick a miner pays while
 * data waits for its epoch), then sealing the whole backlog through the Sealer (read, seal on the
 * worker pool, commit; pipelined) once a range covers it, MB/s wall and per CPU-second.
 */
async function measureBacklog(store: SealedStore, flowEnd: bigint): Promise<Record<string, number>> {
  const log = { info: () => {}, warn: () => {} };
  const backlogLoads = store.stats().completeLoads - store.stats().sealedLoads;
  const stateDir = mkdtempSync(join(tmpdir(), 'zg-bench-follower-'));
  const threads = cpus().length;
  const backend = await createCpuBackend({ cpuPercentage: 100, threads });
  try {
    const chain = idleChain(1);
    const source = { fileData: async () => null };
    const follower = new FlowFollower({ chain, store, flowTree: store.flowTree, source, stateFile: join(stateDir, 'follower.json'), fromBlock: 1, log });
    const waiting = new Sealer({ chain, store, backend, minerId: MINER_ID, log });
    await follower.poll();
    const t1 = performance.now();
    await follower.poll();
    await waiting.sealPending();
    const backlogTickMillis = performance.now() - t1;
    const digest = new Uint8Array(32).fill(0x3c);
    const ranged: MinerChain = { ...chain, epochRangesFrom: async (i) => (i === 0 ? [{ start: 0n, end: flowEnd, digest }] : []) };
    const sealer = new Sealer({ chain: ranged, store, backend, minerId: MINER_ID, log });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const seals = await sealer.sealPending();
    const secs = (performance.now() - t0) / 1000;
    const mb = (seals * BYTES_PER_SEAL) / 1e6;
    return { backlogLoads, backlogTickMillis, sealerMBps: mb / secs, sealerMBPerCpuSecond: mb / cpuSeconds(c0) };
  } finally {
    await backend.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** CPU sealing through the backend the sealer uses (its worker pool), on random data, MB/s (and the threads it used). */
async function measureSeal(): Promise<{ mbps: number; threads: number; perCpuSecond: number }> {
  const threads = cpus().length;
  const backend = await createCpuBackend({ cpuPercentage: 100, threads });
  try {
    const inputs = Array.from({ length: 256 }, (_, i) => ({
      minerId: MINER_ID,
      sealContextDigest: new Uint8Array(32).fill(7),
      startSector: BigInt(i) * 16n,
      data: new Uint8Array(randomBytes(BYTES_PER_SEAL)),
    }));
    await backend.seal(inputs.slice(0, 16), 'seal');
    let bytes = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    do {
      await backend.seal(inputs, 'seal');
      bytes += inputs.length * BYTES_PER_SEAL;
    } while (performance.now() - t0 < 3000);
    // seal() spreads each batch over the worker pool: one thread per core.
    return { mbps: bytes / 1e6 / ((performance.now() - t0) / 1000), threads, perCpuSecond: bytes / 1e6 / cpuSeconds(c0) };
  } finally {
    await backend.dispose();
  }
}

/** CPU seconds (user + system, every thread of this process) since `c0`. */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

function child(dir: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [process.argv[1]!, 'bench', 'store', '--open-only', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new MinerError('STORE_ERROR', `bench store: the opening process exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>);
    });
  });
}

export const benchStoreCommand: CommandModule<object, BenchStoreArgs> = {
  command: 'store',
  describe: 'The store at scale: build N loads, then open time, RSS, proof, tick and /status times, ingest and sealing MB/s',
  builder: (y) =>
    y
      .option('loads', { type: 'number', default: 16384, describe: 'loads in the built store (a power of two; 16777216 = 4 TiB)' })
      .option('dir', { type: 'string', describe: 'where to build it (default: a temp dir, removed after)' })
      .option('ingest-mib', { type: 'number', default: 256, describe: 'MiB of random data for the ingest measurement' })
      .option('open-only', { type: 'string', hidden: true, describe: 'measure an existing store (the child process)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line' }) as never,
  handler: async (args) => {
    if (args['open-only'] !== undefined) {
      process.stdout.write(JSON.stringify(await measureOpen(args['open-only'])) + '\n');
      return;
    }
    const loads = args.loads;
    if (!Number.isSafeInteger(loads) || loads < 2 || (loads & (loads - 1)) !== 0 || loads > 2 ** 30)
      throw new MinerError('BAD_INPUT', `bench store: --loads must be a power of two from 2 to 2^30, got ${loads}`);
    const log = (l: string): void => void (args.json ? process.stderr : process.stdout).write(l + '\n');
    const temp = args.dir === undefined ? mkdtempSync(join(tmpdir(), 'zg-bench-store-')) : null;
    const dir = args.dir ?? temp!;
    const load0 = loadavg()[0]!;
    try {
      const t0 = performance.now();
      await build(dir, loads, log);
      const buildSeconds = (performance.now() - t0) / 1000;
      log(`bench store: built ${loads} loads in ${buildSeconds.toFixed(1)} s; opening it in a fresh process`);
      const opened = await child(dir);
      const ingest = await measureIngest(args['ingest-mib']);
      const seal = await measureSeal();
      const out = {
        bench: 'store',
        loads,
        buildSeconds,
        ...opened,
        ingestMBps: ingest.mbps,
        ...ingest.backlog,
        sealMBps: seal.mbps,
        sealMBpsPerCore: seal.mbps / seal.threads,
        // MB per CPU-second this process used (all threads): the rate a core gives when it is not shared.
        ingestMBPerCpuSecond: ingest.perCpuSecond,
        sealMBPerCpuSecond: seal.perCpuSecond,
        machine: `${cpus()[0]?.model.trim() ?? 'CPU'} x${cpus().length}`,
        // 1-minute load average before and after the run: wall-clock MB/s mean little on a busy machine.
        loadAverage: [load0, loadavg()[0]!].map((x) => Number(x.toFixed(2))),
        commit: gitCommit(),
      };
      if (args.json) process.stdout.write(JSON.stringify(out) + '\n');
      else for (const [k, v] of Object.entries(out)) log(`${k}: ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`);
    } finally {
      if (temp !== null) rmSync(temp, { recursive: true, force: true });
    }
  },
};
