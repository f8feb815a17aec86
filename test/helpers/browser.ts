/**
 * Headless Chromium (Debian's `chromium`) for the dashboard test: the DOM after the page's scripts
 * ran, and screenshots. Plain command-line modes (--dump-dom, --screenshot), no driver library.
 * Asynchronous on purpose: a devnet child's output pipes must keep draining while the browser runs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function chromiumPath(): string | null {
  const p = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
  return existsSync(p) ? p : null;
}

function run(args: string[], url: string): Promise<string> {
  const exe = chromiumPath();
  if (exe === null) throw new Error('chromium not found (set CHROMIUM or install Debian chromium)');
  const profile = mkdtempSync(join(tmpdir(), 'zg-chromium-'));
  const flags = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`,
    // Virtual time runs the page's first fetch of /status and its rendering before the dump/shot.
    '--virtual-time-budget=5000',
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(exe, [...flags, ...args, url], { timeout: 90_000, maxBuffer: 32 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** The serialised DOM once the page has fetched and rendered. */
export function dumpDom(url: string, width = 1280, height = 1800): Promise<string> {
  return run(['--dump-dom', `--window-size=${width},${height}`], url);
}

export async function screenshot(url: string, file: string, width: number, height: number): Promise<void> {
  await run([`--screenshot=${file}`, `--window-size=${width},${height}`, '--hide-scrollbars'], url);
}

/** Every element's attributes, in document order (enough HTML parsing for these checks). */
export function elements(html: string): { tag: string; attrs: Record<string, string>; text: string }[] {
  const out: { tag: string; attrs: Record<string, string>; text: string }[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>([^<]*)/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) attrs[a[1]!] = decode(a[2] ?? '');
    out.push({ tag: m[1]!.toLowerCase(), attrs, text: decode(m[3]!) });
  }
  return out;
}

function decode(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The page's text as a reader sees it (scripts and styles left out). */
export function visibleText(html: string): string {
  return decode(html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ');
}
