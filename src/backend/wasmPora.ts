/**
 * The JS side of pora.wasm (src/wasm/pora.ts): loads the module and exposes typed PoRA steps over
 * its memory — the scratch pad of a nonce (pad seed, pad, pad digest, recall seed), the quality of
 * one seal, and the fused per-nonce search loop the CPU workers run (spec §4 steps 1–5).
 *
 * Everything here is byte-compatible with core/ (the oracle); test/unit/wasmPora.test.ts checks
 * it on random inputs and on the pora-public vectors.
 */
import { BYTES_PER_LOAD, BYTES_PER_SEAL, UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import type { RecallRange } from '../types.js';
import { u256be } from '../bytes.js';
import { instantiateWasm, projectWasm, type WasmModule } from '../wasmModule.js';

/** Largest two-phase (`pads` then `scan`) batch of a worker: wasm slots, 16.2 KiB each. */
export const MAX_PAD_SLOTS = 64;
const BYTES_PER_SLOT_PAD = 16384;
/** Proof words merkleRoot() takes: what the load region holds after the seal and the index. */
export const MAX_WASM_PROOF = (BYTES_PER_LOAD - BYTES_PER_SEAL - 32) / 32;
/** hashLoad's output: 64 seal roots and the load root. */
export const HASH_LOAD_OUT = 65 * 32;

interface PoraExports {
  memory: { buffer: ArrayBuffer };
  ctxPtr(): number;
  boundPtr(): number;
  qualityPtr(): number;
  loadPtr(): number;
  slotPtr(slot: number): number;
  lastHashes(): number;
  ensureSlots(n: number): number;
  scratchPad(slot: number): void;
  sealQuality(slot: number, offLo: number, offHi: number, seal: number): void;
  scanLoad(slot: number, load: number, maskLo: number, maskHi: number): number;
  seedPtr(): number;
  sealChain(buf: number, unsealMode: number): void;
  merkleRoot(buf: number, proof: number, n: number, index: number, out: number): void;
  keccak256of256(src: number, dst: number): void;
  hashLoad(src: number, out: number, leafZero: number): void;
}

/** The compiled module (dist/wasm/pora.wasm), compiled once per thread. */
export function poraWasmModule(): WasmModule {
  return projectWasm('pora.wasm');
}

/** Per-job constants the search loop needs (what a worker receives with every batch). */
export interface WasmJob {
  minerId: Uint8Array;
  subtaskDigest: Uint8Array;
  /** keccak256 of the range (core/recallRange.ts rangeDigest). */
  rangeDigest: Uint8Array;
  range: RecallRange;
  /** Largest accepted quality: qualityBound(poraTarget, targetScaleX64(range, flowLength)). */
  bound: bigint;
}

/** Where the recall of a nonce lands: its load index, or null when out of bound (skipped). */
export interface Recall {
  chunkOffset: bigint;
  /** Absolute load index (flow sector / 1024), null when chunkOffset * 1024 > mineLength. */
  loadIndex: bigint | null;
}

/** Loads held in shared memory, as a worker sees them (ResidentLoads without the bigint math). */
export interface ResidentView {
  firstLoad: bigint;
  loadCount: number;
  loadsPerChunk: number;
  chunks: Uint8Array[];
  /** Two little-endian u32 per load: mask bits 0..31, 32..63. */
  masks: Uint32Array;
}

export interface WasmHit {
  /** Nonce index inside the searched range (nonce = base ⊕ u64le(start + k)). */
  k: number;
  /** Recalled load-chunk offset in the range (recallPosition = start + 1024·chunkOffset + 16·sealOffset). */
  chunkOffset: bigint;
  sealOffset: number;
  quality: Uint8Array;
  sealedData: Uint8Array;
}

export interface WasmSearchStats {
  nonces: number;
  sealHashes: number;
  skipped: number;
}

/** One instance of pora.wasm with its own memory (one per thread). */
export class WasmPora {
  readonly #x: PoraExports;
  #mem: Uint8Array;
  #dv: DataView;
  #slots = 0;
  #n = 1n;
  #range: RecallRange = { startPosition: 0n, mineLength: 0n, shardId: 0n, shardMask: 0n };

  constructor(module: WasmModule = poraWasmModule()) {
    this.#x = instantiateWasm(module, { env: { abort: wasmAbort } }) as PoraExports;
    this.#mem = new Uint8Array(this.#x.memory.buffer);
    this.#dv = new DataView(this.#x.memory.buffer);
    this.ensureSlots(1);
  }

  /** Makes slots 0..n-1 usable (16.2 KiB each). */
  ensureSlots(n: number): void {
    if (n <= this.#slots) return;
    if (!this.#x.ensureSlots(n)) throw new RangeError(`pora.wasm: cannot grow memory to ${n} slots`);
    this.#slots = n;
    // growing detaches the old views
    this.#mem = new Uint8Array(this.#x.memory.buffer);
    this.#dv = new DataView(this.#x.memory.buffer);
  }

  /** Sets the pad-seed preimage (minerId, subtaskDigest, rangeDigest), the range and the bound. */
  setJob(job: WasmJob): void {
    const ctx = this.#x.ctxPtr();
    this.#mem.set(checkLen(job.minerId, 32, 'minerId'), ctx);
    this.#mem.set(checkLen(job.subtaskDigest, 32, 'subtaskDigest'), ctx + 64);
    this.#mem.set(checkLen(job.rangeDigest, 32, 'rangeDigest'), ctx + 96);
    const b = this.#x.boundPtr();
    for (let w = 0; w < 4; w++)
      this.#dv.setBigUint64(b + 8 * w, (job.bound >> BigInt(64 * (3 - w))) & UINT64_MAX, true);
    this.#range = job.range;
    this.#n = job.range.mineLength / SECTORS_PER_LOAD_N;
  }

  /** Writes a 32-byte nonce into the pad-seed preimage. */
  setNonce(nonce: Uint8Array): void {
    this.#mem.set(checkLen(nonce, 32, 'nonce'), this.#x.ctxPtr() + 32);
  }

  /** Writes nonce `base ⊕ u64le(i)` (core/nonce.ts) into the preimage without allocating. */
  setBatchNonce(base: Uint8Array, i: bigint): void {
    const p = this.#x.ctxPtr() + 32;
    this.#mem.set(base.subarray(0, 32), p);
    this.#dv.setBigUint64(p, this.#dv.getBigUint64(p, true) ^ BigInt.asUintN(64, i), true);
  }

  /** Steps 1–2 for the nonce in the preimage, into `slot`. */
  scratchPad(slot = 0): void {
    this.#x.scratchPad(slot);
  }

  padSeed(slot = 0): Uint8Array {
    return this.#copy(this.#x.slotPtr(slot) + BYTES_PER_SLOT_PAD, 64);
  }
  padDigest(slot = 0): Uint8Array {
    return this.#copy(this.#x.slotPtr(slot) + BYTES_PER_SLOT_PAD + 64, 64);
  }
  recallSeed(slot = 0): Uint8Array {
    return this.#copy(this.#x.slotPtr(slot) + BYTES_PER_SLOT_PAD + 128, 32);
  }
  pad(slot = 0): Uint8Array {
    return this.#copy(this.#x.slotPtr(slot), BYTES_PER_SLOT_PAD);
  }

  /** Step 3 on the recall seed of `slot` with the job's range (core/recallRange.ts semantics). */
  recall(slot = 0): Recall {
    if (this.#n === 0n) throw new RangeError('recall: mineLength / 1024 is 0 (division by zero)');
    const p = this.#x.slotPtr(slot) + BYTES_PER_SLOT_PAD + 128;
    const dv = this.#dv;
    const seed =
      (dv.getBigUint64(p, false) << 192n) |
      (dv.getBigUint64(p + 8, false) << 128n) |
      (dv.getBigUint64(p + 16, false) << 64n) |
      dv.getBigUint64(p + 24, false);
    const r = this.#range;
    const chunkOffset = ((seed % this.#n) & UINT64_MAX & r.shardMask) | r.shardId;
    if (chunkOffset * SECTORS_PER_LOAD_N > r.mineLength) return { chunkOffset, loadIndex: null };
    return { chunkOffset, loadIndex: (r.startPosition + chunkOffset * SECTORS_PER_LOAD_N) / SECTORS_PER_LOAD_N };
  }

  /** Step 5 for one seal: quality (32 bytes) of `sealed` at `sealOffset` with the pad of `slot`. */
  /**
   * Seals (or unseals) one 4 KiB seal (spec §5.1) in wasm memory: 129 keccak-f per seal, no
   * allocation but the returned copy. Start sectors are u256 (the seed's last 32 bytes).
   */
  sealOne(data: Uint8Array, minerId: Uint8Array, sealContextDigest: Uint8Array, startSector: bigint, mode: 'seal' | 'unseal'): Uint8Array {
    checkLen(data, BYTES_PER_SEAL, 'seal data');
    const seed = this.#x.seedPtr();
    this.#mem.set(checkLen(minerId, 32, 'minerId'), seed);
    this.#mem.set(checkLen(sealContextDigest, 32, 'sealContextDigest'), seed + 32);
    this.#mem.set(u256be(startSector), seed + 64);
    const buf = this.#x.loadPtr();
    this.#mem.set(data, buf);
    this.#x.sealChain(buf, mode === 'unseal' ? 1 : 0);
    return this.#copy(buf, BYTES_PER_SEAL);
  }

  /** sealOne, with the result written back over `data` (a worker's view of shared memory). */
  sealInPlace(data: Uint8Array, minerId: Uint8Array, sealContextDigest: Uint8Array, startSector: bigint, mode: 'seal' | 'unseal'): void {
    checkLen(data, BYTES_PER_SEAL, 'seal data');
    const seed = this.#x.seedPtr();
    this.#mem.set(checkLen(minerId, 32, 'minerId'), seed);
    this.#mem.set(checkLen(sealContextDigest, 32, 'sealContextDigest'), seed + 32);
    this.#mem.set(u256be(startSector), seed + 64);
    const buf = this.#x.loadPtr();
    this.#mem.set(data, buf);
    this.#x.sealChain(buf, mode === 'unseal' ? 1 : 0);
    data.set(this.#mem.subarray(buf, buf + BYTES_PER_SEAL));
  }

  sealQuality(sealed: Uint8Array, sealOffset: bigint | number, slot = 0): Uint8Array {
    const off = BigInt(sealOffset);
    if (off < 0n || off > UINT64_MAX) throw new RangeError(`sealOffset: ${off} is not a uint64`);
    const p = this.#x.loadPtr();
    this.#mem.set(checkLen(sealed, BYTES_PER_SEAL, 'sealedData'), p);
    this.#x.sealQuality(slot, Number(off & 0xffffffffn), Number(off >> 32n), p);
    return this.#copy(this.#x.qualityPtr(), 32);
  }

  /**
   * MineLib.recoverMerkleRoot (core/merkle.ts) in wasm: 4096 unsealed bytes, the seal's index in
   * the flow (recallPosition / 16) and its proof (at most MAX_WASM_PROOF words).
   */
  merkleRoot(unsealed: Uint8Array, sealIndex: bigint, proof: readonly Uint8Array[]): Uint8Array {
    if (proof.length > MAX_WASM_PROOF) throw new RangeError(`merkleRoot: ${proof.length} proof words (at most ${MAX_WASM_PROOF})`);
    const buf = this.#x.loadPtr();
    this.#mem.set(checkLen(unsealed, BYTES_PER_SEAL, 'unsealed'), buf);
    const index = buf + BYTES_PER_SEAL;
    for (let w = 0; w < 4; w++) this.#dv.setBigUint64(index + 8 * w, (sealIndex >> BigInt(64 * w)) & UINT64_MAX, true);
    const words = index + 32;
    for (let k = 0; k < proof.length; k++) this.#mem.set(checkLen(proof[k]!, 32, `proof[${k}]`), words + 32 * k);
    this.#x.merkleRoot(buf, words, proof.length, index, this.#x.qualityPtr());
    return this.#copy(this.#x.qualityPtr(), 32);
  }

  /** The 256 KiB load region, for callers that fill it in place. */
  loadRegion(): Uint8Array {
    return this.#mem.subarray(this.#x.loadPtr(), this.#x.loadPtr() + BYTES_PER_LOAD);
  }

  /**
   * Step 5 over the load in the load region: the first held seal (ascending) meeting the bound,
   * or -1; `hashes` = BLAKE2b hashes done.
   */
  scanLoad(maskLo: number, maskHi: number, slot = 0): { index: number; hashes: number } {
    const index = this.#x.scanLoad(slot, this.#x.loadPtr(), maskLo >>> 0, maskHi >>> 0);
    return { index, hashes: this.#x.lastHashes() };
  }

  /** The quality of the last scanLoad hit. */
  hitQuality(): Uint8Array {
    return this.#copy(this.#x.qualityPtr(), 32);
  }

  /** The sealed bytes of seal `i` of the load region. */
  loadSeal(i: number): Uint8Array {
    return this.#copy(this.#x.loadPtr() + i * BYTES_PER_SEAL, BYTES_PER_SEAL);
  }

  /**
   * The fused inner loop over resident loads: for nonces k in [0, count) of `base ⊕ u64le(start
   * + k)`, pad → recall → held-mask lookup → copy the load → quality scan. Stops early when
   * `stop()` says so (checked per nonce). The job must be set.
   */
  searchResident(
    base: Uint8Array,
    start: bigint,
    count: number,
    view: ResidentView,
    stop: () => boolean
  ): { hits: WasmHit[]; stats: WasmSearchStats } {
    const hits: WasmHit[] = [];
    const stats: WasmSearchStats = { nonces: 0, sealHashes: 0, skipped: 0 };
    const loadRegion = this.#x.loadPtr();
    for (let k = 0; k < count; k++) {
      if (stop()) break;
      this.setBatchNonce(base, start + BigInt(k));
      this.#x.scratchPad(0);
      stats.nonces++;
      const { chunkOffset, loadIndex } = this.recall(0);
      const rel = loadIndex === null ? -1n : loadIndex - view.firstLoad;
      if (rel < 0n || rel >= BigInt(view.loadCount)) {
        stats.skipped++;
        continue;
      }
      const idx = Number(rel);
      const maskLo = view.masks[2 * idx]!;
      const maskHi = view.masks[2 * idx + 1]!;
      if ((maskLo | maskHi) === 0) {
        stats.skipped++;
        continue;
      }
      const chunk = view.chunks[Math.floor(idx / view.loadsPerChunk)]!;
      const off = (idx % view.loadsPerChunk) * BYTES_PER_LOAD;
      if ((maskLo & maskHi) === -1) this.#mem.set(chunk.subarray(off, off + BYTES_PER_LOAD), loadRegion);
      else copyHeldSeals(this.#mem, loadRegion, chunk, off, maskLo, maskHi);
      const index = this.#x.scanLoad(0, loadRegion, maskLo, maskHi);
      stats.sealHashes += this.#x.lastHashes();
      if (index >= 0)
        hits.push({ k, chunkOffset, sealOffset: index, quality: this.hitQuality(), sealedData: this.loadSeal(index) });
    }
    return { hits, stats };
  }

  /**
   * The 64 level-4 seal roots and the level-10 root of a 256 KiB load of unsealed flow data
   * (core/flowTree.ts hashLoad is the oracle); `leafZero` for load 0 (its leaf 0 is 0x00…00).
   * Roots are written into `out` (64 × 32 seal roots, then the load root): 2080 bytes.
   */
  hashLoadInto(load: Uint8Array, leafZero: boolean, out: Uint8Array): void {
    checkLen(load, BYTES_PER_LOAD, 'load');
    this.ensureSlots(3); // 32 KiB of leaf scratch in the slot region, then the output
    const src = this.#x.loadPtr();
    this.#mem.set(load, src);
    const dst = this.#x.slotPtr(0) + 32768;
    this.#x.hashLoad(src, dst, leafZero ? 1 : 0);
    out.set(this.#mem.subarray(dst, dst + HASH_LOAD_OUT));
  }

  /** keccak256 of each 256-byte sector of `data` into `out` (32 bytes per sector). */
  sectorLeavesInto(data: Uint8Array, out: Uint8Array): void {
    const n = data.length / 256;
    if (!Number.isInteger(n) || out.length < n * 32) throw new RangeError(`sectorLeaves: ${data.length} bytes is not whole sectors, or out is short`);
    const src = this.#x.loadPtr();
    const dst = this.#x.slotPtr(0);
    for (let o = 0; o < n; o += 64) {
      const k = Math.min(64, n - o); // 16 KiB of input per call fits the load region, 2 KiB of leaves the slot
      this.#mem.set(data.subarray(o * 256, (o + k) * 256), src);
      for (let i = 0; i < k; i++) this.#x.keccak256of256(src + i * 256, dst + i * 32);
      out.set(this.#mem.subarray(dst, dst + k * 32), o * 32);
    }
  }

  #copy(p: number, n: number): Uint8Array {
    return this.#mem.slice(p, p + n);
  }
}

/** Copies only the held seals of a load (the others are never hashed). */
function copyHeldSeals(mem: Uint8Array, dst: number, chunk: Uint8Array, off: number, maskLo: number, maskHi: number): void {
  for (let i = 0; i < 64; i++) {
    const bit = i < 32 ? (maskLo >>> i) & 1 : (maskHi >>> (i - 32)) & 1;
    if (bit === 0) continue;
    const o = off + i * BYTES_PER_SEAL;
    mem.set(chunk.subarray(o, o + BYTES_PER_SEAL), dst + i * BYTES_PER_SEAL);
  }
}

function checkLen(b: Uint8Array, n: number, label: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${label}: expected a Uint8Array`);
  if (b.length !== n) throw new RangeError(`${label}: expected ${n} bytes, got ${b.length}`);
  return b;
}

function wasmAbort(): never {
  throw new Error('pora.wasm aborted (a bug)');
}
