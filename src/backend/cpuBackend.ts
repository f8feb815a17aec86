/**
 * The multi-core CPU PoraBackend: a worker_threads pool, one pora.wasm instance per worker
 * (cpuWorker.ts). A search splits its nonce range into batches handed to idle workers; loads in
 * shared memory are read by the workers directly, other loads are read here (many in flight)
 * between a pad phase and a hash phase. Every hit is re-verified with the contract-level `pora()`
 * of verify/ and the target check before it is returned; mismatches are only counted.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism, cpus } from 'node:os';
import { BYTES_PER_LOAD, BYTES_PER_SEAL, SECTORS_PER_SEAL, UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import { MinerError } from '../errors.js';
import { batchNonce } from '../core/nonce.js';
import { mixSeal, poraOutput } from '../core/pora.js';
import { qualityBound, rangeDigest, targetScaleX64 } from '../core/recallRange.js';
import { recheckHitOnCpu } from './recheck.js';
import { MAX_PAD_SLOTS, WasmPora } from './wasmPora.js';
import type { ResidentView, WasmJob } from './wasmPora.js';
import type { ErrorReply, PadsReply, ResidentReply, ScanItem, ScanReply, SealReply, WorkerRequest } from './cpuWorker.js';
import type {
  Hit,
  LoadSource,
  MineJob,
  NonceRange,
  PoraBackend,
  PoraEvaluation,
  PoraInput,
  SealInput,
  SearchResult,
  SearchStats,
} from './backend.js';

/** Resident batches: small enough to spread a range over the pool, large enough that messaging is noise. */
const MAX_RESIDENT_BATCH = 128;

export interface CpuBackendOptions {
  /** Worker threads (default: os.availableParallelism()). */
  threads?: number;
  /** 1–100: duty cycle of each worker (default 100). */
  cpuPercentage?: number;
}

type Reply = ResidentReply | PadsReply | ScanReply | SealReply;
/** A request before the pool numbers it (Omit distributed over the union). */
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** One worker with request/reply matching. It is unref'd while idle so it never holds the process open. */
class PoolWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  readonly #staging = new Map<number, SharedArrayBuffer>();
  readonly ready: Promise<void>;

  constructor() {
    this.#worker = new Worker(new URL('./cpuWorker.js', import.meta.url));
    this.ready = new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.#worker.once('error', onError);
      this.#worker.once('message', () => {
        this.#worker.off('error', onError);
        this.#worker.on('message', (r: Reply | ErrorReply) => this.#settle(r));
        this.#worker.on('error', (e) => this.#failAll(e));
        this.#worker.on('exit', (code) => this.#failAll(new Error(`CPU worker exited (code ${code})`)));
        this.#worker.unref();
        resolve();
      });
    });
  }

  call<T extends Reply>(msg: Request): Promise<T> {
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (r: Reply) => void, reject });
      this.#worker.postMessage({ ...msg, id });
    });
  }

  /**
   * The staging buffer of a read() batch (one per slot half), made on first use and then reused:
   * loads are copied in once and read in place by the worker, where a new buffer per message
   * (postMessage cloning) costs a page fault per 4 KiB on top of the copies.
   */
  staging(slotBase: number): SharedArrayBuffer {
    let buf = this.#staging.get(slotBase);
    if (buf === undefined) {
      buf = new SharedArrayBuffer((MAX_PAD_SLOTS / 2) * BYTES_PER_LOAD);
      this.#staging.set(slotBase, buf);
    }
    return buf;
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  #settle(r: Reply | ErrorReply): void {
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('error' in r) {
      const e = new Error(`CPU worker: ${r.error.message}`);
      if (r.error.stack !== undefined) e.stack = r.error.stack;
      p.reject(e);
    } else p.resolve(r);
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}

interface RawHit {
  k: number;
  chunkOffset: bigint;
  sealOffset: number;
  quality: Uint8Array;
  sealedData: Uint8Array;
}

/** Shared state of one search: the next unclaimed nonce index, totals, raw hits. */
interface SearchRun {
  job: MineJob;
  wjob: WasmJob;
  nonces: NonceRange;
  stop: Int32Array;
  next: number;
  stats: SearchStats;
  raw: RawHit[];
  cpuPercentage: number;
}

function claim(run: SearchRun, max: number): { s: number; c: number } | null {
  if (Atomics.load(run.stop, 0) !== 0 || run.next >= run.nonces.count) return null;
  const s = run.next;
  const c = Math.min(max, run.nonces.count - s);
  run.next += c;
  return { s, c };
}

async function residentLoop(w: PoolWorker, run: SearchRun, view: ResidentView, batch: number): Promise<void> {
  for (let b = claim(run, batch); b !== null; b = claim(run, batch)) {
    const r = await w.call<ResidentReply>({
      type: 'resident',
      job: run.wjob,
      base: run.nonces.base,
      start: run.nonces.start + BigInt(b.s),
      count: b.c,
      view,
      stop: run.stop,
      cpuPercentage: run.cpuPercentage,
    });
    run.stats.nonces += r.stats.nonces;
    run.stats.sealHashes += r.stats.sealHashes;
    run.stats.skipped += r.stats.skipped;
    for (const h of r.hits) run.raw.push({ ...h, k: h.k + b.s });
  }
}

/** Nonces per two-phase batch; each worker runs two such loops on its two halves of the slots. */
const READ_BATCH = MAX_PAD_SLOTS / 2;

/**
 * Pads in the worker, loads read here (all of a batch in flight at once), hashes in the worker.
 * Two of these loops share each worker (slot halves), so one batch's pads or hashes run while
 * the other batch waits for its reads.
 */
async function readLoop(w: PoolWorker, run: SearchRun, data: LoadSource, slotBase: number): Promise<void> {
  for (let b = claim(run, READ_BATCH); b !== null; b = claim(run, READ_BATCH)) {
    const pads = await w.call<PadsReply>({
      type: 'pads',
      slotBase,
      job: run.wjob,
      base: run.nonces.base,
      start: run.nonces.start + BigInt(b.s),
      count: b.c,
      stop: run.stop,
    });
    run.stats.nonces += pads.recalls.length;
    const wanted: { slot: number; chunkOffset: bigint; loadIndex: bigint; mask: bigint }[] = [];
    pads.recalls.forEach((r, i) => {
      const slot = slotBase + i;
      const mask = r.loadIndex === null ? 0n : data.availability(r.loadIndex);
      if (r.loadIndex === null || mask === 0n) run.stats.skipped++;
      else wanted.push({ slot, chunkOffset: r.chunkOffset, loadIndex: r.loadIndex, mask });
    });
    if (wanted.length === 0) continue;
    const loads = await Promise.all(wanted.map((x) => data.read(x.loadIndex)));
    const staging = w.staging(slotBase);
    const stagingBytes = new Uint8Array(staging);
    const items: ScanItem[] = wanted.map((x, i) => {
      const load = loads[i]!;
      if (load.length !== BYTES_PER_LOAD)
        throw new MinerError('STORE_ERROR', `load ${x.loadIndex}: expected ${BYTES_PER_LOAD} bytes, got ${load.length}`);
      stagingBytes.set(load, i * BYTES_PER_LOAD);
      return { slot: x.slot, offset: i * BYTES_PER_LOAD, maskLo: Number(x.mask & 0xffffffffn), maskHi: Number((x.mask >> 32n) & 0xffffffffn) };
    });
    const scan = await w.call<ScanReply>({ type: 'scan', staging, items, stop: run.stop, cpuPercentage: run.cpuPercentage });
    run.stats.sealHashes += scan.sealHashes;
    for (const h of scan.hits) {
      const x = wanted.find((y) => y.slot === h.slot)!;
      run.raw.push({ k: b.s + h.slot - slotBase, chunkOffset: x.chunkOffset, sealOffset: h.sealOffset, quality: h.quality, sealedData: h.sealedData });
    }
  }
}

/**
 * The workers' view of resident loads, after checking that the buffers cover every load.
 * @throws {RangeError} when the chunks or masks are shorter than loadCount says.
 */
function residentView(r: NonNullable<LoadSource['resident']>): ResidentView {
  if (!Number.isInteger(r.loadsPerChunk) || r.loadsPerChunk < 1) throw new RangeError(`resident loads: bad loadsPerChunk ${r.loadsPerChunk}`);
  for (let k = 0; k * r.loadsPerChunk < r.loadCount; k++) {
    const need = Math.min(r.loadsPerChunk, r.loadCount - k * r.loadsPerChunk) * BYTES_PER_LOAD;
    const have = r.chunks[k]?.byteLength ?? 0;
    if (have < need) throw new RangeError(`resident loads: chunk ${k} holds ${have} bytes, expected at least ${need}`);
  }
  if (r.masks.byteLength < 8 * r.loadCount) throw new RangeError(`resident loads: masks hold ${r.masks.byteLength} bytes for ${r.loadCount} loads`);
  return {
    firstLoad: r.firstLoad,
    loadCount: r.loadCount,
    loadsPerChunk: r.loadsPerChunk,
    chunks: r.chunks.map((c) => new Uint8Array(c)),
    masks: new Uint32Array(r.masks, 0, 2 * r.loadCount),
  };
}

/** Re-verifies a worker's hit on the CPU (recheck.ts); null = rejected. */
function verifyHit(run: SearchRun, h: RawHit, bound: bigint): Hit | null {
  const { job } = run;
  const nonce = batchNonce(run.nonces.base, run.nonces.start + BigInt(h.k));
  const recallPosition = job.range.startPosition + h.chunkOffset * SECTORS_PER_LOAD_N + BigInt(h.sealOffset * SECTORS_PER_SEAL);
  const hit: Hit = { jobId: job.id, nonce, recallPosition, sealOffset: h.sealOffset, quality: h.quality, sealedData: h.sealedData };
  return recheckHitOnCpu(job, hit, bound) === null ? hit : null;
}

/**
 * Starts the worker pool (each worker compiles pora.wasm) and returns the backend.
 * @throws {MinerError} BAD_CONFIG for a thread count or CPU percentage out of range.
 */
export async function createCpuBackend(opts: CpuBackendOptions = {}): Promise<PoraBackend> {
  const threads = opts.threads ?? availableParallelism();
  const cpuPercentage = opts.cpuPercentage ?? 100;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024)
    throw new MinerError('BAD_CONFIG', `threads must be an integer from 1 to 1024, got ${threads}`);
  if (!Number.isFinite(cpuPercentage) || cpuPercentage <= 0 || cpuPercentage > 100)
    throw new MinerError('BAD_CONFIG', `cpu percentage must be in (0, 100], got ${cpuPercentage}`);

  const pool = Array.from({ length: threads }, () => new PoolWorker());
  try {
    await Promise.all(pool.map((w) => w.ready));
  } catch (e) {
    await Promise.all(pool.map((w) => w.terminate()));
    throw e;
  }
  let local: WasmPora | null = null;
  /** Shared buffers of finished seal() batches, for the next ones. */
  const sealStaging: SharedArrayBuffer[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  /** Stops the running search (dispose ends it early instead of waiting for its whole range). */
  let stopCurrent: (() => void) | null = null;

  async function runSearch(job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult> {
    if (disposed) throw new Error('search: the CPU backend is disposed');
    if (job.range.mineLength / SECTORS_PER_LOAD_N === 0n) throw new RangeError('search: mineLength / 1024 is 0 (division by zero)');
    const bound = qualityBound(job.poraTarget, targetScaleX64(job.range, job.flowLength));
    const run: SearchRun = {
      job,
      wjob: { minerId: job.minerId, subtaskDigest: job.subtaskDigest, rangeDigest: rangeDigest(job.range), range: job.range, bound },
      nonces,
      stop: new Int32Array(new SharedArrayBuffer(4)),
      next: 0,
      stats: { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 },
      raw: [],
      cpuPercentage,
    };
    const onAbort = (): void => {
      Atomics.store(run.stop, 0, 1);
      Atomics.notify(run.stop, 0);
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stopCurrent = onAbort;
    try {
      const view = data.resident === undefined ? null : residentView(data.resident);
      const batch = Math.max(1, Math.min(MAX_RESIDENT_BATCH, Math.ceil(nonces.count / (4 * threads))));
      // allSettled: on a failure the other workers are stopped and drained before the error surfaces
      const loops = pool.flatMap((w) =>
        view === null ? [readLoop(w, run, data, 0), readLoop(w, run, data, READ_BATCH)] : [residentLoop(w, run, view, batch)]
      );
      const settled = await Promise.allSettled(
        loops.map((loop) =>
          loop.catch((e: unknown) => {
            onAbort();
            throw e;
          })
        )
      );
      const failed = settled.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stopCurrent = null;
    }
    const hits: Hit[] = [];
    for (const h of run.raw.sort((a, b) => a.k - b.k)) {
      const hit = verifyHit(run, h, bound);
      if (hit === null) run.stats.rejected++;
      else hits.push(hit);
    }
    return { hits, stats: run.stats };
  }

  return {
    info: { kind: 'cpu', device: cpus()[0]?.model.trim() || 'unknown CPU', threads },

    search(job, nonces, data, signal) {
      // one search at a time: workers keep a batch's pads in their wasm slots between phases
      const result = queue.then(() => runSearch(job, nonces, data, signal));
      queue = result.catch(() => undefined);
      return result;
    },

    async evaluate(inputs: PoraInput[]): Promise<PoraEvaluation[]> {
      local ??= new WasmPora();
      const w = local;
      return inputs.map((x) => {
        w.setJob({ minerId: x.minerId, subtaskDigest: x.subtaskDigest, rangeDigest: rangeDigest(x.range), range: x.range, bound: 0n });
        w.setNonce(x.nonce);
        w.scratchPad();
        // the wasm header holds a u64 sealOffset; larger ones (never mined, but pora() accepts them) go through core/
        const quality =
          x.sealOffset <= UINT64_MAX
            ? w.sealQuality(x.sealedData, x.sealOffset)
            : poraOutput(x.sealOffset, w.padSeed(), mixSeal(x.sealedData, w.pad(), x.sealOffset));
        return { padSeed: w.padSeed(), padDigest: w.padDigest(), recallSeed: w.recallSeed(), quality };
      });
    },

    async seal(inputs: SealInput[], mode: 'seal' | 'unseal'): Promise<Uint8Array[]> {
      // pora.wasm's keccak chain (~30x faster than core/), spread over the worker pool: one share
      // per worker, so a load's 64 seals use every core. A small batch stays on the calling thread.
      if (inputs.length < 2 * pool.length || disposed) {
        local ??= new WasmPora();
        const w = local;
        return inputs.map((x) => w.sealOne(x.data, x.minerId, x.sealContextDigest, x.startSector, mode));
      }
      // The data goes over in one shared buffer and is sealed there in place: no structured clone
      // of every seal's buffer each way (a view of a 256 KiB load would clone the whole load).
      const share = Math.ceil(inputs.length / pool.length);
      const stop = new Int32Array(new SharedArrayBuffer(4));
      // Reused: a fresh 256 KiB buffer per load costs its page faults every time.
      const staging = sealStaging.pop();
      const buf = new Uint8Array(staging !== undefined && staging.byteLength >= inputs.length * BYTES_PER_SEAL ? staging : new SharedArrayBuffer(inputs.length * BYTES_PER_SEAL), 0, inputs.length * BYTES_PER_SEAL);
      inputs.forEach((x, i) => {
        if (x.data.length !== BYTES_PER_SEAL) throw new RangeError(`seal data: expected ${BYTES_PER_SEAL} bytes, got ${x.data.length}`);
        buf.set(x.data, i * BYTES_PER_SEAL);
      });
      await Promise.all(
        pool.map(async (w, k) => {
          const from = Math.min(inputs.length, k * share);
          const to = Math.min(inputs.length, (k + 1) * share);
          if (to === from) return;
          const items = inputs.slice(from, to).map((x) => ({ minerId: x.minerId, sealContextDigest: x.sealContextDigest, startSector: x.startSector }));
          const r = await w.call<SealReply>({ type: 'seal', mode, items, data: buf.subarray(from * BYTES_PER_SEAL, to * BYTES_PER_SEAL), stop });
          if (r.sealed !== items.length) throw new Error(`CPU worker sealed ${r.sealed} of ${items.length} seals`);
        })
      );
      // One ordinary copy out of shared memory: callers keep the results while the next batch runs.
      const out = buf.slice();
      // Reused only after a batch every worker finished (after a failure one may still be writing).
      if (sealStaging.length < 4) sealStaging.push(buf.buffer as SharedArrayBuffer);
      return inputs.map((_, i) => out.subarray(i * BYTES_PER_SEAL, (i + 1) * BYTES_PER_SEAL));
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      stopCurrent?.();
      await queue;
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
