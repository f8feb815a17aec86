/**
 * The in-flight slots of the GPU search (ethminer's streams): each slot owns the buffers of one
 * batch of nonces (pad seeds, pads, recall results, work lists, counters, hits) and its MAP_READ
 * staging buffer, made once and reused. Both search paths (searchResident.ts, searchStreaming.ts)
 * record their passes through these helpers. The scratchpad and pora bind group layouts are
 * explicit because every slot's bind groups (and every GPU chunk's pora group) share them.
 */
import { MinerError } from '../errors.js';
import type { Hit, LoadSource, NonceRange, SearchStats } from '../backend/backend.js';
import type { GpuContext } from './device.js';
import { bufferLayout, grid, makeBuffer, READBACK, STORAGE, UNIFORM, type Kernels } from './kernels.js';
import { poraParams, PAD_PARAMS, PORA_PARAMS, type JobConsts } from './jobParams.js';
import { HIT_WORDS, HITS_HEADER, parseHits, type RawHit } from './hits.js';

export interface SearchConfig {
  batch: number;
  inFlight: number;
  hitCap: number;
  /** Loads per GPU data binding (at most maxStorageBufferBindingSize / 256 KiB). */
  loadsPerBinding: number;
  /** Loads uploaded per streaming pora pass. */
  streamLoads: number;
  log: (line: string) => void;
}

/** One search call: the job, its nonces and source, and where results accumulate. */
export interface SearchRun {
  jc: JobConsts;
  nonces: NonceRange;
  data: LoadSource;
  stats: SearchStats;
  hits: Hit[];
  signal?: AbortSignal | undefined;
}

export interface Slot {
  padParams: GPUBuffer;
  poraParams: GPUBuffer[];
  padSeeds: GPUBuffer;
  pads: GPUBuffer;
  recall: GPUBuffer;
  items: GPUBuffer;
  counters: GPUBuffer;
  hits: GPUBuffer;
  hitCap: number;
  staging: GPUBuffer;
  query: GPUQuerySet | null;
  resolve: GPUBuffer | null;
  bgScratch: GPUBindGroup | null;
  bgPora: GPUBindGroup[];
}

/** scratchpad.wgsl: params, pad_seeds, pads, recall, items, counters (atomic), masks. */
const SCRATCHPAD_BINDINGS: GPUBufferBindingType[] = ['uniform', 'storage', 'storage', 'storage', 'storage', 'storage', 'read-only-storage'];
/** pora.wgsl: params, pads, pad_seeds, items, counters, masks, data, hits (atomic). */
const PORA_BINDINGS: GPUBufferBindingType[] = [
  'uniform',
  'read-only-storage',
  'read-only-storage',
  'read-only-storage',
  'read-only-storage',
  'read-only-storage',
  'read-only-storage',
  'storage',
];

export class SearchSlots {
  gpuSeconds = 0;
  readonly cfg: SearchConfig;
  slots: Slot[] = [];
  /** GPU chunks the current slots were made for (-1: remake before use). */
  chunks = -1;
  private readonly ctx: GpuContext;
  private readonly kernels: Kernels;
  private readonly timestamps: boolean;
  private readonly scratchLayout: GPUBindGroupLayout;
  private readonly poraLayout: GPUBindGroupLayout;

  constructor(ctx: GpuContext, kernels: Kernels, cfg: SearchConfig) {
    this.ctx = ctx;
    this.kernels = kernels;
    this.cfg = cfg;
    this.timestamps = ctx.device.features.has('timestamp-query');
    this.scratchLayout = bufferLayout(ctx, 'scratchpad', SCRATCHPAD_BINDINGS);
    this.poraLayout = bufferLayout(ctx, 'pora', PORA_BINDINGS);
  }

  scratchpadPipeline(): Promise<GPUComputePipeline> {
    return this.kernels.scratchpad(this.scratchLayout);
  }

  poraPipeline(): Promise<GPUComputePipeline> {
    return this.kernels.pora(this.poraLayout);
  }

  free(): void {
    for (const s of this.slots) {
      for (const b of [s.padParams, ...s.poraParams, s.padSeeds, s.pads, s.recall, s.items, s.counters, s.hits, s.staging]) b.destroy();
      s.query?.destroy();
      s.resolve?.destroy();
    }
    this.slots = [];
  }

  countersBytes(chunks: number): number {
    return Math.ceil(((2 + chunks) * 4) / 16) * 16;
  }

  ensure(chunks: number): void {
    if (this.chunks === chunks && this.slots.length > 0) return;
    this.free();
    const B = this.cfg.batch;
    for (let k = 0; k < this.cfg.inFlight; k++) {
      const counters = makeBuffer(this.ctx, `counters ${k}`, this.countersBytes(chunks), STORAGE);
      const hitsBytes = HITS_HEADER + this.cfg.hitCap * HIT_WORDS * 4;
      this.slots.push({
        padParams: makeBuffer(this.ctx, `pad params ${k}`, PAD_PARAMS.size, UNIFORM),
        poraParams: Array.from({ length: chunks }, (_, c) => makeBuffer(this.ctx, `pora params ${k}.${c}`, PORA_PARAMS.size, UNIFORM)),
        padSeeds: makeBuffer(this.ctx, `pad seeds ${k}`, B * 64, STORAGE),
        pads: makeBuffer(this.ctx, `pads ${k}`, B * 16384, STORAGE),
        recall: makeBuffer(this.ctx, `recall ${k}`, B * 16, STORAGE),
        items: makeBuffer(this.ctx, `items ${k}`, chunks * B * 8, STORAGE),
        counters,
        hits: makeBuffer(this.ctx, `hits ${k}`, hitsBytes, STORAGE),
        hitCap: this.cfg.hitCap,
        staging: makeBuffer(this.ctx, `staging ${k}`, this.countersBytes(chunks) + hitsBytes + 16, READBACK),
        query: this.timestamps ? this.ctx.device.createQuerySet({ type: 'timestamp', count: 2 }) : null,
        resolve: this.timestamps ? makeBuffer(this.ctx, `timestamps ${k}`, 16, 0x200 | 0x4) : null,
        bgScratch: null,
        bgPora: [],
      });
    }
    this.chunks = chunks;
  }

  bind(slot: Slot, masks: GPUBuffer, dataChunks: GPUBuffer[]): void {
    const d = this.ctx.device;
    const entries = (buffers: GPUBuffer[]) => buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    slot.bgScratch = d.createBindGroup({
      label: 'scratchpad',
      layout: this.scratchLayout,
      entries: entries([slot.padParams, slot.padSeeds, slot.pads, slot.recall, slot.items, slot.counters, masks]),
    });
    slot.bgPora = dataChunks.map((data, c) =>
      d.createBindGroup({
        label: `pora chunk ${c}`,
        layout: this.poraLayout,
        entries: entries([slot.poraParams[c]!, slot.pads, slot.padSeeds, slot.items, slot.counters, masks, data, slot.hits]),
      })
    );
  }

  /** PoraParams of every chunk pass of `slot`; chunk c's masks start at c * loadsPerChunk. */
  writePoraParams(slot: Slot, jc: JobConsts, chunks: number, loadsPerChunk: number): void {
    for (let c = 0; c < chunks; c++)
      this.ctx.device.queue.writeBuffer(slot.poraParams[c]!, 0, poraParams(jc, c, this.cfg.batch, c * loadsPerChunk, slot.hitCap));
  }

  // Timestamps are written on the resident path only: a streaming batch has host work between
  // its passes, which would count as GPU time.
  encodeScratchpad(enc: GPUCommandEncoder, slot: Slot, count: number, pipeline: GPUComputePipeline, stamp = true): void {
    const pass = enc.beginComputePass(
      slot.query && stamp ? { timestampWrites: { querySet: slot.query, beginningOfPassWriteIndex: 0 } } : {}
    );
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, slot.bgScratch!);
    const [x, y] = grid(count, this.kernels.opts.workgroupSize, this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  async encodePora(enc: GPUCommandEncoder, slot: Slot, chunks: number, stamp = true): Promise<void> {
    const pipeline = await this.poraPipeline();
    const groups = Math.min(this.cfg.batch, this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535);
    for (let c = 0; c < chunks; c++) {
      const last = c === chunks - 1;
      const pass = enc.beginComputePass(
        slot.query && last && stamp ? { timestampWrites: { querySet: slot.query, endOfPassWriteIndex: 1 } } : {}
      );
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, slot.bgPora[c]!);
      pass.dispatchWorkgroups(groups);
      pass.end();
    }
  }

  encodeReadback(enc: GPUCommandEncoder, slot: Slot, chunks: number, stamp = true): void {
    const cb = this.countersBytes(chunks);
    const hb = HITS_HEADER + slot.hitCap * HIT_WORDS * 4;
    enc.copyBufferToBuffer(slot.counters, 0, slot.staging, 0, cb);
    enc.copyBufferToBuffer(slot.hits, 0, slot.staging, cb, hb);
    if (slot.query && slot.resolve && stamp) {
      enc.resolveQuerySet(slot.query, 0, 2, slot.resolve, 0);
      enc.copyBufferToBuffer(slot.resolve, 0, slot.staging, cb + hb, 16);
    }
  }

  /** Re-runs only the pora passes of `slot` (its pads and work lists are intact) and maps the staging buffer. */
  async rerunPora(slot: Slot, chunks: number, stamp = true): Promise<void> {
    const enc = this.ctx.device.createCommandEncoder();
    enc.clearBuffer(slot.hits, 0, 16);
    await this.encodePora(enc, slot, chunks, stamp);
    this.encodeReadback(enc, slot, chunks, stamp);
    this.ctx.device.queue.submit([enc.finish()]);
    await slot.staging.mapAsync(GPUMapMode.READ);
  }

  growHits(slot: Slot, cap: number): void {
    slot.hits.destroy();
    slot.staging.destroy();
    slot.hitCap = cap;
    const hb = HITS_HEADER + cap * HIT_WORDS * 4;
    slot.hits = makeBuffer(this.ctx, 'hits (grown)', hb, STORAGE);
    slot.staging = makeBuffer(this.ctx, 'staging (grown)', this.countersBytes(this.chunks) + hb + 16, READBACK);
  }

  /**
   * Reads a mapped staging buffer; on overflow grows the hit buffer (`grow` rebinds) and re-runs
   * the pora passes.
   */
  async collect(slot: Slot, chunks: number, stats: SearchStats, count: number, grow: (cap: number) => void, stamped = true): Promise<RawHit[]> {
    const cb = this.countersBytes(chunks);
    let words = new Uint32Array(slot.staging.getMappedRange().slice(0));
    slot.staging.unmap();
    const held = words[0]!;
    stats.nonces += count;
    stats.skipped += count - held;
    stats.sealHashes += words[1]!;
    let n = words[cb / 4]!;
    if (n > slot.hitCap) {
      this.cfg.log(`gpu: ${n} hits overflowed the hit buffer (${slot.hitCap}); re-running the pora pass with room for ${n}`);
      grow(n);
      await this.rerunPora(slot, chunks, stamped);
      words = new Uint32Array(slot.staging.getMappedRange().slice(0));
      slot.staging.unmap();
      n = words[cb / 4]!;
      if (n > slot.hitCap) throw new MinerError('GPU_VALIDATION', `GPU hit count changed between identical passes (${n} > ${slot.hitCap})`);
    }
    const hb = HITS_HEADER + slot.hitCap * HIT_WORDS * 4;
    if (slot.query && stamped) {
      const t = new BigUint64Array(words.buffer, cb + hb, 2);
      if (t[1]! > t[0]!) this.gpuSeconds += Number(t[1]! - t[0]!) / 1e9;
    }
    return parseHits(words, cb, n);
  }
}
