/**
 * The store's load hashing on every core: a pool of worker threads (hashWorker.ts), one pora.wasm
 * each, fed 1 MiB pieces of whole loads from one queue, so a file's loads are hashed in parallel
 * while the main thread writes it. Data in a SharedArrayBuffer is hashed where it lies (the file
 * source reads into one); other data is copied piecewise into reused shared staging buffers (one
 * memcpy, ~1 % of the hashing). Roots come back in shared memory, not through messages.
 *
 * A worker that fails or exits rejects the call (never a partial or wrong root) and is replaced
 * on the next call. Idle workers are unref'd: they never hold a process open.
 */
import { availableParallelism } from 'node:os';
import { RpcWorker } from '../workerRpc/workerRpc.js';
import { BYTES_PER_LOAD } from '../spec.js';
import { HASH_LOAD_OUT } from '../backend/wasmPora.js';
import type { HashRequest } from './hashWorker.js';

/** Loads per piece: ~4 ms of hashing, so messaging is noise and a descheduled worker holds back little. */
const PIECE_LOADS = 4;
/** Pieces queued at each worker: the next one is there when one finishes. */
const INFLIGHT_PER_WORKER = 2;

export interface HashPoolOptions {
  /** Worker threads (default: os.availableParallelism()). */
  threads?: number;
  /** The worker script (tests substitute a failing one). */
  script?: URL;
}

interface Call {
  failed: Error | null;
  left: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Piece {
  call: Call;
  data: Uint8Array;
  leafZero: boolean;
  out: Uint8Array;
}

type HashWorker = RpcWorker<HashRequest, number>;

export class HashPool {
  readonly threads: number;
  readonly #script: URL;
  readonly #workers: (HashWorker | null)[];
  readonly #inflight: number[];
  readonly #queue: Piece[] = [];
  /** Calls not settled yet (close() rejects them: a worker stopped before it started answers nothing). */
  readonly #calls = new Set<Call>();
  /** Staging buffers of one piece each, for data not in shared memory. */
  readonly #staging: SharedArrayBuffer[] = [];
  #closed = false;

  constructor(opts: HashPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
    this.#script = opts.script ?? new URL('./hashWorker.js', import.meta.url);
    this.#workers = Array.from({ length: this.threads }, () => null);
    this.#inflight = Array.from({ length: this.threads }, () => 0);
  }

  /**
   * The roots of each load of `data` (a whole number of 256 KiB loads): load k's 64 level-4 seal
   * roots then its level-10 load root at byte k × HASH_LOAD_OUT of the result. `leafZero`: the
   * first load is flow load 0. `data` must not change until the promise settles.
   */
  hashLoads(data: Uint8Array, leafZero = false): Promise<Uint8Array> {
    const count = data.length / BYTES_PER_LOAD;
    if (!Number.isInteger(count)) return Promise.reject(new RangeError(`hashLoads: ${data.length} bytes is not a whole number of loads`));
    if (this.#closed) return Promise.reject(new Error('hashLoads: the hash pool is closed'));
    if (count === 0) return Promise.resolve(new Uint8Array(0));
    const out = new Uint8Array(new SharedArrayBuffer(count * HASH_LOAD_OUT));
    return new Promise<Uint8Array>((resolve, reject) => {
      const call: Call = {
        failed: null,
        left: Math.ceil(count / PIECE_LOADS),
        resolve: () => {
          this.#calls.delete(call);
          resolve(out);
        },
        reject: (e) => {
          this.#calls.delete(call);
          reject(e);
        },
      };
      this.#calls.add(call);
      for (let k = 0; k < count; k += PIECE_LOADS) {
        const n = Math.min(PIECE_LOADS, count - k);
        this.#queue.push({
          call,
          data: data.subarray(k * BYTES_PER_LOAD, (k + n) * BYTES_PER_LOAD),
          leafZero: leafZero && k === 0,
          out: out.subarray(k * HASH_LOAD_OUT, (k + n) * HASH_LOAD_OUT),
        });
      }
      this.#pump();
    });
  }

  /** Stops the workers; calls still running reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new Error('hashLoads: the hash pool is closed');
    this.#queue.length = 0;
    for (const c of [...this.#calls]) this.#fail(c, err);
    await Promise.all(this.#workers.map((w, i) => (this.#workers[i] = null, w?.terminate())));
  }

  /** Hands queued pieces to workers with room, least loaded first. */
  #pump(): void {
    while (this.#queue.length > 0) {
      let best = 0;
      for (let i = 1; i < this.threads; i++) if (this.#inflight[i]! < this.#inflight[best]!) best = i;
      if (this.#inflight[best]! >= INFLIGHT_PER_WORKER) return;
      const piece = this.#queue.shift()!;
      if (piece.call.failed !== null) continue;
      this.#run(best, piece);
    }
  }

  #run(i: number, piece: Piece): void {
    const w = (this.#workers[i] ??= new RpcWorker<HashRequest, number>(this.#script, 'hash'));
    this.#inflight[i]!++;
    const shared = piece.data.buffer instanceof SharedArrayBuffer;
    const staging = shared ? null : (this.#staging.pop() ?? new SharedArrayBuffer(PIECE_LOADS * BYTES_PER_LOAD));
    let data = piece.data;
    if (staging !== null) {
      data = new Uint8Array(staging, 0, piece.data.length);
      data.set(piece.data);
    }
    const n = data.length / BYTES_PER_LOAD;
    w.ready
      .then(() => w.call({ data, leafZero: piece.leafZero, out: piece.out }))
      .then(
        (done) => {
          if (done !== n) throw new Error(`hash worker hashed ${done} of ${n} loads`);
          if (--piece.call.left === 0 && piece.call.failed === null) piece.call.resolve();
        },
        (e: unknown) => {
          // A failed worker is not trusted again: the next piece for this slot starts a fresh one.
          if (this.#workers[i] === w) {
            this.#workers[i] = null;
            void w.terminate();
          }
          throw e;
        }
      )
      .catch((e: unknown) => this.#fail(piece.call, e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        if (staging !== null) this.#staging.push(staging);
        this.#inflight[i]!--;
        if (!this.#closed) this.#pump();
      });
  }

  #fail(call: Call, e: Error): void {
    if (call.failed !== null) return;
    call.failed = e;
    call.reject(e);
  }
}

let shared: HashPool | null = null;

/** The process's hash pool (one worker per core, started on first use). */
export function sharedHashPool(): HashPool {
  return (shared ??= new HashPool());
}
