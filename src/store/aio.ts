/**
 * The optional native reader (src/native/aio.c): Linux AIO on O_DIRECT file descriptors, one
 * io_submit per read from the JS thread and one JS call per batch of completions, instead of a
 * libuv pool-thread round trip per read. `npm run build:native` builds it; when it is missing (no
 * compiler, not Linux, a failed build) `loadAio()` returns null and the loader keeps libuv reads.
 *
 * ZGMINER_AIO=0 turns it off (A/B measurements, or a kernel that refuses io_setup);
 * ZGMINER_AIO_ADDON=/path/zg_aio.node loads a build from elsewhere.
 */
import { constants as osConstants } from 'node:os';
import { loadNativeAddon } from '../nativeAddon.js';

interface AioAddon {
  open(depth: number, onBatch: (pairs: Int32Array) => void): object;
  submit(ring: object, fd: number, view: Uint8Array, position: number, tag: number): void;
  close(ring: object): void;
  alignedAlloc(bytes: number): ArrayBuffer;
  aligned(view: Uint8Array): boolean;
}

let cached: AioAddon | null | undefined;
/** Why the addon is not in use (null when it is). */
export let aioUnavailableReason: string | null = null;

/** The native addon, or null when it is unbuilt, unloadable or turned off. */
export function loadAio(): AioAddon | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env['ZGMINER_AIO'] === '0') {
    aioUnavailableReason = 'turned off by ZGMINER_AIO=0';
    return null;
  }
  if (process.platform !== 'linux') {
    aioUnavailableReason = 'Linux AIO needs Linux';
    return null;
  }
  const got = loadNativeAddon<AioAddon>('zg_aio', process.env['ZGMINER_AIO_ADDON']);
  cached = got.addon;
  aioUnavailableReason = got.addon === null ? got.reason : null;
  return cached;
}

/** One transparent huge page: the unit fresh loads are carved from (aio.c). */
const CHUNK = 2 << 20;

interface Pending {
  resolve: (bytes: number) => void;
  reject: (e: Error) => void;
  /** Holds the destination buffer until the kernel is done with it. */
  view: Uint8Array | null;
}

/**
 * One AIO context with `depth` slots. read() must not be called with more than `depth` reads
 * outstanding (the LoadReader's slot queue guarantees it) and only on O_DIRECT descriptors: on a
 * buffered one Linux runs the read inside io_submit, blocking the event loop.
 */
export class AioRing {
  readonly depth: number;
  readonly #addon: AioAddon;
  readonly #ring: object;
  readonly #pending: (Pending | null)[];
  readonly #freeTags: number[];
  #chunk: ArrayBuffer | null = null;
  #chunkUsed = 0;
  #closed = false;

  private constructor(addon: AioAddon, depth: number) {
    this.#addon = addon;
    this.depth = depth;
    this.#pending = new Array<Pending | null>(depth).fill(null);
    this.#freeTags = Array.from({ length: depth }, (_, i) => depth - 1 - i);
    this.#ring = addon.open(depth, (pairs) => this.#onBatch(pairs));
  }

  /** A ring, or null when the addon is unavailable or the kernel refuses a context (reason in aioUnavailableReason). */
  static open(depth: number): AioRing | null {
    const addon = loadAio();
    if (addon === null) return null;
    try {
      return new AioRing(addon, depth);
    } catch (e) {
      aioUnavailableReason = `io_setup refused (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
      return null;
    }
  }

  /** Page-aligned uninitialised memory, suitable as an O_DIRECT destination (huge pages for multiples of 2 MiB). */
  alignedAlloc(bytes: number): Uint8Array {
    return new Uint8Array(this.#addon.alignedAlloc(bytes));
  }

  /**
   * A fresh array of `bytes` for the caller to own, aligned for O_DIRECT. Fresh loads are carved
   * from 2 MiB huge-page chunks, 8 to a chunk: one external buffer (and GC finalizer) per 8 loads
   * instead of per load, which at thousands of loads a second was the main CPU cost of owned
   * reads. A chunk returns to the native pool once all its loads are collected. Huge pages also
   * matter to the disk: a 256 KiB read into physically contiguous memory is one segment, not 64
   * scattered pages (fresh 4 KiB-page buffers read at about half the MB/s on the measured VM).
   */
  freshArray(bytes: number): Uint8Array {
    if (CHUNK % bytes !== 0) return this.alignedAlloc(bytes);
    if (this.#chunk === null || this.#chunkUsed + bytes > CHUNK) {
      this.#chunk = this.#addon.alignedAlloc(CHUNK);
      this.#chunkUsed = 0;
    }
    const out = new Uint8Array(this.#chunk, this.#chunkUsed, bytes);
    this.#chunkUsed += bytes;
    return out;
  }

  /** Whether `view` can be an O_DIRECT destination (address and length 4096-aligned). */
  aligned(view: Uint8Array): boolean {
    return this.#addon.aligned(view);
  }

  /** Reads view.length bytes at `position` into `view`; resolves with the bytes read (short at EOF). */
  read(fd: number, view: Uint8Array, position: number): Promise<number> {
    if (this.#closed) return Promise.reject(Object.assign(new Error('aio ring closed'), { code: 'EBADF' }));
    const tag = this.#freeTags.pop();
    if (tag === undefined) return Promise.reject(Object.assign(new Error(`aio ring full (${this.depth} reads in flight)`), { code: 'EAGAIN' }));
    return new Promise<number>((resolve, reject) => {
      try {
        this.#addon.submit(this.#ring, fd, view, position, tag);
      } catch (e) {
        this.#freeTags.push(tag);
        reject(e as Error);
        return;
      }
      this.#pending[tag] = { resolve, reject, view };
    });
  }

  #onBatch(pairs: Int32Array): void {
    for (let i = 0; i < pairs.length; i += 2) {
      const tag = pairs[i]!;
      const res = pairs[i + 1]!;
      const p = this.#pending[tag];
      if (p === null || p === undefined) continue;
      this.#pending[tag] = null;
      this.#freeTags.push(tag);
      if (res >= 0) p.resolve(res);
      else p.reject(Object.assign(new Error(`aio read failed (errno ${-res})`), { code: errnoName(-res), errno: res }));
    }
  }

  /** Waits for reads in flight (the kernel may still write into their buffers), then frees the context; they reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#addon.close(this.#ring);
    for (const [tag, p] of this.#pending.entries()) {
      if (p === null) continue;
      this.#pending[tag] = null;
      p.reject(Object.assign(new Error('aio ring closed with the read in flight'), { code: 'EBADF' }));
    }
  }
}

/**
 * Node's own errno names, so an AIO error carries the same `code` as a libuv read's; the first
 * name wins where two share a number (EAGAIN, not EWOULDBLOCK).
 */
const ERRNO_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name);

function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}
