/**
 * The GPU PoRA search. Per batch of nonces: the scratchpad kernel (pad seed, pad, recall,
 * prefilter), then one pora pass per GPU data chunk over that chunk's work list; only the hit
 * buffer and a few counters come back. Loads held in shared memory take the resident path
 * (searchResident.ts: uploaded once, several batches in flight on the slots of searchSlots.ts);
 * any other source takes the streaming path (searchStreaming.ts: recalled loads read by the host
 * and uploaded per batch). This class keeps what outlives a search: slots, the resident copy,
 * the streaming buffers.
 */
import type { Hit, LoadSource, MineJob, NonceRange, SearchResult, SearchStats } from '../backend/backend.js';
import { withErrorScope, type GpuContext } from './device.js';
import { makeBuffer, STORAGE, type Kernels } from './kernels.js';
import { jobConsts } from './jobParams.js';
import { SearchSlots, type SearchConfig } from './searchSlots.js';
import { searchResident, type ResidentState } from './searchResident.js';
import { makeStreamBuffers, searchStreaming, type StreamBuffers } from './searchStreaming.js';

export type { SearchConfig } from './searchSlots.js';

export class GpuSearcher {
  readonly cfg: SearchConfig;
  private readonly ctx: GpuContext;
  private readonly slots: SearchSlots;
  private readonly resident: ResidentState;
  private dummy: GPUBuffer | null = null;
  private stream: StreamBuffers | null = null;

  constructor(ctx: GpuContext, kernels: Kernels, cfg: SearchConfig) {
    this.ctx = ctx;
    this.cfg = cfg;
    this.slots = new SearchSlots(ctx, kernels, cfg);
    this.resident = {
      residency: null,
      empty: () => {
        this.dummy ??= makeBuffer(this.ctx, 'empty', 16, STORAGE);
        return this.dummy;
      },
    };
  }

  /** Kernel seconds summed from timestamp queries (resident path). */
  get gpuSeconds(): number {
    return this.slots.gpuSeconds;
  }

  destroy(): void {
    this.slots.free();
    this.resident.residency?.destroy();
    this.resident.residency = null;
    this.dummy?.destroy();
    if (this.stream) for (const b of Object.values(this.stream)) b.destroy();
    this.stream = null;
  }

  async search(job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult> {
    const jc = jobConsts(job, nonces);
    const stats: SearchStats = { nonces: 0, sealHashes: 0, skipped: 0, rejected: 0 };
    const hits: Hit[] = [];
    if (nonces.count <= 0) return { hits, stats };
    return withErrorScope(this.ctx, 'search', async () => {
      const run = { jc, nonces, data, stats, hits, signal };
      if (data.resident) await searchResident(this.ctx, this.slots, this.resident, run);
      else {
        this.stream ??= makeStreamBuffers(this.ctx, this.cfg.streamLoads, this.cfg.batch);
        await searchStreaming(this.ctx, this.slots, this.stream, run);
      }
      return { hits, stats };
    });
  }
}
