/**
 * The CPU ErasureCoder: rs.wasm (WebAssembly SIMD) on the calling thread for small work, and a
 * worker_threads pool for large work whose shards live in shared memory (the shard-file
 * pipeline allocates them there): each worker takes a column range of every stripe.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism, cpus } from 'node:os';
import { MinerError } from '../errors.js';
import { checkStripes, type ErasureCoder, type Stripe } from '../ec/coder.js';
import type { GfMatrix } from '../ec/matrix.js';
import { WasmRs } from './wasmRs.js';
import type { RsReply, RsRequest } from './rsWorker.js';

export interface CpuCoderOptions {
  /** Worker threads (default: os.availableParallelism()); 1 = the calling thread only. */
  threads?: number;
}

/** Below this many bytes per call, messaging costs more than the other cores give. */
const PARALLEL_MIN_BYTES = 2 << 20;

class RsPoolWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #next = 1;
  readonly ready: Promise<void>;

  constructor() {
    this.#worker = new Worker(new URL('./rsWorker.js', import.meta.url));
    this.ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject);
      this.#worker.once('message', () => {
        this.#worker.off('error', reject);
        this.#worker.on('message', (r: RsReply) => this.#settle(r));
        this.#worker.on('error', (e) => this.#failAll(e));
        this.#worker.on('exit', (code) => this.#failAll(new Error(`erasure-coding worker exited (code ${code})`)));
        this.#worker.unref();
        resolve();
      });
    });
  }

  call(req: Omit<RsRequest, 'id'>): Promise<void> {
    const id = this.#next++;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...req, id });
    });
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  #settle(r: RsReply): void {
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('error' in r) p.reject(new Error(`erasure-coding worker: ${r.error}`));
    else p.resolve();
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}

function shared(x: Uint8Array): boolean {
  return x.buffer instanceof SharedArrayBuffer;
}

export async function createCpuCoder(opts: CpuCoderOptions = {}): Promise<ErasureCoder> {
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new MinerError('BAD_CONFIG', `--threads must be a positive integer (got ${threads})`);
  const local = new WasmRs();
  let pool: RsPoolWorker[] | null = null;
  const workers = async (): Promise<RsPoolWorker[]> => {
    if (pool === null) {
      pool = Array.from({ length: threads }, () => new RsPoolWorker());
      await Promise.all(pool.map((w) => w.ready));
    }
    return pool;
  };

  async function parallel(m: GfMatrix, stripes: readonly Stripe[], size: number): Promise<void> {
    const ws = await workers();
    const plain = stripes.map((s) => ({ inputs: [...s.inputs], outputs: [...s.outputs] }));
    // Column ranges in 64-byte steps, one per worker.
    const step = Math.ceil(size / ws.length / 64) * 64;
    await Promise.all(
      ws.map((w, i) => {
        const from = Math.min(size, i * step);
        const to = Math.min(size, from + step);
        return to > from ? w.call({ rows: m.rows, cols: m.cols, coefficients: m.data, stripes: plain, from, to }) : Promise.resolve();
      })
    );
  }

  return {
    info: { kind: 'cpu', device: cpus()[0]?.model.trim() ?? 'CPU', threads },
    async apply(m, stripes) {
      const size = checkStripes(m, stripes);
      const bytes = size * (m.rows + m.cols) * stripes.length;
      const allShared = stripes.every((s) => s.inputs.every(shared) && s.outputs.every(shared));
      if (threads > 1 && allShared && bytes >= PARALLEL_MIN_BYTES && size >= 64 * threads) return parallel(m, stripes, size);
      for (const s of stripes) local.apply(m, s);
    },
    async dispose() {
      if (pool !== null) await Promise.all((pool as RsPoolWorker[]).map((w) => w.terminate()));
      pool = null;
    },
  };
}
