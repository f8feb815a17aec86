/**
 * The dashboard in a real browser: headless Chromium loads `/` of a running devnet (CPU backend,
 * the stand-in nvidia-smi on PATH) and the test compares what it rendered with /status fetched
 * just before and just after (numbers that only grow must lie between the two), checks the chart
 * has points, and keeps screenshots (desktop and phone) in test-artifacts/. A second page load
 * against a sparse /status with an unknown section shows that absent and new sections render.
 * Without chromium this skips, except under CI=true (`.ci/browser-setup.sh` installs it).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/cli.js';
import { chromiumPath, dumpDom, elements, screenshot, visibleText } from '../helpers/browser.js';
import { fakeNvidiaSmi } from '../helpers/fakeNvidiaSmi.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { createMetrics } from '../../src/metrics/metrics.js';

export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const browser = chromiumPath();
const skip = browser === null ? (process.env['CI'] === 'true' ? false : 'chromium not installed (.ci/browser-setup.sh installs it)') : false;
if (browser === null && process.env['CI'] === 'true') throw new Error('CI=true but chromium is missing: .ci/browser-setup.sh should have installed it');

interface Status {
  mining: boolean;
  epoch: string | null;
  uptimeSeconds: number;
  version: string;
  backend: { kind: string; device: string };
  submissions: Record<string, number>;
  totals: { nonces: number; hits: number };
  store: { sealedSectors: string };
  recentAnswers: { recallPosition: string }[];
  hashrateHistory: { bucketSeconds: number; devices: Record<string, [number, number][]> };
  gpus: { index: number; temperatureC: number; powerW: number }[] | null;
  warnings: unknown[];
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

async function getStatus(base: string): Promise<Status> {
  return within(20_000, 'GET /status', fetch(`${base}status`).then((r) => r.json() as Promise<Status>));
}

/** `p`, or a failure naming `what` after `ms` (a hang says where it hung). */
function within<T>(ms: number, what: string, p: Promise<T>, tail: () => string = () => ''): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms\n${tail()}`)), ms);
    }),
  ]);
}

function between(what: string, v: string | undefined, lo: number, hi: number): void {
  assert.ok(v !== undefined, `${what} is not rendered`);
  assert.ok(Number(v) >= lo && Number(v) <= hi, `${what}: page shows ${v}, /status went from ${lo} to ${hi}`);
}

test('dashboard: live devnet rendered in Chromium matches /status, chart has points, screenshots kept', { skip, timeout: 420_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-dash-'));
  const smi = fakeNvidiaSmi([{ index: 0, temp: 58, power: 287.5, fan: 41 }]);
  const info = join(dir, 'info.json');
  const logFile = join(dir, 'miner.log');
  const child = spawn(
    process.execPath,
    [CLI, 'devnet', '--backend', 'cpu', '--threads', '1', '--info-file', info, '--timeout', '400', '--log-file', logFile, '--files', '3'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...smi.env } }
  );
  children.add(child);
  const out: string[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => out.push(b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const tail = (): string => out.join('').split('\n').slice(-20).join('\n');
  try {
    for (const t0 = Date.now(); !existsSync(info); await new Promise((r) => setTimeout(r, 250)))
      assert.ok(Date.now() - t0 < 120_000 && child.exitCode === null, `devnet did not start:\n${tail()}`);
    const base = (JSON.parse(readFileSync(info, 'utf8')) as { dashboard: string }).dashboard;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    // An accepted answer, and enough history for a line.
    let st = await getStatus(base);
    for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 500))) {
      st = await getStatus(base);
      const pts = Math.max(0, ...Object.values(st.hashrateHistory.devices).map((p) => p.length));
      if (st.submissions['accepted']! >= 1 && pts >= 3 && st.gpus !== null && st.gpus.length > 0) break;
      assert.ok(Date.now() - t0 < 240_000, `no accepted answer and chart history in time: ${JSON.stringify(st.submissions)}\n${tail()}`);
    }

    const page = await within(20_000, 'GET /', fetch(base));
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);

    const before = await getStatus(base);
    // The answer list keeps the last 10: on a loaded machine more than 10 can land while Chromium
    // renders, so the answers /status showed at any moment of the render are gathered.
    const seenAnswers = new Set(before.recentAnswers.map((a) => a.recallPosition));
    let rendering = true;
    const watcher = (async () => {
      while (rendering) {
        const s = await getStatus(base).catch(() => null);
        for (const a of s?.recentAnswers ?? []) seenAnswers.add(a.recallPosition);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const html = await within(100_000, 'chromium --dump-dom', dumpDom(base), tail).finally(() => {
      rendering = false;
    });
    await watcher;
    const afterSt = await getStatus(base);
    for (const a of afterSt.recentAnswers) seenAnswers.add(a.recallPosition);
    const els = elements(html);
    const field = (f: string): string | undefined => els.find((e) => e.attrs['data-field'] === f && e.attrs['data-value'] !== undefined)?.attrs['data-value'];

    const body = els.find((e) => e.tag === 'body')!;
    assert.ok(body.attrs['data-updated'], 'the page fetched /status and rendered');
    assert.equal(body.attrs['data-render-errors'], '0');
    between('nonces', field('totals.nonces'), before.totals.nonces, afterSt.totals.nonces);
    between('accepted answers', field('submissions.accepted'), before.submissions['accepted']!, afterSt.submissions['accepted']!);
    between('sealed sectors', field('store.sealedSectors'), Number(before.store.sealedSectors), Number(afterSt.store.sealedSectors));
    between('uptime', field('uptimeSeconds'), before.uptimeSeconds, afterSt.uptimeSeconds);
    for (const r of ['reverted', 'stale', 'error']) between(r, field(`submissions.${r}`), before.submissions[r]!, afterSt.submissions[r]!);
    assert.ok([before.epoch, afterSt.epoch].includes(field('epoch') ?? null), `epoch ${field('epoch')}`);
    assert.ok([String(before.mining), String(afterSt.mining)].includes(field('mining')!));
    assert.equal(field('gpus.0.temperatureC'), '58');
    assert.equal(field('gpus.0.powerW'), '287.5');
    assert.ok(html.includes(before.backend.device), 'backend device shown');
    assert.ok(html.includes(`v${before.version}`), 'version shown');

    // The chart: one line per device with the history's points, inside the drawing area.
    const [, , vw, vh] = els.find((e) => e.attrs['id'] === 'chart')!.attrs['viewBox']!.split(' ').map(Number);
    const lines = els.filter((e) => e.tag === 'polyline');
    assert.equal(lines.length, Object.keys(before.hashrateHistory.devices).length);
    for (const l of lines) {
      const device = l.attrs['data-device']!;
      assert.ok(device in afterSt.hashrateHistory.devices, `chart device ${device}`);
      const pts = l.attrs['points']!.trim().split(/\s+/).map((p) => p.split(',').map(Number));
      assert.ok(pts.length >= 3, `${device}: ${pts.length} points`);
      assert.equal(pts.length, Number(l.attrs['data-points']));
      for (const [x, y] of pts) assert.ok(x! >= 0 && x! <= vw! && y! >= 0 && y! <= vh!, `point ${x},${y} outside the chart (${vw}×${vh})`);
    }

    // The last answers are listed, each one /status knows.
    const known = seenAnswers;
    const rows = els.filter((e) => e.attrs['data-answer'] !== undefined);
    assert.ok(rows.length >= 1 && rows.length <= 10);
    for (const r of rows) assert.ok(known.has(r.attrs['data-answer']!), `answer ${r.attrs['data-answer']} not in /status`);

    mkdirSync(ARTIFACTS, { recursive: true });
    const desktop = join(ARTIFACTS, 'dashboard.png');
    const phone = join(ARTIFACTS, 'dashboard-phone.png');
    await within(100_000, 'chromium --screenshot (desktop)', screenshot(base, desktop, 1280, 1500), tail);
    await within(100_000, 'chromium --screenshot (phone)', screenshot(base, phone, 390, 2400), tail);
    for (const f of [desktop, phone]) {
      assert.deepEqual([...readFileSync(f).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${f} is a PNG`);
      assert.ok(statSync(f).size > 20_000, `${f} has content`);
    }

    child.kill('SIGINT');
    assert.equal(await within(60_000, 'devnet stop after SIGINT', exited, tail), 0, tail());
    const logText = readFileSync(logFile, 'utf8');
    assert.match(logText, /dashboard on http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(logText, /summary: up \S+.*, \d+ nonces \(average cpu:.* nonces\/s\), \d+ hits .*submissions accepted [1-9]\d*, reverted \d+, stale \d+, error \d+/);
    assert.doesNotMatch(logText, /hit at \d+ dropped/, 'single dropped-hit lines stay at debug');
  } finally {
    child.kill('SIGKILL');
    smi.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dashboard: absent sections say so, unknown ones are listed, no external requests', { skip, timeout: 120_000 }, async () => {
  const file = readFileSync(join(REPO_ROOT, 'web/dashboard.html'), 'utf8');
  assert.doesNotMatch(file, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external scripts, styles or links');
  assert.doesNotMatch(file, /@import|url\(\s*["']?https?:/i);

  const metrics = createMetrics({ version: '0', backend: 'cpu', adapter: 'x', processMetrics: false });
  const status = {
    mining: false,
    pauseReason: 'waiting for the first mining context',
    submissions: { accepted: 0, reverted: 0, stale: 0, error: 0 },
    sync: { peers: [{ url: 'http://10.0.0.7:5678', state: 'loading', syncedSectors: 512, totalSectors: 2048 }], rejected: 1 },
    futureSection: { answer: 42 },
  };
  const server = await startMetricsServer({ address: '127.0.0.1:0', metrics, status: () => status });
  try {
    const html = await dumpDom(`${server.url}/`);
    const els = elements(html);
    const body = els.find((e) => e.tag === 'body')!;
    assert.equal(body.attrs['data-render-errors'], '0');
    const text = visibleText(html);
    assert.match(text, /this miner does not report GPU health/);
    assert.match(text, /no hashrate history in \/status/);
    assert.match(text, /paused: waiting for the first mining context/);
    assert.match(text, /no warning list in \/status/);
    assert.match(text, /http:\/\/10\.0\.0\.7:5678/, 'sync peers listed');
    assert.match(text, /25\.0 %/, 'sync progress of the peer');
    assert.ok(els.some((e) => e.attrs['data-section'] === 'futureSection'), 'unknown section shown');
    assert.match(text, /answer 42/);
  } finally {
    await server.close();
  }
});
