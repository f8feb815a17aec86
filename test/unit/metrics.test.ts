import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../../src/metrics/metrics.js';
import { parseListenAddress, startMetricsServer } from '../../src/metrics/server.js';
import { MinerError } from '../../src/errors.js';

/** Parses exposition text into sample lines {name, labels, value} and the declared TYPE per family. */
function parseExposition(text: string): { samples: { name: string; labels: string; value: number }[]; types: Map<string, string> } {
  const samples: { name: string; labels: string; value: number }[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
    } else if (line.length > 0 && !line.startsWith('#')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      assert.ok(m, `malformed sample line: ${line}`);
      samples.push({ name: m[1]!, labels: m[2] ?? '', value: Number(m[3]) });
    }
  }
  return { samples, types };
}

test('metrics: names, types, units and values over loopback HTTP', async () => {
  let nowMs = 1_000_000;
  const metrics = createMetrics({ version: '0.1.0', backend: 'cpu', adapter: 'test cpu', now: () => nowMs });
  const server = await startMetricsServer({ address: '127.0.0.1:0', metrics, status: () => ({ epoch: 12n, minerId: new Uint8Array([1, 2]), mining: true }) });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    metrics.recordNonces('cpu0', 600);
    nowMs += 1000;
    metrics.recordNonces('cpu0', 600);
    metrics.recordSealHashes('cpu0', 1234);
    metrics.recordHit('cpu0');
    metrics.recordHitRejected('recheck');
    metrics.recordSubmission('accepted');
    metrics.recordSubmission('stale');
    metrics.recordRead(262144, 0.002);
    metrics.recordRead(262144, 0.2);
    metrics.setSealedSectors(4096n);
    metrics.setContextEpoch(77n);
    metrics.recordStoreDamage('raw');
    const forgotten = 2;
    metrics.watchForgottenLoads(() => forgotten);

    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const { samples, types } = parseExposition(await res.text());
    const value = (name: string, labels = ''): number | undefined => samples.find((s) => s.name === name && s.labels === labels)?.value;

    for (const [name, type] of types) {
      assert.match(name, /^[a-z_][a-z0-9_]*$/);
      if (type === 'counter') assert.match(name, /_total$/, `counter ${name} must end in _total`);
      if (name.startsWith('zg_miner_') && type !== 'counter') assert.doesNotMatch(name, /_total$/);
    }
    const expectedTypes: Record<string, string> = {
      zg_miner_nonces_total: 'counter', zg_miner_seal_hashes_total: 'counter', zg_miner_hits_total: 'counter',
      zg_miner_hits_rejected_total: 'counter', zg_miner_submissions_total: 'counter', zg_miner_read_bytes_total: 'counter',
      zg_miner_read_seconds: 'histogram', zg_miner_sealed_sectors: 'gauge', zg_miner_context_epoch: 'gauge',
      zg_miner_hashrate: 'gauge', zg_miner_info: 'gauge', process_cpu_seconds_total: 'counter',
      zg_miner_store_damaged_loads_total: 'counter', zg_miner_store_forgotten_loads: 'gauge',
    };
    for (const [name, type] of Object.entries(expectedTypes)) assert.equal(types.get(name), type, name);

    assert.equal(value('zg_miner_nonces_total', '{device="cpu0"}'), 1200);
    assert.equal(value('zg_miner_seal_hashes_total', '{device="cpu0"}'), 1234);
    assert.equal(value('zg_miner_hits_total', '{device="cpu0"}'), 1);
    assert.equal(value('zg_miner_hits_rejected_total', '{reason="recheck"}'), 1);
    assert.equal(value('zg_miner_submissions_total', '{result="accepted"}'), 1);
    assert.equal(value('zg_miner_submissions_total', '{result="stale"}'), 1);
    assert.equal(value('zg_miner_read_bytes_total'), 524288);
    assert.equal(value('zg_miner_read_seconds_count'), 2);
    assert.equal(value('zg_miner_read_seconds_bucket', '{le="0.0025"}'), 1);
    assert.equal(value('zg_miner_read_seconds_bucket', '{le="+Inf"}'), 2);
    assert.equal(value('zg_miner_sealed_sectors'), 4096);
    assert.equal(value('zg_miner_context_epoch'), 77);
    assert.equal(value('zg_miner_store_damaged_loads_total', '{kind="raw"}'), 1);
    assert.equal(value('zg_miner_store_forgotten_loads'), 2, 'read from the store at scrape time');
    assert.equal(value('zg_miner_hashrate', '{device="cpu0"}'), 600, '1200 nonces over 2 s');
    assert.equal(value('zg_miner_info', '{version="0.1.0",backend="cpu",adapter="test cpu"}'), 1);

    const status = await fetch(`${server.url}/status`);
    assert.equal(status.headers.get('content-type'), 'application/json');
    assert.deepEqual(await status.json(), { epoch: '12', minerId: '0x0102', mining: true });
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});

test('metrics: hashrate is a 60 s sliding window', () => {
  let nowMs = 5_000_000;
  const m = createMetrics({ version: 'v', backend: 'gpu', adapter: 'a', now: () => nowMs, processMetrics: false });
  assert.equal(m.hashrate('gpu0'), 0);
  for (let s = 0; s < 120; s++) {
    m.recordNonces('gpu0', s < 60 ? 100 : 300);
    nowMs += 1000;
  }
  // now = 120 s after start: the window holds seconds 61..119 (300/s each) and second 120 is empty.
  assert.equal(m.hashrate('gpu0'), (59 * 300) / 60);
  nowMs += 120_000;
  assert.equal(m.hashrate('gpu0'), 0, 'idle for two windows');
  assert.throws(() => m.recordNonces('gpu0', -1), RangeError);
});

test('metrics: private registries do not collide; address parsing', async () => {
  const a = createMetrics({ version: '1', backend: 'cpu', adapter: 'x', processMetrics: false });
  const b = createMetrics({ version: '2', backend: 'cpu', adapter: 'y', processMetrics: false });
  a.recordHit('d');
  assert.match(await a.scrape(), /zg_miner_hits_total\{device="d"\} 1/);
  assert.doesNotMatch(await b.scrape(), /zg_miner_hits_total\{device="d"\}/);
  assert.deepEqual(parseListenAddress('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  assert.throws(() => parseListenAddress('9464'), (e: unknown) =>
    e instanceof MinerError && e.message === 'metrics address: expected "host:port" (e.g. 127.0.0.1:9464), got "9464"');
  const first = await startMetricsServer({ address: '127.0.0.1:0', metrics: a, status: () => ({}) });
  const port = new URL(first.url).port;
  await assert.rejects(startMetricsServer({ address: `127.0.0.1:${port}`, metrics: b, status: () => ({}) }), (e: unknown) =>
    e instanceof MinerError && e.message === `metrics address 127.0.0.1:${port}: cannot listen (EADDRINUSE); choose another --metrics-address`);
  await first.close();
});
