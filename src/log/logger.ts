/**
 * The one logger of the project: levels (`--log-level error|warn|info|debug`), an optional log
 * file (`--log-file F`, appended, every line that passes the level), timestamps, rate-limited
 * summaries of repeated events, and the last warnings kept for /status and the dashboard.
 *
 * Repeated events (a hit dropped because its window passed, a load sealed) would drown the log on
 * a long run (88 % of a 26-minute devnet log was one such line), so `repeated()` counts them and
 * prints one line per interval: `hits dropped in the last 30 s: 312 (context or window passed)`;
 * each event's own line is still there at `debug`.
 *
 * Writes are synchronous (stdout/stderr as Node does for files and pipes, the log file with
 * writeSync): a line logged just before a crash or `process.exit` is not lost.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { MinerError } from '../errors.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** Tag after the timestamp; info lines carry none (they are most lines). */
const TAG: Record<LogLevel, string> = { error: 'ERROR ', warn: 'WARN ', info: '', debug: 'DEBUG ' };

export const DEFAULT_SUMMARY_SECONDS = 30;
/** How many warnings and errors `recentWarnings()` keeps. */
const RECENT_WARNINGS = 20;

export interface LogSinks {
  /** info and debug lines (default: process.stdout). */
  out: (text: string) => void;
  /** warn and error lines (default: process.stderr). */
  err: (text: string) => void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Also append every line to this file (created if missing). */
  file?: string;
  /** Interval of the repeated-event summaries, seconds (default 30). */
  summarySeconds?: number;
  /** Milliseconds clock (tests pass a fake). */
  now?: () => number;
  sinks?: LogSinks;
}

export interface RecentWarning {
  time: string;
  level: 'warn' | 'error';
  line: string;
}

interface RepeatCount {
  what: string;
  why: string;
  n: number;
}

const processSinks: LogSinks = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export function parseLogLevel(s: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(s)) return s as LogLevel;
  throw new MinerError('BAD_CONFIG', `log level: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(s)}`);
}

export class Logger {
  #level: LogLevel = 'info';
  #fd: number | null = null;
  #file: string | null = null;
  #summaryMs = DEFAULT_SUMMARY_SECONDS * 1000;
  #now: () => number = Date.now;
  #sinks: LogSinks = processSinks;
  readonly #repeats = new Map<string, RepeatCount>();
  #windowStart = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #recent: RecentWarning[] = [];

  constructor(opts: LoggerOptions = {}) {
    this.configure(opts);
  }

  /** Changes level, file, interval or sinks; a new file replaces (and closes) the old one. */
  configure(opts: LoggerOptions): void {
    if (opts.level !== undefined) this.#level = opts.level;
    if (opts.now !== undefined) this.#now = opts.now;
    if (opts.sinks !== undefined) this.#sinks = opts.sinks;
    if (opts.summarySeconds !== undefined) {
      if (!(opts.summarySeconds > 0)) throw new MinerError('BAD_CONFIG', `log summary interval must be positive, got ${opts.summarySeconds}`);
      this.#summaryMs = opts.summarySeconds * 1000;
      this.#restartTimer();
    }
    if (opts.file !== undefined && opts.file !== this.#file) {
      let fd: number;
      try {
        fd = openSync(opts.file, 'a');
      } catch (e) {
        throw new MinerError('BAD_CONFIG', `--log-file ${opts.file}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
      }
      this.#closeFile();
      this.#fd = fd;
      this.#file = opts.file;
    }
  }

  get level(): LogLevel {
    return this.#level;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.#level];
  }

  error = (line: string): void => this.#write('error', line);
  warn = (line: string): void => this.#write('warn', line);
  info = (line: string): void => this.#write('info', line);
  debug = (line: string): void => this.#write('debug', line);

  /**
   * One more occurrence of a repeated event. Counted per (what, why) and reported once per
   * interval as `<what> in the last <S> s: <N> (<why>)`; `detail` (the event's own line) is
   * logged at debug level.
   */
  repeated = (what: string, why: string, detail?: string): void => {
    const key = `${what}\u0000${why}`;
    const c = this.#repeats.get(key);
    if (c) c.n++;
    else this.#repeats.set(key, { what, why, n: 1 });
    if (this.#timer === null) this.#restartTimer();
    if (detail !== undefined) this.debug(detail);
  };

  /** Prints the pending repeated-event summaries now (the timer does this every interval). */
  flushSummaries(): void {
    const now = this.#now();
    const secs = Math.max(1, Math.round((now - this.#windowStart) / 1000));
    for (const c of this.#repeats.values()) {
      if (c.n > 0) this.info(`${c.what} in the last ${secs} s: ${c.n}${c.why ? ` (${c.why})` : ''}`);
    }
    this.#repeats.clear();
    this.#windowStart = now;
  }

  /** The last warnings and errors, oldest first (for /status and the dashboard). */
  recentWarnings(): RecentWarning[] {
    return this.#recent.slice();
  }

  /** Flushes the summaries, stops the timer and closes the log file. */
  close(): void {
    this.flushSummaries();
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#closeFile();
  }

  #restartTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#windowStart = this.#now();
    this.#timer = setInterval(() => this.flushSummaries(), this.#summaryMs);
    // Summaries never keep a finished command alive.
    this.#timer.unref();
  }

  #closeFile(): void {
    if (this.#fd !== null) {
      try {
        closeSync(this.#fd);
      } catch {
        // already closed: nothing left to flush
      }
    }
    this.#fd = null;
    this.#file = null;
  }

  #write(level: LogLevel, line: string): void {
    if (level === 'warn' || level === 'error') {
      this.#recent.push({ time: new Date(this.#now()).toISOString(), level, line });
      if (this.#recent.length > RECENT_WARNINGS) this.#recent.shift();
    }
    if (!this.enabled(level)) return;
    const text = `${new Date(this.#now()).toISOString()} ${TAG[level]}${line}\n`;
    (level === 'warn' || level === 'error' ? this.#sinks.err : this.#sinks.out)(text);
    if (this.#fd !== null) {
      try {
        writeSync(this.#fd, text);
      } catch (e) {
        // A full disk must not stop the miner: say so once on stderr and stop writing the file.
        const file = this.#file;
        this.#closeFile();
        this.#sinks.err(`${new Date(this.#now()).toISOString()} WARN --log-file ${file}: write failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); logging to the console only\n`);
      }
    }
  }
}

/** The process's logger: the CLI configures it from --log-level / --log-file before a command runs. */
export const log = new Logger();
