/**
 * Verifies a stream of inputs and hands back one result per input, in input order. Small inputs
 * (fewer than one chunk) run on the calling thread; larger ones go in chunks round-robin to the
 * calling thread and `threads − 1` worker threads (verifyWorker.ts), at most two chunks in flight
 * per thread, so memory stays bounded however long stdin is. The calling thread takes its share
 * because feeding the workers costs it little: one isolate fewer to start and to schedule.
 */
import { availableParallelism } from 'node:os';
import { RpcWorker } from '../workerRpc/workerRpc.js';
import { wasmHashes } from './wasmHashes.js';
import { verifyItem, type BatchItem, type ItemResult } from './verifyItem.js';

export interface VerifyStreamOptions {
  /** Worker threads (default: os.availableParallelism()); 1 = the calling thread only. */
  threads?: number;
  /** Inputs per worker request. */
  chunk?: number;
  /** Called once per input, in input order; may return a promise (e.g. stdout back-pressure). */
  onResult: (result: ItemResult, item: BatchItem) => void | Promise<void>;
}

export const DEFAULT_CHUNK = 64;

export async function verifyStream(items: AsyncIterable<BatchItem> | Iterable<BatchItem>, o: VerifyStreamOptions): Promise<number> {
  const threads = o.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer (got ${threads})`);
  const chunkSize = o.chunk ?? DEFAULT_CHUNK;
  const it = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<BatchItem>)[Symbol.iterator]()) as
    | AsyncIterator<BatchItem>
    | Iterator<BatchItem>;
  const nextChunk = async (): Promise<BatchItem[]> => {
    const out: BatchItem[] = [];
    while (out.length < chunkSize) {
      const r = await it.next();
      if (r.done === true) break;
      out.push(r.value);
    }
    return out;
  };

  let count = 0;
  const first = await nextChunk();
  if (first.length < chunkSize || threads === 1) {
    // One thread: no worker start-up cost (a few dozen ms each) for a handful of answers.
    const hashes = wasmHashes();
    for (let chunk = first; chunk.length > 0; chunk = await nextChunk())
      for (const item of chunk) {
        await o.onResult(verifyItem(item, hashes), item);
        count++;
      }
    return count;
  }

  const hashes = wasmHashes();
  const pool = Array.from({ length: threads - 1 }, (_, i) => new RpcWorker<BatchItem[], ItemResult[]>(new URL('./verifyWorker.js', import.meta.url), `verify ${i}`));
  try {
    await Promise.all(pool.map((w) => w.ready));
    // Chunks are dispatched round-robin and drained in order: the oldest in flight is awaited first.
    const inFlight: { items: BatchItem[]; results: Promise<ItemResult[]> }[] = [];
    let next = 0;
    const drainOne = async (): Promise<void> => {
      const head = inFlight.shift()!;
      const results = await head.results;
      for (let i = 0; i < results.length; i++) await o.onResult(results[i]!, head.items[i]!);
      count += results.length;
    };
    for (let chunk = first; chunk.length > 0; chunk = await nextChunk()) {
      const slot = next++ % threads;
      let results: Promise<ItemResult[]>;
      if (slot === pool.length) {
        // The calling thread's turn: the workers hold their queued chunks meanwhile.
        results = Promise.resolve(chunk.map((item) => verifyItem(item, hashes)));
      } else {
        results = pool[slot]!.call(chunk);
        results.catch(() => undefined); // awaited in order by drainOne; no unhandled rejection meanwhile
      }
      inFlight.push({ items: chunk, results });
      if (inFlight.length >= 2 * threads) await drainOne();
    }
    while (inFlight.length > 0) await drainOne();
    return count;
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
