/**
 * The resident search path: every held load is in GPU memory (residency.ts), so a batch is one
 * submit (scratchpad with the recall prefilter, one pora pass per GPU chunk, copy of counters and
 * hits) and only the hit buffer comes back. Up to `inFlight` batches run on the ring of slots, so
 * the host re-checks batch k while the GPU runs batch k+1.
 */
import { UINT64_MAX } from '../spec.js';
import type { GpuContext } from './device.js';
import { hostLoad, uploadMasks, uploadResidency, type GpuResidency } from './residency.js';
import { padParams, type JobConsts, type ResidentWindow } from './jobParams.js';
import { recheckHit } from './hits.js';
import type { SearchRun, SearchSlots, Slot } from './searchSlots.js';

export interface ResidentState {
  residency: GpuResidency | null;
  /** A 16-byte buffer bound in place of masks and data when nothing is resident. */
  empty: () => GPUBuffer;
}

/** Which chunk offsets of the job recall a resident load (hi < lo: none). */
function residentWindow(jc: JobConsts, firstLoad: bigint, loadCount: number, perChunk: number): ResidentWindow {
  const lo = firstLoad - jc.startLoad;
  const hi = lo + BigInt(loadCount) - 1n;
  const w = { lo: lo < 0n ? 0n : lo, hi: hi > UINT64_MAX ? UINT64_MAX : hi, delta: (jc.startLoad - firstLoad) & UINT64_MAX, perChunk };
  if (loadCount === 0 || hi < 0n || lo > UINT64_MAX) w.hi = -1n;
  return w;
}

export async function searchResident(
  ctx: GpuContext,
  ss: SearchSlots,
  state: ResidentState,
  run: SearchRun
): Promise<void> {
  const { jc, nonces, data, stats, hits, signal } = run;
  const src = data.resident!;
  // The GPU copy of the loads is keyed by the ResidentLoads object: a caller whose load bytes
  // change (new seals) passes a new object; masks are re-uploaded on every search.
  if (!state.residency || state.residency.source !== src) {
    state.residency?.destroy();
    state.residency = uploadResidency(ctx, src, ss.cfg.loadsPerBinding);
    ss.chunks = -1; // bind groups name the data buffers
  }
  const res = state.residency;
  uploadMasks(ctx, res);
  const chunks = Math.max(1, res.chunks.length);
  ss.ensure(chunks);
  const window = residentWindow(jc, src.firstLoad, src.loadCount, res.loadsPerChunk);
  const bind = (slot: Slot): void => {
    ss.bind(slot, res.chunks.length > 0 ? res.masks : state.empty(), res.chunks.length > 0 ? res.chunks : [state.empty()]);
    ss.writePoraParams(slot, jc, chunks, res.loadsPerChunk);
  };
  for (const slot of ss.slots) bind(slot);
  const scratchpad = await ss.scratchpadPipeline();

  const encodeBatch = async (slot: Slot, start: bigint, count: number): Promise<{ done: Promise<undefined> }> => {
    ctx.device.queue.writeBuffer(slot.padParams, 0, padParams(jc, start, count, ss.cfg.batch, window.hi >= window.lo ? window : null));
    const enc = ctx.device.createCommandEncoder();
    enc.clearBuffer(slot.counters);
    enc.clearBuffer(slot.hits, 0, 16);
    ss.encodeScratchpad(enc, slot, count, scratchpad);
    await ss.encodePora(enc, slot, chunks);
    ss.encodeReadback(enc, slot, chunks);
    ctx.device.queue.submit([enc.finish()]);
    // Wrapped so awaiting the encode does not wait for the GPU.
    return { done: slot.staging.mapAsync(GPUMapMode.READ) };
  };

  const queue: { slot: Slot; start: bigint; count: number; done: Promise<undefined> }[] = [];
  const free = [...ss.slots];
  const finish = async (): Promise<void> => {
    const b = queue.shift()!;
    await b.done;
    const raw = await ss.collect(b.slot, chunks, stats, b.count, (cap) => {
      ss.growHits(b.slot, cap);
      bind(b.slot);
    });
    raw.sort((a, b2) => a.nonceIdx - b2.nonceIdx);
    for (const h of raw) {
      const rel = h.chunk * res.loadsPerChunk + h.slot;
      const loadIndex = src.firstLoad + BigInt(rel);
      const loadBytes = rel < src.loadCount ? hostLoad(src, rel) : null;
      recheckHit(jc, nonces, b.start, h, loadIndex, loadBytes, data.availability(loadIndex), stats, hits, ss.cfg.log);
    }
    free.push(b.slot);
  };
  let next = 0;
  while (next < nonces.count) {
    if (signal?.aborted) break;
    if (free.length === 0) await finish();
    const slot = free.shift()!;
    const count = Math.min(ss.cfg.batch, nonces.count - next);
    const start = nonces.start + BigInt(next);
    queue.push({ slot, start, count, done: (await encodeBatch(slot, start, count)).done });
    next += count;
  }
  while (queue.length > 0) await finish();
}
