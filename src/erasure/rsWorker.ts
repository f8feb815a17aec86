/**
 * A CPU erasure-coding worker: one rs.wasm instance, applying the matrix of each request to its
 * column range of shards held in shared memory (no copies through the main thread).
 */
import { parentPort } from 'node:worker_threads';
import { matrix } from '../ec/matrix.js';
import { WasmRs } from './wasmRs.js';

export interface RsRequest {
  id: number;
  rows: number;
  cols: number;
  coefficients: Uint8Array;
  /** SharedArrayBuffer-backed views. */
  stripes: { inputs: Uint8Array[]; outputs: Uint8Array[] }[];
  from: number;
  to: number;
}

export type RsReply = { id: number } | { id: number; error: string };

const rs = new WasmRs();
let last: { key: Uint8Array; m: ReturnType<typeof matrix> } | null = null;

parentPort!.on('message', (req: RsRequest) => {
  try {
    // Same coefficients as the previous request: keep the matrix object so its tables stay loaded.
    if (last === null || last.key.length !== req.coefficients.length || !last.key.every((x, i) => x === req.coefficients[i]))
      last = { key: req.coefficients, m: matrix(req.rows, req.cols, req.coefficients) };
    for (const s of req.stripes) rs.apply(last.m, s, req.from, req.to);
    parentPort!.postMessage({ id: req.id } satisfies RsReply);
  } catch (e) {
    parentPort!.postMessage({ id: req.id, error: (e as Error).message } satisfies RsReply);
  }
});
parentPort!.postMessage({ ready: true });
