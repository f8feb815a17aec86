/**
 * The streaming search path, for loads that are not resident: per batch the scratchpad kernel's
 * recall results come back, the host reads the recalled held loads (grouped by load) and uploads
 * them `streamLoads` at a time for the pora pass over exactly those nonces.
 */
import { BYTES_PER_LOAD } from '../spec.js';
import type { SearchStats } from '../backend/backend.js';
import type { GpuContext } from './device.js';
import { makeBuffer, READBACK, STORAGE, uploadBytes } from './kernels.js';
import { padParams } from './jobParams.js';
import { recheckHit, type RawHit } from './hits.js';
import type { SearchRun, SearchSlots } from './searchSlots.js';

/** The upload buffers of the streaming path, made on first use and kept. */
export interface StreamBuffers {
  masks: GPUBuffer;
  data: GPUBuffer;
  staging: GPUBuffer;
}

export function makeStreamBuffers(ctx: GpuContext, loads: number, batch: number): StreamBuffers {
  return {
    masks: makeBuffer(ctx, 'stream masks', loads * 8, STORAGE),
    data: makeBuffer(ctx, 'stream loads', loads * BYTES_PER_LOAD, STORAGE),
    staging: makeBuffer(ctx, 'stream recall', batch * 16, READBACK),
  };
}

function popcount64(x: bigint): number {
  let n = 0;
  for (let v = x; v > 0n; v &= v - 1n) n++;
  return n;
}

export async function searchStreaming(
  ctx: GpuContext,
  ss: SearchSlots,
  st: StreamBuffers,
  run: SearchRun
): Promise<void> {
  const { jc, nonces, data, stats, hits, signal } = run;
  ss.ensure(1);
  const slot = ss.slots[0]!;
  const bind = (): void => {
    ss.bind(slot, st.masks, [st.data]);
    ss.writePoraParams(slot, jc, 1, 0);
  };
  bind();
  const sp = await ss.scratchpadPipeline();
  const per = ss.cfg.streamLoads;
  for (let next = 0; next < nonces.count; ) {
    if (signal?.aborted) break;
    const count = Math.min(ss.cfg.batch, nonces.count - next);
    const start = nonces.start + BigInt(next);
    next += count;
    ctx.device.queue.writeBuffer(slot.padParams, 0, padParams(jc, start, count, ss.cfg.batch, null));
    let enc = ctx.device.createCommandEncoder();
    ss.encodeScratchpad(enc, slot, count, sp, false);
    enc.copyBufferToBuffer(slot.recall, 0, st.staging, 0, count * 16);
    ctx.device.queue.submit([enc.finish()]);
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
    for (let g = 0; g < loads.length; g += per) {
      const group = loads.slice(g, g + per);
      const bytes = await Promise.all(group.map(([L]) => data.read(L)));
      const masks = new BigUint64Array(group.length);
      const items: number[] = [];
      group.forEach(([, e], s) => {
        masks[s] = e.mask;
        for (const i of e.nonces) items.push(i, s);
        uploadBytes(ctx, st.data, s * BYTES_PER_LOAD, bytes[s]!);
      });
      ctx.device.queue.writeBuffer(st.masks, 0, masks);
      ctx.device.queue.writeBuffer(slot.items, 0, new Uint32Array(items));
      ctx.device.queue.writeBuffer(slot.counters, 8, new Uint32Array([items.length / 2]));
      enc = ctx.device.createCommandEncoder();
      enc.clearBuffer(slot.hits, 0, 16);
      await ss.encodePora(enc, slot, 1, false);
      ss.encodeReadback(enc, slot, 1, false);
      ctx.device.queue.submit([enc.finish()]);
      await slot.staging.mapAsync(GPUMapMode.READ);
      const noStats: SearchStats = { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 };
      const raw = await ss.collect(slot, 1, noStats, 0, (cap) => {
        ss.growHits(slot, cap);
        bind();
      }, false);
      for (const h of raw) {
        const [L, e] = group[h.slot] ?? [-1n, { mask: 0n }];
        batchHits.push({ h, L, bytes: bytes[h.slot] ?? new Uint8Array(0), mask: e.mask });
      }
    }
    batchHits.sort((a, b) => a.h.nonceIdx - b.h.nonceIdx);
    for (const x of batchHits) {
      recheckHit(jc, nonces, start, x.h, x.L, x.bytes.length === BYTES_PER_LOAD ? x.bytes : null, x.mask, stats, hits, ss.cfg.log);
    }
  }
}
