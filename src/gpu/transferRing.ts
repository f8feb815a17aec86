/**
 * Host memory ⇄ GPU streaming through a reusable ring of mapped staging buffers (webgpu-samples'
 * spare-buffer habit, ethminer's streams): each slot owns an upload buffer (MAP_WRITE |
 * COPY_SRC) and a download buffer (MAP_READ | COPY_DST), made once. A batch is written straight
 * into a mapped upload buffer, copied to device memory, processed and copied back in one submit;
 * while the GPU works on it the host already fills the next slot, so with several slots the
 * transfers, the kernel and the host copies overlap. Nothing is allocated per batch.
 *
 * Batch sealing (gpuBackend `seal()`) and erasure coding (ecCoder.ts) both stream through it.
 */
import { withErrorScope, type GpuContext } from './device.js';

const MAP_READ = 0x1;
const MAP_WRITE = 0x2;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;

export interface RingSlot {
  readonly index: number;
  readonly upload: GPUBuffer;
  readonly download: GPUBuffer;
}

export interface RingJob<J> {
  /** Writes batch `job` into the mapped upload range (`bytes` long, as `uploadBytes(job)` said). */
  fill(job: J, upload: Uint8Array, slot: RingSlot): void;
  /** Bytes of the upload buffer `job` uses (a multiple of 4). */
  uploadBytes(job: J): number;
  /** Records the copies in, the kernels and the copy out to `slot.download`. */
  encode(job: J, enc: GPUCommandEncoder, slot: RingSlot): void;
  /** Bytes of the download buffer `job` fills (a multiple of 4). */
  downloadBytes(job: J): number;
  /** Reads the results out of the mapped download range. */
  drain(job: J, download: Uint8Array, slot: RingSlot): void;
}

interface SlotState extends RingSlot {
  /** Resolves when the upload buffer is mapped again and the previous batch was drained. */
  free: Promise<void>;
}

export class TransferRing {
  readonly slotBytes: number;
  readonly downloadSlotBytes: number;
  private readonly ctx: GpuContext;
  private readonly slots: SlotState[];
  private next = 0;
  private destroyed = false;

  constructor(ctx: GpuContext, opts: { label: string; slots: number; uploadBytes: number; downloadBytes: number }) {
    this.ctx = ctx;
    this.slotBytes = align4(opts.uploadBytes);
    this.downloadSlotBytes = align4(opts.downloadBytes);
    this.slots = Array.from({ length: Math.max(1, opts.slots) }, (_, index) => ({
      index,
      upload: ctx.device.createBuffer({ label: `${opts.label} upload ${index}`, size: this.slotBytes, usage: MAP_WRITE | COPY_SRC, mappedAtCreation: true }),
      download: ctx.device.createBuffer({ label: `${opts.label} download ${index}`, size: this.downloadSlotBytes, usage: MAP_READ | COPY_DST }),
      free: Promise.resolve(),
    }));
  }

  get slotCount(): number {
    return this.slots.length;
  }

  /**
   * Streams `jobs` through the ring in order, up to one per slot in flight; resolves when every
   * job has been drained. Errors (validation, lost device) reject it as MinerErrors.
   */
  run<J>(what: string, jobs: Iterable<J>, h: RingJob<J>): Promise<void> {
    return withErrorScope(this.ctx, what, async () => {
      const inFlight: Promise<void>[] = [];
      try {
        for (const job of jobs) inFlight.push((await this.submit(what, job, h)).done);
        await Promise.all(inFlight);
      } catch (e) {
        // Let the batches already queued finish before the caller sees the error: they write
        // into the caller's buffers.
        await Promise.allSettled(inFlight);
        throw e;
      }
    });
  }

  /**
   * Fills the next free slot with `job` and submits it; resolves once submitted, with `done` for
   * its completion (wrapped: an async function returning the bare promise would wait for it).
   */
  private async submit<J>(what: string, job: J, h: RingJob<J>): Promise<{ done: Promise<void> }> {
    const slot = this.slots[this.next]!;
    this.next = (this.next + 1) % this.slots.length;
    await slot.free;
    if (this.destroyed) throw new Error('transfer ring destroyed');
    const up = h.uploadBytes(job);
    const down = h.downloadBytes(job);
    if (up > this.slotBytes || down > this.downloadSlotBytes)
      throw new RangeError(`${what}: batch of ${up}/${down} bytes exceeds the ring slot (${this.slotBytes}/${this.downloadSlotBytes})`);
    // The upload buffer is mapped whenever the slot is free (mappedAtCreation, then re-mapped
    // below); a failure before the submit unmaps and re-maps it, so its next user starts clean.
    let unmapped = false;
    try {
      h.fill(job, new Uint8Array(slot.upload.getMappedRange(0, this.slotBytes), 0, up), slot);
      slot.upload.unmap();
      unmapped = true;
      const enc = this.ctx.device.createCommandEncoder({ label: what });
      h.encode(job, enc, slot);
      this.ctx.device.queue.submit([enc.finish()]);
    } catch (e) {
      if (!unmapped) slot.upload.unmap();
      slot.free = slot.upload.mapAsync(MAP_WRITE).catch(() => undefined);
      throw e;
    }
    const done = Promise.all([
      slot.upload.mapAsync(MAP_WRITE),
      down > 0 ? slot.download.mapAsync(MAP_READ, 0, align4(down)) : Promise.resolve(),
    ]).then(() => {
      if (down > 0) {
        try {
          h.drain(job, new Uint8Array(slot.download.getMappedRange(0, align4(down)), 0, down), slot);
        } finally {
          slot.download.unmap();
        }
      }
    });
    // The slot is free again once both maps resolved and the results are out; a failure leaves it
    // free too (the error reaches the caller through `done`).
    slot.free = done.catch(() => undefined);
    return { done };
  }

  destroy(): void {
    this.destroyed = true;
    for (const s of this.slots) {
      s.upload.destroy();
      s.download.destroy();
    }
  }
}

export function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
