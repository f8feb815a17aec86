/**
 * A CPU backend worker thread: one pora.wasm instance, driven by messages from cpuBackend.ts.
 *
 * - `resident`: the fused loop over loads in shared memory (no copies through the main thread).
 * - `pads` then `scan`: the two phases for loads the main thread reads itself. `pads` leaves the
 *   scratch pads of the batch in wasm slots 0..count-1 and returns each nonce's recalled load;
 *   `scan` hashes the loads the main thread read for those slots.
 *
 * `stop` is a shared Int32Array: the main thread sets [0] = 1 (and notifies) to abort; it is
 * checked before every nonce and also wakes the throttle sleep.
 */
import { parentPort } from 'node:worker_threads';
import { BYTES_PER_LOAD, BYTES_PER_SEAL } from '../spec.js';
import { MAX_PAD_SLOTS, WasmPora } from './wasmPora.js';
import type { ResidentView, WasmHit, WasmJob } from './wasmPora.js';

export interface ResidentRequest {
  type: 'resident';
  id: number;
  job: WasmJob;
  base: Uint8Array;
  start: bigint;
  count: number;
  view: ResidentView;
  stop: Int32Array;
  cpuPercentage: number;
}

export interface PadsRequest {
  type: 'pads';
  id: number;
  /** Pads go to slots slotBase .. slotBase + count - 1 (two batches per worker overlap reads and hashing). */
  slotBase: number;
  job: WasmJob;
  base: Uint8Array;
  start: bigint;
  count: number;
  stop: Int32Array;
}

export interface ScanItem {
  slot: number;
  /** Byte offset of the item's 256 KiB load in the request's staging buffer. */
  offset: number;
  maskLo: number;
  maskHi: number;
}

export interface ScanRequest {
  type: 'scan';
  id: number;
  /** Loads the main thread copied in (shared, reused across batches: fresh buffers cost page faults). */
  staging: SharedArrayBuffer;
  items: ScanItem[];
  stop: Int32Array;
  cpuPercentage: number;
}

/**
 * Seals (or unseals) a share of a `seal()` batch in place: `data` (a view of shared memory) holds
 * item k's 4096 bytes at 4096k. Sealing spreads over the pool, not the main thread.
 */
export interface SealRequest {
  type: 'seal';
  id: number;
  mode: 'seal' | 'unseal';
  items: { minerId: Uint8Array; sealContextDigest: Uint8Array; startSector: bigint }[];
  data: Uint8Array;
  stop: Int32Array;
}

export interface SealReply {
  id: number;
  /** Seals done (all of them, or the request failed). */
  sealed: number;
}

export type WorkerRequest = ResidentRequest | PadsRequest | ScanRequest | SealRequest;

export interface ResidentReply {
  id: number;
  hits: WasmHit[];
  stats: { nonces: number; sealHashes: number; skipped: number };
}
export interface PadsReply {
  id: number;
  /** Per nonce done (in order, slot = slotBase + index): chunkOffset, and loadIndex (null = out of bound). */
  recalls: { chunkOffset: bigint; loadIndex: bigint | null }[];
}
export interface ScanReply {
  id: number;
  /** `slot` as in the scan item; chunkOffset is filled in by the main thread. */
  hits: { slot: number; sealOffset: number; quality: Uint8Array; sealedData: Uint8Array }[];
  sealHashes: number;
}
export interface ErrorReply {
  id: number;
  error: { message: string; stack?: string };
}


const port = parentPort;
if (port === null) throw new Error('cpuWorker.js must run in a worker thread');

const wasm = new WasmPora();
wasm.ensureSlots(MAX_PAD_SLOTS);
/** Hashing time since the last throttle sleep (a `pads` + `scan` pair counts as one batch). */
let busyMs = 0;
let busySince = 0;

/**
 * `cpuPercentage` < 100: sleep so the busy share ≈ that percentage, as the Rust miner does
 * (sleep elapsed / cpu * (100 - cpu)). The sleep waits on `stop`, so an abort wakes it.
 */
function throttle(stop: Int32Array, cpuPercentage: number): void {
  busyMs += performance.now() - busySince;
  if (cpuPercentage >= 100) {
    busyMs = 0;
    return;
  }
  const sleepMs = (busyMs * (100 - cpuPercentage)) / cpuPercentage;
  busyMs = 0;
  if (sleepMs > 0) Atomics.wait(stop, 0, 0, sleepMs);
}

function handle(msg: WorkerRequest): ResidentReply | PadsReply | ScanReply | SealReply {
  busySince = performance.now();
  const stopped = (): boolean => Atomics.load(msg.stop, 0) !== 0;
  switch (msg.type) {
    case 'resident': {
      wasm.setJob(msg.job);
      const { hits, stats } = wasm.searchResident(msg.base, msg.start, msg.count, msg.view, stopped);
      throttle(msg.stop, msg.cpuPercentage);
      return { id: msg.id, hits, stats };
    }
    case 'pads': {
      if (msg.slotBase < 0 || msg.slotBase + msg.count > MAX_PAD_SLOTS)
        throw new RangeError(`pads: slots ${msg.slotBase}..${msg.slotBase + msg.count - 1} exceed ${MAX_PAD_SLOTS}`);
      wasm.setJob(msg.job);
      const recalls: PadsReply['recalls'] = [];
      for (let k = 0; k < msg.count && !stopped(); k++) {
        wasm.setBatchNonce(msg.base, msg.start + BigInt(k));
        wasm.scratchPad(msg.slotBase + k);
        recalls.push(wasm.recall(msg.slotBase + k));
      }
      busyMs += performance.now() - busySince;
      return { id: msg.id, recalls };
    }
    case 'seal': {
      if (msg.data.length !== msg.items.length * BYTES_PER_SEAL) throw new RangeError(`seal: ${msg.data.length} bytes for ${msg.items.length} seals`);
      msg.items.forEach((x, k) => wasm.sealInPlace(msg.data.subarray(k * BYTES_PER_SEAL, (k + 1) * BYTES_PER_SEAL), x.minerId, x.sealContextDigest, x.startSector, msg.mode));
      busyMs += performance.now() - busySince;
      return { id: msg.id, sealed: msg.items.length };
    }
    case 'scan': {
      const hits: ScanReply['hits'] = [];
      let sealHashes = 0;
      const region = wasm.loadRegion();
      const staging = new Uint8Array(msg.staging);
      for (const it of msg.items) {
        if (stopped()) break;
        region.set(staging.subarray(it.offset, it.offset + BYTES_PER_LOAD));
        const r = wasm.scanLoad(it.maskLo, it.maskHi, it.slot);
        sealHashes += r.hashes;
        if (r.index >= 0)
          hits.push({ slot: it.slot, sealOffset: r.index, quality: wasm.hitQuality(), sealedData: wasm.loadSeal(r.index) });
      }
      throttle(msg.stop, msg.cpuPercentage);
      return { id: msg.id, hits, sealHashes };
    }
  }
}

port.on('message', (msg: WorkerRequest) => {
  try {
    port.postMessage(handle(msg));
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const reply: ErrorReply = { id: msg.id, error: err.stack === undefined ? { message: err.message } : { message: err.message, stack: err.stack } };
    port.postMessage(reply);
  }
});
port.postMessage({ ready: true });
