/**
 * A watchdog over the long-running parts of the miner (search, sealer and flow follower, context
 * watcher, submitter; the devnet's block driver and uploads). A part reports progress through a
 * tiny interface (`busy` when it starts a piece of work, `beat` as it goes, `idle` when it waits
 * for work); a busy part that reports nothing for its stall time is logged once and restarted
 * (its restart function is called; `supervisedLoop` in loop.ts abandons the stuck iteration and
 * starts a new one). Pure: no I/O, timers only; the clock and the log are injected.
 */

/** What a watched part reports. */
export interface Progress {
  /** Work started: the stall clock runs from now. */
  busy(): void;
  /** Progress made (a batch searched, a load sealed, a block mined): the stall clock restarts. */
  beat(): void;
  /** Waiting for work (a timer, an empty queue): not watched until the next `busy`. */
  idle(): void;
}

export interface WatchedPart extends Progress {
  /** Stops watching this part. */
  unwatch(): void;
}

export interface WatchdogOptions {
  log: { warn(line: string): void };
  /** How often parts are checked, ms (default 1000). */
  checkMs?: number;
  /** Milliseconds clock (tests pass a fake). */
  now?: () => number;
  /** Called after each restart (a metric). */
  onRestart?: (part: string) => void;
}

interface Entry {
  name: string;
  stallMs: number;
  restart: () => void;
  busySince: number | null;
  lastBeat: number;
}

export class Watchdog {
  private readonly parts = new Set<Entry>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;
  /** Restarts per part since start. */
  readonly restarts = new Map<string, number>();

  private readonly o: WatchdogOptions;

  constructor(o: WatchdogOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  /** Watches a part; `restart` is called when it is busy and silent for `stallMs`. */
  watch(name: string, stallMs: number, restart: () => void): WatchedPart {
    const e: Entry = { name, stallMs, restart, busySince: null, lastBeat: this.now() };
    this.parts.add(e);
    return {
      busy: () => {
        e.busySince = e.lastBeat = this.now();
      },
      beat: () => {
        e.lastBeat = this.now();
      },
      idle: () => {
        e.busySince = null;
      },
      unwatch: () => void this.parts.delete(e),
    };
  }

  /** Starts the periodic check (the timer never keeps the process alive on its own). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.o.checkMs ?? 1000);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check of every part (the timer calls it; tests call it with a fake clock). */
  check(): void {
    const t = this.now();
    for (const e of this.parts) {
      if (e.busySince === null || t - e.lastBeat < e.stallMs) continue;
      const n = (this.restarts.get(e.name) ?? 0) + 1;
      this.restarts.set(e.name, n);
      this.o.log.warn(`watchdog: ${e.name} made no progress for ${Math.round((t - e.lastBeat) / 1000)} s; restarting it (restart ${n})`);
      // A fresh clock: the restarted part gets its full stall time again.
      e.lastBeat = t;
      this.o.onRestart?.(e.name);
      e.restart();
    }
  }
}
