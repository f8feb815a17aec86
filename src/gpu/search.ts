/**
 * The GPU PoRA search loop. Per batch of nonces: the scratchpad kernel (pad seed, pad, recall,
 * prefilter), then one pora pass per GPU data chunk over that chunk's work list; only the hit
 * buffer and a few counters come back. Several batches are in flight on a ring of slots (each
 * slot owns its buffers and its staging buffer), so the host re-checks batch k while the GPU runs
 * batch k+1. Non-resident sources use a streaming path: the recall results come back, the host
 * reads the held loads and uploads them for the pora pass.
 */
import { BYTES_PER_LOAD, UINT64_MAX } from '../spec.js';
import { MinerError } from '../errors.js';
import type { Hit, LoadSource, MineJob, NonceRange, SearchResult, SearchStats } from '../backend/backend.js';
import { withErrorScope, type GpuContext } from './device.js';
import { grid, makeBuffer, READBACK, STORAGE, UNIFORM, uploadBytes, type Kernels } from './kernels.js';
import { hostLoad, uploadMasks, uploadResidency, type GpuResidency } from './residency.js';
import { jobConsts, padParams, poraParams, PAD_PARAMS_BYTES, PORA_PARAMS_BYTES, type JobConsts } from './jobParams.js';
import { HIT_WORDS, HITS_HEADER, parseHits, recheckHit, type RawHit } from './hits.js';


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

interface Slot {
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

export class GpuSearcher {
  gpuSeconds = 0;
  private readonly ctx: GpuContext;
  private readonly kernels: Kernels;
  readonly cfg: SearchConfig;
  private slots: Slot[] = [];
  private slotChunks = -1;
  private residency: GpuResidency | null = null;
  private dummy: GPUBuffer | null = null;
  private stream: { masks: GPUBuffer; data: GPUBuffer; staging: GPUBuffer } | null = null;
  private readonly timestamps: boolean;

  constructor(ctx: GpuContext, kernels: Kernels, cfg: SearchConfig) {
    this.ctx = ctx;
    this.kernels = kernels;
    this.cfg = cfg;
    this.timestamps = ctx.device.features.has('timestamp-query');
  }

  destroy(): void {
    this.freeSlots();
    this.residency?.destroy();
    this.residency = null;
    this.dummy?.destroy();
    if (this.stream) for (const b of Object.values(this.stream)) b.destroy();
    this.stream = null;
  }

  private freeSlots(): void {
    for (const s of this.slots) {
      for (const b of [s.padParams, ...s.poraParams, s.padSeeds, s.pads, s.recall, s.items, s.counters, s.hits, s.staging]) b.destroy();
      s.query?.destroy();
      s.resolve?.destroy();
    }
    this.slots = [];
  }

  private countersBytes(chunks: number): number {
    return Math.ceil(((2 + chunks) * 4) / 16) * 16;
  }

  private ensureSlots(chunks: number): void {
    if (this.slotChunks === chunks && this.slots.length > 0) return;
    this.freeSlots();
    const B = this.cfg.batch;
    for (let k = 0; k < this.cfg.inFlight; k++) {
      const counters = makeBuffer(this.ctx, `counters ${k}`, this.countersBytes(chunks), STORAGE);
      const hitsBytes = HITS_HEADER + this.cfg.hitCap * HIT_WORDS * 4;
      this.slots.push({
        padParams: makeBuffer(this.ctx, `pad params ${k}`, PAD_PARAMS_BYTES, UNIFORM),
        poraParams: Array.from({ length: chunks }, (_, c) => makeBuffer(this.ctx, `pora params ${k}.${c}`, PORA_PARAMS_BYTES, UNIFORM)),
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
    this.slotChunks = chunks;
  }

  private dummyBuffer(): GPUBuffer {
    this.dummy ??= makeBuffer(this.ctx, 'empty', 16, STORAGE);
    return this.dummy;
  }

  private async bindSlot(slot: Slot, masks: GPUBuffer, dataChunks: GPUBuffer[]): Promise<void> {
    const sp = await this.kernels.scratchpad();
    const po = await this.kernels.pora();
    const d = this.ctx.device;
    slot.bgScratch = d.createBindGroup({
      layout: sp.getBindGroupLayout(0),
      entries: [slot.padParams, slot.padSeeds, slot.pads, slot.recall, slot.items, slot.counters, masks].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
    slot.bgPora = dataChunks.map((data, c) =>
      d.createBindGroup({
        layout: po.getBindGroupLayout(0),
        entries: [slot.poraParams[c]!, slot.pads, slot.padSeeds, slot.items, slot.counters, masks, data, slot.hits].map(
          (buffer, binding) => ({ binding, resource: { buffer } })
        ),
      })
    );
  }

  /** PoraParams of every chunk pass of `slot`; chunk c's masks start at c * loadsPerChunk. */
  private writePoraParams(slot: Slot, jc: JobConsts, chunks: number, loadsPerChunk: number): void {
    for (let c = 0; c < chunks; c++)
      this.ctx.device.queue.writeBuffer(slot.poraParams[c]!, 0, poraParams(jc, c, this.cfg.batch, c * loadsPerChunk, slot.hitCap));
  }

  async search(job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult> {
    const jc = jobConsts(job, nonces);
    const stats: SearchStats = { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 };
    const hits: Hit[] = [];
    if (nonces.count <= 0) return { hits, stats };
    return withErrorScope(this.ctx, 'search', async () => {
      if (data.resident) await this.searchResident(jc, nonces, data, stats, hits, signal);
      else await this.searchStreaming(jc, nonces, data, stats, hits, signal);
      return { hits, stats };
    });
  }

  // ---- resident path ------------------------------------------------------------------------

  private async searchResident(
    jc: JobConsts,
    nonces: NonceRange,
    data: LoadSource,
    stats: SearchStats,
    hits: Hit[],
    signal?: AbortSignal
  ): Promise<void> {
    const src = data.resident!;
    // The GPU copy of the loads is keyed by the ResidentLoads object: a caller whose load bytes
    // change (new seals) passes a new object; masks are re-uploaded on every search.
    if (!this.residency || this.residency.source !== src) {
      this.residency?.destroy();
      this.residency = uploadResidency(this.ctx, src, this.cfg.loadsPerBinding);
      this.slotChunks = -1; // bind groups name the data buffers
    }
    const res = this.residency;
    uploadMasks(this.ctx, res);
    const chunks = Math.max(1, res.chunks.length);
    this.ensureSlots(chunks);
    const lo = src.firstLoad - jc.startLoad;
    const hi = lo + BigInt(src.loadCount) - 1n;
    const window = {
      lo: lo < 0n ? 0n : lo,
      hi: hi > UINT64_MAX ? UINT64_MAX : hi,
      delta: (jc.startLoad - src.firstLoad) & UINT64_MAX,
      perChunk: res.loadsPerChunk,
    };
    if (src.loadCount === 0 || hi < 0n || lo > UINT64_MAX) window.hi = -1n;
    for (const slot of this.slots) {
      await this.bindSlot(slot, res.chunks.length > 0 ? res.masks : this.dummyBuffer(), res.chunks.length > 0 ? res.chunks : [this.dummyBuffer()]);
      this.writePoraParams(slot, jc, chunks, res.loadsPerChunk);
    }
    const encodeBatch = async (slot: Slot, start: bigint, count: number) => {
      this.ctx.device.queue.writeBuffer(slot.padParams, 0, padParams(jc, start, count, this.cfg.batch, window.hi >= window.lo ? window : null));
      const enc = this.ctx.device.createCommandEncoder();
      enc.clearBuffer(slot.counters);
      enc.clearBuffer(slot.hits, 0, 16);
      this.encodeScratchpad(enc, slot, count, await this.kernels.scratchpad());
      await this.encodePora(enc, slot, chunks);
      this.encodeReadback(enc, slot, chunks);
      this.ctx.device.queue.submit([enc.finish()]);
      // Wrapped so awaiting the encode does not wait for the GPU.
      return { done: slot.staging.mapAsync(GPUMapMode.READ) };
    };

    const queue: { slot: Slot; start: bigint; count: number; done: Promise<undefined> }[] = [];
    let next = 0;
    let free = [...this.slots];
    const finish = async () => {
      const b = queue.shift()!;
      await b.done;
      const raw = await this.collect(b.slot, chunks, stats, b.count, async () => {
        // Overflow: the pads and work lists are intact, so re-run only the pora passes.
        const enc = this.ctx.device.createCommandEncoder();
        enc.clearBuffer(b.slot.hits, 0, 16);
        await this.encodePora(enc, b.slot, chunks);
        this.encodeReadback(enc, b.slot, chunks);
        this.ctx.device.queue.submit([enc.finish()]);
        await b.slot.staging.mapAsync(GPUMapMode.READ);
      }, async (cap) => {
        this.growHits(b.slot, cap);
        await this.bindSlot(b.slot, res.chunks.length > 0 ? res.masks : this.dummyBuffer(), res.chunks.length > 0 ? res.chunks : [this.dummyBuffer()]);
        this.writePoraParams(b.slot, jc, chunks, res.loadsPerChunk);
      });
      raw.sort((a, b2) => a.nonceIdx - b2.nonceIdx);
      for (const h of raw) {
        const rel = h.chunk * res.loadsPerChunk + h.slot;
        const loadIndex = src.firstLoad + BigInt(rel);
        const loadBytes = rel < src.loadCount ? hostLoad(src, rel) : null;
        recheckHit(jc, nonces, b.start, h, loadIndex, loadBytes, data.availability(loadIndex), stats, hits, this.cfg.log);
      }
      free.push(b.slot);
    };
    while (next < nonces.count) {
      if (signal?.aborted) break;
      if (free.length === 0) await finish();
      const slot = free.shift()!;
      const count = Math.min(this.cfg.batch, nonces.count - next);
      const start = nonces.start + BigInt(next);
      queue.push({ slot, start, count, done: (await encodeBatch(slot, start, count)).done });
      next += count;
    }
    while (queue.length > 0) await finish();
    free = [];
  }

  // Timestamps are written on the resident path only: a streaming batch has host work between
  // its passes, which would count as GPU time.
  private encodeScratchpad(enc: GPUCommandEncoder, slot: Slot, count: number, pipeline: GPUComputePipeline, stamp = true): void {
    const pass = enc.beginComputePass(
      slot.query && stamp ? { timestampWrites: { querySet: slot.query, beginningOfPassWriteIndex: 0 } } : {}
    );
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, slot.bgScratch!);
    const [x, y] = grid(count, this.kernels.opts.workgroupSize, this.ctx.limits.maxComputeWorkgroupsPerDimension ?? 65535);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  private async encodePora(enc: GPUCommandEncoder, slot: Slot, chunks: number, stamp = true): Promise<void> {
    const pipeline = await this.kernels.pora();
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

  private encodeReadback(enc: GPUCommandEncoder, slot: Slot, chunks: number, stamp = true): void {
    const cb = this.countersBytes(chunks);
    const hb = HITS_HEADER + slot.hitCap * HIT_WORDS * 4;
    enc.copyBufferToBuffer(slot.counters, 0, slot.staging, 0, cb);
    enc.copyBufferToBuffer(slot.hits, 0, slot.staging, cb, hb);
    if (slot.query && slot.resolve && stamp) {
      enc.resolveQuerySet(slot.query, 0, 2, slot.resolve, 0);
      enc.copyBufferToBuffer(slot.resolve, 0, slot.staging, cb + hb, 16);
    }
  }

  private growHits(slot: Slot, cap: number): void {
    slot.hits.destroy();
    slot.staging.destroy();
    slot.hitCap = cap;
    const hb = HITS_HEADER + cap * HIT_WORDS * 4;
    slot.hits = makeBuffer(this.ctx, 'hits (grown)', hb, STORAGE);
    slot.staging = makeBuffer(this.ctx, 'staging (grown)', this.countersBytes(this.slotChunks) + hb + 16, READBACK);
  }

  /** Reads a mapped staging buffer; on overflow grows the hit buffer and re-runs the pora passes. */
  private async collect(
    slot: Slot,
    chunks: number,
    stats: SearchStats,
    count: number,
    rerun: () => Promise<void>,
    grow: (cap: number) => Promise<void>,
    stamped = true
  ): Promise<RawHit[]> {
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
      await grow(n);
      await rerun();
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

  // ---- streaming path -----------------------------------------------------------------------

  private ensureStream(): NonNullable<GpuSearcher['stream']> {
    if (!this.stream) {
      const L = this.cfg.streamLoads;
      this.stream = {
        masks: makeBuffer(this.ctx, 'stream masks', L * 8, STORAGE),
        data: makeBuffer(this.ctx, 'stream loads', L * BYTES_PER_LOAD, STORAGE),
        staging: makeBuffer(this.ctx, 'stream recall', this.cfg.batch * 16, READBACK),
      };
    }
    return this.stream;
  }

  private async searchStreaming(
    jc: JobConsts,
    nonces: NonceRange,
    data: LoadSource,
    stats: SearchStats,
    hits: Hit[],
    signal?: AbortSignal
  ): Promise<void> {
    this.ensureSlots(1);
    const slot = this.slots[0]!;
    const st = this.ensureStream();
    await this.bindSlot(slot, st.masks, [st.data]);
    this.writePoraParams(slot, jc, 1, 0);
    const sp = await this.kernels.scratchpad();
    for (let next = 0; next < nonces.count; ) {
      if (signal?.aborted) break;
      const count = Math.min(this.cfg.batch, nonces.count - next);
      const start = nonces.start + BigInt(next);
      next += count;
      this.ctx.device.queue.writeBuffer(slot.padParams, 0, padParams(jc, start, count, this.cfg.batch, null));
      let enc = this.ctx.device.createCommandEncoder();
      this.encodeScratchpad(enc, slot, count, sp, false);
      enc.copyBufferToBuffer(slot.recall, 0, st.staging, 0, count * 16);
      this.ctx.device.queue.submit([enc.finish()]);
      await st.staging.mapAsync(GPUMapMode.READ, 0, count * 16);
      const rec = new Uint32Array(st.staging.getMappedRange(0, count * 16).slice(0));
      st.staging.unmap();
      stats.nonces += count;
      // Group held nonces by recalled load.
      const byLoad = new Map<bigint, { mask: bigint; nonces: number[] }>();
      let held = 0;
      for (let i = 0; i < count; i++) {
        if (rec[4 * i + 2] !== 1) continue;
        const co = BigInt(rec[4 * i]!) | (BigInt(rec[4 * i + 1]!) << 32n);
        const L = jc.startLoad + co;
        let e = byLoad.get(L);
        if (!e) {
          e = { mask: data.availability(L), nonces: [] };
          byLoad.set(L, e);
        }
        if (e.mask === 0n) continue;
        e.nonces.push(i);
        held++;
        stats.sealHashes += popcount64(e.mask);
      }
      stats.skipped += count - held;
      const loads = [...byLoad.entries()].filter(([, e]) => e.mask !== 0n);
      const batchHits: { h: RawHit; L: bigint; bytes: Uint8Array; mask: bigint }[] = [];
      for (let g = 0; g < loads.length; g += this.cfg.streamLoads) {
        const group = loads.slice(g, g + this.cfg.streamLoads);
        const bytes = await Promise.all(group.map(([L]) => data.read(L)));
        const masks = new BigUint64Array(group.length);
        const items: number[] = [];
        group.forEach(([, e], s) => {
          masks[s] = e.mask;
          for (const i of e.nonces) items.push(i, s);
          uploadBytes(this.ctx, st.data, s * BYTES_PER_LOAD, bytes[s]!);
        });
        this.ctx.device.queue.writeBuffer(st.masks, 0, masks);
        this.ctx.device.queue.writeBuffer(slot.items, 0, new Uint32Array(items));
        this.ctx.device.queue.writeBuffer(slot.counters, 8, new Uint32Array([items.length / 2]));
        enc = this.ctx.device.createCommandEncoder();
        enc.clearBuffer(slot.hits, 0, 16);
        await this.encodePora(enc, slot, 1, false);
        this.encodeReadback(enc, slot, 1, false);
        this.ctx.device.queue.submit([enc.finish()]);
        await slot.staging.mapAsync(GPUMapMode.READ);
        const noStats: SearchStats = { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 };
        const raw = await this.collect(slot, 1, noStats, 0, async () => {
          const e2 = this.ctx.device.createCommandEncoder();
          e2.clearBuffer(slot.hits, 0, 16);
          await this.encodePora(e2, slot, 1, false);
          this.encodeReadback(e2, slot, 1, false);
          this.ctx.device.queue.submit([e2.finish()]);
          await slot.staging.mapAsync(GPUMapMode.READ);
        }, async (cap) => {
          this.growHits(slot, cap);
          await this.bindSlot(slot, st.masks, [st.data]);
          this.writePoraParams(slot, jc, 1, 0);
        }, false);
        for (const h of raw) {
          const [L, e] = group[h.slot] ?? [-1n, { mask: 0n }];
          batchHits.push({ h, L, bytes: bytes[h.slot] ?? new Uint8Array(0), mask: e.mask });
        }
      }
      batchHits.sort((a, b) => a.h.nonceIdx - b.h.nonceIdx);
      for (const x of batchHits) {
        recheckHit(jc, nonces, start, x.h, x.L, x.bytes.length === BYTES_PER_LOAD ? x.bytes : null, x.mask, stats, hits, this.cfg.log);
      }
    }
  }
}

function popcount64(x: bigint): number {
  let n = 0;
  for (let v = x; v > 0n; v &= v - 1n) n++;
  return n;
}
