/**
 * Native libraries that write straight to fd 2 (Dawn prints `Warning: maxDynamicUniformBuffers…
 * artificially reduced…` for every adapter it opens, and OpenGL discovery warnings without libEGL;
 * it offers no logging callback for either) would put driver chatter into every command's output.
 * `captureStderr` points fd 2 at an unlinked temp file around such a call (the zg_stdio addon's
 * dup/dup2), then hands the native lines to the logger at debug level (`--log-level debug` shows
 * them) and writes anything else that reached fd 2 meanwhile back to the real stderr, so nothing
 * is lost. Only short calls are wrapped (instance creation, adapter and device requests).
 *
 * Without the addon (no C compiler at install time, not Linux) the call runs uncaptured and the
 * warnings appear as before. ZGMINER_STDERR_CAPTURE=0 turns capturing off.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../nativeAddon.js';
import { log } from './logger.js';

interface StdioAddon {
  redirectStderr(fd: number): number;
  restoreStderr(saved: number): void;
}

let addon: StdioAddon | null | undefined;
/** Nesting depth: only the outermost capture redirects (concurrent GPU probes share one window). */
let depth = 0;
let window: { fd: number; saved: number } | null = null;

function stdio(): StdioAddon | null {
  if (addon === undefined) addon = process.env['ZGMINER_STDERR_CAPTURE'] === '0' || process.platform === 'win32' ? null : loadNativeAddon<StdioAddon>('zg_stdio').addon;
  return addon;
}

/** Whether native stderr output can be captured in this process. */
export function stderrCaptureAvailable(): boolean {
  return stdio() !== null;
}

function open(): { fd: number; saved: number } | null {
  const a = stdio();
  if (a === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'zg-stderr-'));
  const file = join(dir, 'stderr');
  const fd = openSync(file, 'w+');
  // Unlinked at once: the capture leaves no file behind, even after a crash.
  unlinkSync(file);
  rmSync(dir, { recursive: true, force: true });
  try {
    return { fd, saved: a.redirectStderr(fd) };
  } catch {
    closeSync(fd);
    return null;
  }
}

function close(w: { fd: number; saved: number }, isNative: (line: string) => boolean): void {
  stdio()!.restoreStderr(w.saved);
  const size = fstatSync(w.fd).size;
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(w.fd, buf, off, size - off, off);
    if (n <= 0) break;
    off += n;
  }
  closeSync(w.fd);
  const text = buf.subarray(0, off).toString('utf8');
  const other: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (isNative(line)) log.debug(`native: ${line}`);
    else other.push(line);
  }
  if (other.length > 0) writeSync(2, other.join('\n') + '\n');
}

/** Our own lines (the logger's timestamped ones, `zg-miner: …` errors) are never a library's. */
function notOurs(line: string): boolean {
  return !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(line) && !line.startsWith('zg-miner:');
}

/**
 * Runs `fn` with fd 2 captured; a native library's lines go to the debug log, ours back to
 * stderr, when the outermost capture ends.
 */
export async function captureStderr<T>(fn: () => Promise<T> | T, isNative: (line: string) => boolean = notOurs): Promise<T> {
  if (depth === 0) window = open();
  depth++;
  try {
    return await fn();
  } finally {
    depth--;
    if (depth === 0 && window !== null) {
      const w = window;
      window = null;
      close(w, isNative);
    }
  }
}
