/**
 * A PoraBackend that keeps mining when its GPU is lost (issue 9 item 2). It forwards every call to
 * the GPU backend; when a call fails with MinerError GPU_DEVICE_LOST it logs one warning, disposes
 * the GPU backend, opens the CPU backend and repeats the call there, so the search, the sealer and
 * the CPU re-check never see the loss. It then reopens the GPU in the background with exponential
 * backoff (30 s, 60 s, … up to 10 min) and moves back to it once it opens (and passes its
 * known-answer self-check, which the GPU factory runs). `info` always describes the backend in use,
 * so /status, the hashrate lines and `zg_miner_info` (through `onSwitch`) follow the switch.
 * backend/ does not know gpu/: the caller passes the two factories.
 */
import { isMinerError } from '../errors.js';
import type { BackendInfo, LoadSource, MineJob, NonceRange, PoraBackend, PoraEvaluation, PoraInput, SealInput, SearchResult } from './backend.js';

export interface FailoverOptions {
  /** The GPU backend, already open. */
  primary: PoraBackend;
  /** Opens the GPU backend again (after a loss); throws while the device is still unusable. */
  reopenPrimary: () => Promise<PoraBackend>;
  /** Opens the CPU backend (called once per loss). */
  openFallback: () => Promise<PoraBackend>;
  log: { info(line: string): void; warn(line: string): void };
  /** Called after every switch with the backend now in use (metrics' zg_miner_info). */
  onSwitch?: (info: BackendInfo) => void;
  /** First retry delay and its cap, milliseconds (default 30 s and 10 min); doubles after each failed retry. */
  retryMs?: { first: number; max: number };
}

export interface FailoverBackend extends PoraBackend {
  /** True while the CPU stands in for a lost GPU. */
  readonly onFallback: boolean;
  /** GPU losses since start. */
  readonly losses: number;
}

/** A lost device, as gpu/device.ts reports it. */
export function isDeviceLost(e: unknown): boolean {
  return isMinerError(e, 'GPU_DEVICE_LOST');
}

const wait = (ms: number): string => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

export function createFailoverBackend(o: FailoverOptions): FailoverBackend {
  const first = o.retryMs?.first ?? 30_000;
  const max = o.retryMs?.max ?? 600_000;
  let active: PoraBackend = o.primary;
  let fallback: PoraBackend | null = null;
  /** The switch in progress: concurrent calls that all see the loss wait for the same one. */
  let switching: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let delay = first;
  let losses = 0;
  let disposed = false;

  const scheduleRetry = (): void => {
    if (disposed) return;
    retryTimer = setTimeout(() => void retry(), delay);
    // A pending retry never keeps the process alive on its own.
    retryTimer.unref();
  };

  const retry = async (): Promise<void> => {
    retryTimer = null;
    let gpu: PoraBackend;
    try {
      gpu = await o.reopenPrimary();
    } catch (e) {
      delay = Math.min(max, delay * 2);
      o.log.warn(`GPU retry failed (${(e as Error).message}); mining stays on the CPU, next retry in ${wait(delay)}`);
      scheduleRetry();
      return;
    }
    if (disposed) return void (await gpu.dispose().catch(() => {}));
    const cpu = fallback;
    active = gpu;
    fallback = null;
    delay = first;
    o.log.info(`GPU back: mining on ${gpu.info.kind} ${gpu.info.device} again`);
    o.onSwitch?.(gpu.info);
    // Calls already running on the CPU finish there; new ones go to the GPU.
    if (cpu) retire(cpu);
  };

  const failOver = (lostOn: PoraBackend, e: unknown): Promise<void> => {
    if (active !== lostOn) return Promise.resolve(); // another call already switched
    switching ??= (async () => {
      losses++;
      await lostOn.dispose().catch(() => {});
      fallback = await o.openFallback();
      active = fallback;
      o.log.warn(
        `GPU lost (${(e as Error).message}): mining continues on the CPU backend (${fallback.info.device}); retrying the GPU in ${wait(delay)}`
      );
      o.onSwitch?.(fallback.info);
      scheduleRetry();
    })().finally(() => {
      switching = null;
    });
    return switching;
  };

  /** Calls running per backend, so a retired CPU backend is disposed only once its calls are done. */
  const inflight = new Map<PoraBackend, number>();
  const retired = new Set<PoraBackend>();
  const retire = (b: PoraBackend): void => {
    retired.add(b);
    if (!inflight.get(b)) void b.dispose().catch(() => {});
  };
  const on = async <T>(b: PoraBackend, call: (b: PoraBackend) => Promise<T>): Promise<T> => {
    inflight.set(b, (inflight.get(b) ?? 0) + 1);
    try {
      return await call(b);
    } finally {
      const left = inflight.get(b)! - 1;
      if (left > 0) inflight.set(b, left);
      else {
        inflight.delete(b);
        if (retired.delete(b)) void b.dispose().catch(() => {});
      }
    }
  };

  /** Runs `call` on the backend in use; a device loss on the GPU moves to the CPU and repeats it there. */
  const run = async <T>(call: (b: PoraBackend) => Promise<T>): Promise<T> => {
    if (switching) await switching;
    const b = active;
    try {
      return await on(b, call);
    } catch (e) {
      // The CPU has no device to lose: only a GPU's loss switches.
      if (!isDeviceLost(e) || b === fallback) throw e;
      await failOver(b, e);
      return on(active, call);
    }
  };

  const info: BackendInfo = {
    get kind() {
      return active.info.kind;
    },
    get device() {
      return active.info.device;
    },
    get threads() {
      return active.info.threads;
    },
  };

  return {
    info,
    get onFallback() {
      return fallback !== null && active === fallback;
    },
    get losses() {
      return losses;
    },
    search: (job: MineJob, nonces: NonceRange, data: LoadSource, signal?: AbortSignal): Promise<SearchResult> => run((b) => b.search(job, nonces, data, signal)),
    evaluate: (inputs: PoraInput[]): Promise<PoraEvaluation[]> => run((b) => b.evaluate(inputs)),
    seal: (inputs: SealInput[], mode: 'seal' | 'unseal'): Promise<Uint8Array[]> => run((b) => b.seal(inputs, mode)),
    async dispose(): Promise<void> {
      disposed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (switching) await switching.catch(() => {});
      await active.dispose();
    },
  };
}
