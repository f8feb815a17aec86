/**
 * A long-running loop under the watchdog: one iteration (a search batch, a poll-and-seal round, a
 * driven block, an upload) after another until `signal` aborts. A stalled iteration (busy and
 * silent for `stallMs`) is abandoned: its signal is aborted, whatever it later returns or throws is
 * dropped, and the next iteration starts at once: the part is restarted. A stop does not wait for a
 * stuck iteration either: after `stopGraceMs` it is abandoned, so Ctrl+C always ends the loop.
 * An error thrown by an iteration that was not abandoned ends the loop with that error (a fatal
 * stop, the caller's to report).
 */
import type { Progress, Watchdog } from './watchdog.js';

export interface LoopOptions {
  /** Part name, as the watchdog's warning says it ("search", "flow sync", "block driver"). */
  name: string;
  /** Without one, the loop runs unwatched (a stop still abandons a stuck iteration after the grace). */
  watchdog?: Watchdog;
  stallMs: number;
  /** Ends the loop. */
  signal: AbortSignal;
  /** One piece of work; `signal` aborts on stop and on a restart; `progress.beat()` on partial progress. */
  iteration: (signal: AbortSignal, progress: Progress) => Promise<void>;
  /** The wait before the next iteration (a timer, an empty queue): not watched. */
  between?: (signal: AbortSignal) => Promise<void>;
  /** How long a stop waits for the running iteration before abandoning it, ms (default 5000). */
  stopGraceMs?: number;
}

const unwatched = { busy() {}, beat() {}, idle() {}, unwatch() {} };

/** Resolves when `signal` aborts and then `ms` pass. */
function afterAbort(signal: AbortSignal, ms: number): { promise: Promise<'stopped'>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let onAbort = (): void => {};
  const promise = new Promise<'stopped'>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve('stopped'), ms);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    cancel: () => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    },
  };
}

export async function supervisedLoop(o: LoopOptions): Promise<void> {
  let restartCurrent: (() => void) | null = null;
  const part = o.watchdog ? o.watchdog.watch(o.name, o.stallMs, () => restartCurrent?.()) : unwatched;
  try {
    while (!o.signal.aborted) {
      const ctl = new AbortController();
      const onStop = (): void => ctl.abort();
      o.signal.addEventListener('abort', onStop, { once: true });
      let stalled!: () => void;
      const stall = new Promise<'stalled'>((r) => (stalled = () => r('stalled')));
      restartCurrent = () => {
        ctl.abort();
        stalled();
      };
      const stop = afterAbort(o.signal, o.stopGraceMs ?? 5000);
      part.busy();
      const work = o.iteration(ctl.signal, part);
      try {
        const how = await Promise.race([work.then(() => 'done' as const), stall, stop.promise]);
        // Abandoned: a late result or error of the stuck iteration must not surface anywhere.
        if (how !== 'done') work.catch(() => {});
      } finally {
        stop.cancel();
        o.signal.removeEventListener('abort', onStop);
        restartCurrent = null;
        part.idle();
      }
      if (o.between && !o.signal.aborted) await o.between(o.signal);
    }
  } finally {
    part.unwatch();
  }
}

/** A timer that ends early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
