/**
 * Random 256 KiB reads for the mining loop. Throughput on NVMe and virtio disks comes from queue
 * depth, so the reader keeps up to `inflight` (default 32) reads outstanding.
 *
 * O_DIRECT: bypasses the page cache, which random reads over a store far larger than RAM would only
 * thrash. It needs the buffer address, file offset and length aligned to the logical block size;
 * offsets and lengths here are multiples of 4096. If the filesystem refuses O_DIRECT at open
 * (EINVAL: some tmpfs, FUSE) or at the first read, the reader reopens without it and says so in
 * `direct`.
 *
 * Two engines (`engine` says which):
 * - 'aio' (O_DIRECT and the optional native addon, aio.ts): Linux AIO, one io_submit per read from
 *   the JS thread and one JS call per batch of completions. Buffers sit in 2 MiB transparent huge
 *   pages, and read() lands each load straight in a fresh array carved from them (no bounce copy).
 *   On the measured 2-vCPU VM this reads faster than fio's reference command (see aio.ts, aio.c).
 * - 'libuv' (addon not built, or a buffered fd): fs.read on libuv's thread pool into slots of one
 *   WebAssembly.Memory (V8 maps it page-aligned; a plain ArrayBuffer is only 16-byte aligned),
 *   copied out for read(). The pool must have `inflight` threads: UV_THREADPOOL_SIZE in the
 *   environment at process start (threadpool.ts explains why it cannot be raised later under ESM).
 */
import { THREADPOOL_SIZE } from './threadpool.js';
import { AioRing } from './aio.js';
import { closeSync, constants, openSync, read } from 'node:fs';
import { BYTES_PER_LOAD } from '../spec.js';
import { MinerError } from '../errors.js';

/**
 * Reads kept in flight by default, as fio's iodepth 32. Deeper was slower on the measured host
 * (virtio disk, 2 vCPUs: 64 in flight gave 1047 MB/s, 32 gave 1285, in back-to-back runs): every
 * extra blocked pool thread adds scheduling work on the same cores that run the event loop.
 */
export const DEFAULT_INFLIGHT = 32;
const WASM_PAGE = 65536;
const HUGE_PAGE = 2 << 20;
// The project's `lib` has no WebAssembly typings; this is the one constructor used.
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } })
  .WebAssembly.Memory;
const ALIGN = 4096;

/** Hooks the metrics object provides (MinerMetrics implements it). */
export interface ReadMetrics {
  recordRead(bytes: number, seconds: number): void;
}

export interface LoadReaderOptions {
  /** true: require O_DIRECT; false: page cache; 'auto' (default): O_DIRECT where allowed. */
  direct?: boolean | 'auto';
  /** Reads kept in flight (default DEFAULT_INFLIGHT = 32). */
  inflight?: number;
  /** Largest single read in bytes (default one load, 256 KiB). */
  maxReadBytes?: number;
  /**
   * Called when a read ends before `length` bytes (the file ends inside it; the rest reads as
   * zeros): the caller decides whether that tail held data (a truncated file) or was never written.
   */
  onShortRead?: (position: number, got: number, length: number) => void;
  /**
   * Called when a read fails with a media error (EIO and kin, MEDIA_ERRORS): true = the caller
   * takes it as damage to those bytes and the read returns zeros; false or unset = the read throws.
   * A disk that can no longer read one load must not stop mining on all the others.
   */
  onMediaError?: (position: number, length: number, code: string) => boolean;
  /** The positional read (default: the file's, through libuv); tests inject I/O errors here. Unused by the AIO engine. */
  readAt?: ReadAt;
}

export type ReadAt = (fd: number, buf: Uint8Array, position: number) => Promise<number>;

/**
 * Errors a read gets from a bad disk block or a corrupted file system, not from a misuse of the
 * file (codes as Node names them: both read engines use its names, aio.ts errnoName).
 */
const MEDIA_ERRORS: ReadonlySet<string> = new Set(['EIO', 'EBADMSG', 'ENXIO', 'ENODATA']);

export class LoadReader {
  readonly path: string;
  readonly inflight: number;
  readonly maxReadBytes: number;
  #fd: number;
  #direct: boolean;
  /** Native AIO ring while reads are O_DIRECT and the addon is present; null: libuv reads. */
  #ring: AioRing | null;
  #checkedDirect = false;
  readonly #slots: Uint8Array[] = [];
  readonly #free: number[] = [];
  readonly #waiting: ((slot: number) => void)[] = [];
  #active = 0;
  /** Highest number of reads seen in flight at once (for tests and the bench). */
  peakInflight = 0;
  #closed = false;
  readonly #onShortRead: LoadReaderOptions['onShortRead'];
  readonly #onMediaError: LoadReaderOptions['onMediaError'];
  readonly #readAt: ReadAt;

  private constructor(path: string, fd: number, direct: boolean, inflight: number, maxReadBytes: number, opts: LoadReaderOptions) {
    this.path = path;
    this.#onShortRead = opts.onShortRead;
    this.#onMediaError = opts.onMediaError;
    this.#readAt = opts.readAt ?? readAt;
    this.#fd = fd;
    this.#direct = direct;
    this.inflight = inflight;
    this.maxReadBytes = maxReadBytes;
    this.#ring = direct ? AioRing.open(inflight) : null;
    const slotBytes = Math.ceil(maxReadBytes / WASM_PAGE) * WASM_PAGE;
    // On the AIO engine the slots live in 2 MiB transparent huge pages (cheaper O_DIRECT pinning, aio.c).
    const memory = this.#ring !== null
      ? this.#ring.alignedAlloc(Math.ceil((slotBytes * inflight) / HUGE_PAGE) * HUGE_PAGE).buffer
      : new WasmMemory({ initial: (slotBytes / WASM_PAGE) * inflight }).buffer;
    for (let i = 0; i < inflight; i++) {
      this.#slots.push(new Uint8Array(memory, i * slotBytes, maxReadBytes));
      this.#free.push(i);
    }
  }

  /** @throws MinerError STORE_ERROR if the file cannot be opened (or O_DIRECT is required and refused). */
  static open(path: string, opts: LoadReaderOptions = {}): LoadReader {
    const want = opts.direct ?? 'auto';
    const inflight = opts.inflight ?? DEFAULT_INFLIGHT;
    const maxReadBytes = opts.maxReadBytes ?? BYTES_PER_LOAD;
    if (!Number.isInteger(inflight) || inflight < 1 || inflight > 1024) throw new RangeError(`inflight: expected 1..1024, got ${inflight}`);
    if (maxReadBytes % ALIGN !== 0 || maxReadBytes <= 0) throw new RangeError(`maxReadBytes: expected a multiple of ${ALIGN}`);
    let fd: number | null = null;
    let direct = false;
    if (want !== false) {
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_DIRECT);
        direct = true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EINVAL' || want === true) throw openError(path, e);
      }
    }
    if (fd === null) {
      try {
        fd = openSync(path, constants.O_RDONLY);
      } catch (e) {
        throw openError(path, e);
      }
    }
    return new LoadReader(path, fd, direct, inflight, maxReadBytes, opts);
  }

  /** True while reads bypass the page cache. */
  get direct(): boolean {
    return this.#direct;
  }

  /** 'aio': native Linux AIO (O_DIRECT only); 'libuv': fs.read on libuv's thread pool. */
  get engine(): 'aio' | 'libuv' {
    return this.#ring !== null && this.#direct ? 'aio' : 'libuv';
  }

  /** Reads the disk really sees at once: `inflight`, capped by libuv's thread pool on that engine. */
  get effectiveInflight(): number {
    return this.engine === 'aio' ? this.inflight : Math.min(this.inflight, THREADPOOL_SIZE);
  }

  /** Reads in flight now. */
  get active(): number {
    return this.#active;
  }

  /** The 262144 bytes of load `loadIndex` (file offset loadIndex * 256 KiB; zeros past EOF). */
  readLoad(loadIndex: bigint, metrics?: ReadMetrics, into?: Uint8Array): Promise<Uint8Array> {
    return this.read(Number(loadIndex) * BYTES_PER_LOAD, BYTES_PER_LOAD, metrics, into);
  }

  /**
   * Reads `length` bytes at `position` (both multiples of 4096) into a fresh array or `into`.
   * Bytes past the end of the file (a sparse tail) read as zeros.
   */
  async read(position: number, length: number, metrics?: ReadMetrics, into?: Uint8Array): Promise<Uint8Array> {
    this.#checkRead(position, length);
    const ring = this.#ring;
    if (ring !== null && this.#direct && (into === undefined || (into.length === length && ring.aligned(into)))) {
      // AIO straight into the destination: a fresh page-aligned array (or the caller's, when aligned).
      const out = into ?? ring.freshArray(length);
      const slot = await this.#acquire(); // the slot is only a ticket here: it bounds reads in flight
      try {
        return await this.#readTimed(out, position, metrics);
      } finally {
        this.#release(slot);
      }
    }
    // Uninitialised memory: every byte is overwritten below, and zero-filling 256 KiB per read costs
    // measurable CPU at >3000 reads/s on a 2-core host.
    const out = into ?? uninitialised(length);
    const slot = await this.#acquire();
    try {
      out.set(await this.#readSlot(slot, position, length, metrics));
      return out;
    } finally {
      this.#release(slot);
    }
  }

  #checkRead(position: number, length: number): void {
    if (this.#closed) throw new MinerError('STORE_ERROR', `${this.path}: read after close`);
    if (position % ALIGN !== 0 || length % ALIGN !== 0 || length > this.maxReadBytes || length <= 0) {
      throw new RangeError(`read: position ${position} and length ${length} must be multiples of ${ALIGN}, length <= ${this.maxReadBytes}`);
    }
  }

  /** Reads into slot `slot`; bytes past EOF are zeroed. Returns the slot's view of `length` bytes. */
  #readSlot(slot: number, position: number, length: number, metrics?: ReadMetrics): Promise<Uint8Array> {
    return this.#readTimed(this.#slots[slot]!.subarray(0, length), position, metrics);
  }

  /** Fills `buf` from `position` (zeros past EOF), falling back from O_DIRECT once if refused; returns `buf`. */
  async #readTimed(buf: Uint8Array, position: number, metrics?: ReadMetrics): Promise<Uint8Array> {
    const length = buf.length;
    const t0 = process.hrtime.bigint();
    let n: number;
    try {
      try {
        n = await this.#readFull(buf, position);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL' || !this.#direct || this.#checkedDirect) throw e;
        // The filesystem accepted O_DIRECT at open but not for this I/O: fall back once, for good.
        this.#reopenBuffered();
        n = await this.#readFull(buf, position);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== undefined && MEDIA_ERRORS.has(code) && this.#onMediaError?.(position, length, code) === true) {
        buf.fill(0);
        return buf;
      }
      throw new MinerError('STORE_ERROR', `${this.path}: read of ${length} bytes at ${position} failed (${code ?? String(e)})`, { cause: e });
    }
    this.#checkedDirect = true;
    if (n < length) {
      buf.fill(0, n, length);
      this.#onShortRead?.(position, n, length);
    }
    metrics?.recordRead(length, Number(process.hrtime.bigint() - t0) / 1e9);
    return buf;
  }

  /**
   * Zero-copy read: `fn` gets a view of the reader's own (aligned) buffer, valid only until the
   * promise `fn` returns settles; copy out anything kept. Saves one 256 KiB copy per load on the
   * event loop, which bounds throughput on small hosts.
   */
  async withRead<T>(position: number, length: number, fn: (view: Uint8Array) => T | Promise<T>, metrics?: ReadMetrics): Promise<T> {
    this.#checkRead(position, length);
    const slot = await this.#acquire();
    try {
      const view = await this.#readSlot(slot, position, length, metrics);
      return await fn(view);
    } finally {
      this.#release(slot);
    }
  }

  /** withRead() of load `loadIndex`. */
  withLoad<T>(loadIndex: bigint, fn: (view: Uint8Array) => T | Promise<T>, metrics?: ReadMetrics): Promise<T> {
    return this.withRead(Number(loadIndex) * BYTES_PER_LOAD, BYTES_PER_LOAD, fn, metrics);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ring?.close();
    closeSync(this.#fd);
  }

  async #readFull(buf: Uint8Array, position: number): Promise<number> {
    let done = 0;
    while (done < buf.length) {
      const n = this.#ring !== null && this.#direct
        ? await this.#ring.read(this.#fd, buf.subarray(done), position + done)
        : await this.#readAt(this.#fd, buf.subarray(done), position + done);
      if (n === 0) break;
      done += n;
      // A short O_DIRECT read means EOF (or an unaligned tail); retrying unaligned would EINVAL.
      if (this.#direct && done % ALIGN !== 0) break;
    }
    return done;
  }

  #reopenBuffered(): void {
    const fd = openSync(this.path, constants.O_RDONLY);
    closeSync(this.#fd);
    this.#fd = fd;
    this.#direct = false;
  }

  #acquire(): Promise<number> {
    const slot = this.#free.pop();
    if (slot !== undefined) {
      this.#active++;
      if (this.#active > this.peakInflight) this.peakInflight = this.#active;
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(slot: number): void {
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next(slot); // hand the slot over directly: active count unchanged
      return;
    }
    this.#active--;
    this.#free.push(slot);
  }
}

function uninitialised(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

/** The default ReadAt: one positional read on libuv's pool. */
export function readAt(fd: number, buf: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function openError(path: string, e: unknown): MinerError {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  return new MinerError('STORE_ERROR', `${path}: cannot open for reading (${code})`, { cause: e });
}
