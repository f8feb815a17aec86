/**
 * Sync progress for people: on a terminal a bar redrawn in place (loads, bytes, rate, ETA);
 * otherwise (a log file, journald) one line every 30 s while loads are missing.
 */
import type { SyncStatus } from './loadSync.js';

export interface ProgressOptions {
  status: () => SyncStatus;
  /** Where the bar goes (stderr); null = log lines only. */
  tty: NodeJS.WriteStream | null;
  log: (line: string) => void;
  now?: () => number;
}

const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** One progress text: `sync 12/40 loads [#####     ] 3.0 MiB, 12.5 MB/s, ETA 3 s, 1/2 peers ready`. */
export function progressText(s: SyncStatus, rateBytesPerSec: number, width = 20): string {
  const frac = s.wantedLoads > 0 ? Math.min(1, s.storedLoads / s.wantedLoads) : 1;
  const fill = Math.round(frac * width);
  const left = (s.wantedLoads - s.storedLoads) * 262144;
  const ready = s.peers.filter((p) => p.state === 'ready').length;
  return `sync ${s.storedLoads}/${s.wantedLoads} loads [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${mib(s.syncedBytes)}, ${(rateBytesPerSec / 1e6).toFixed(1)} MB/s, ETA ${rateBytesPerSec > 0 ? eta(left / rateBytesPerSec) : '?'}, ${ready}/${s.peers.length} peers ready`;
}

export class SyncProgress {
  private readonly o: ProgressOptions;
  private timer: NodeJS.Timeout | null = null;
  private lastBytes = 0;
  private lastAt = 0;
  private rate = 0;
  private drawn = false;

  constructor(o: ProgressOptions) {
    this.o = o;
  }

  private tick(): void {
    const now = (this.o.now ?? Date.now)();
    const s = this.o.status();
    const dt = (now - this.lastAt) / 1000;
    if (dt > 0) this.rate = (s.syncedBytes - this.lastBytes) / dt;
    this.lastBytes = s.syncedBytes;
    this.lastAt = now;
    const missing = s.wantedLoads > s.storedLoads;
    if (this.o.tty !== null) {
      if (!missing && !this.drawn) return;
      this.o.tty.write(`\r${progressText(s, this.rate)}\x1b[K${missing ? '' : '\n'}`);
      this.drawn = missing;
    } else if (missing) this.o.log(progressText(s, this.rate));
  }

  start(): void {
    this.lastAt = (this.o.now ?? Date.now)();
    this.lastBytes = this.o.status().syncedBytes;
    this.timer = setInterval(() => this.tick(), this.o.tty !== null ? 1000 : 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn && this.o.tty !== null) this.o.tty.write('\n');
  }
}
