import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LoadReader } from '../../src/store/loader.js';
import { THREADPOOL_SIZE, loaderEnv } from '../../src/store/threadpool.js';
import { spawnSync } from 'node:child_process';
import { MinerError } from '../../src/errors.js';

const LOAD = 262144;
const dir = mkdtempSync(join(tmpdir(), 'zg-loader-'));
const file = join(dir, 'loads.bin');
writeFileSync(file, randomBytes(LOAD * 8 + 4096 * 3)); // 8 loads and a partial ninth
const content = readFileSync(file);

function expected(L: number): Uint8Array {
  const out = new Uint8Array(LOAD);
  out.set(content.subarray(L * LOAD, Math.min(content.length, (L + 1) * LOAD)));
  return out;
}

test('loader: the pool size is what the environment said at process start', () => {
  const atStart = process.env['UV_THREADPOOL_SIZE'];
  assert.equal(THREADPOOL_SIZE, atStart === undefined ? 4 : Number(atStart));
  const env = loaderEnv(200);
  assert.equal(env['UV_THREADPOOL_SIZE'], '200');
  assert.equal(env['MALLOC_MMAP_THRESHOLD_'] !== undefined, true);
  const child = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const m = await import(${JSON.stringify(new URL('../../src/store/threadpool.js', import.meta.url).href)}); console.log(m.THREADPOOL_SIZE)`], { env, encoding: 'utf8' });
  assert.equal(child.stdout.trim(), '200');
});

for (const direct of ['auto', false] as const) {
  test(`loader: 200 random reads, >= 32 in flight, bytes exact (direct ${direct})`, async () => {
    const reader = LoadReader.open(file, { direct, inflight: 32 });
    if (direct === false) assert.equal(reader.direct, false);
    const records: [number, number][] = [];
    const metrics = { recordRead: (bytes: number, seconds: number) => records.push([bytes, seconds]) };
    const order = Array.from({ length: 200 }, (_, i) => (i * 7) % 10); // loads 0..9: 9 is past EOF, 8 partial
    const got = await Promise.all(order.map((L) => reader.readLoad(BigInt(L), metrics)));
    for (const [i, L] of order.entries()) assert.deepEqual(got[i], expected(L), `read ${i} (load ${L})`);
    assert.equal(reader.peakInflight, 32, 'the queue fills to the configured depth');
    assert.equal(reader.active, 0);
    assert.equal(records.length, 200);
    assert.ok(records.every(([b, s]) => b === LOAD && s >= 0 && s < 30));
    reader.close();
  });
}

test('loader: reads into a caller buffer and at seal granularity', async () => {
  const reader = LoadReader.open(file);
  const into = new Uint8Array(LOAD).fill(0xff);
  await reader.readLoad(3n, undefined, into);
  assert.deepEqual(into, expected(3));
  const seal = await reader.read(5 * LOAD + 7 * 4096, 4096);
  assert.deepEqual(seal, new Uint8Array(content.subarray(5 * LOAD + 7 * 4096, 5 * LOAD + 8 * 4096)));
  await assert.rejects(reader.read(100, 4096), RangeError);
  reader.close();
  await assert.rejects(reader.readLoad(0n), (e) => e instanceof MinerError && e.code === 'STORE_ERROR');
});

test('loader: zero-copy withLoad lends the buffer until fn settles', async () => {
  const reader = LoadReader.open(file, { inflight: 2 });
  const firsts = await Promise.all([1, 2, 3, 4].map((L) => reader.withLoad(BigInt(L), async (view) => {
    assert.equal(view.length, LOAD);
    await new Promise((r) => setTimeout(r, 5)); // other reads wait: the slot stays lent meanwhile
    return Uint8Array.from(view);
  })));
  for (const [i, L] of [1, 2, 3, 4].entries()) assert.deepEqual(firsts[i], expected(L));
  assert.equal(reader.peakInflight, 2);
  await assert.rejects(reader.withLoad(1n, () => { throw new Error('consumer failed'); }), /consumer failed/);
  assert.equal(reader.active, 0, 'the slot is returned after a throwing consumer');
  reader.close();
});

test('loader: a missing file is a one-line STORE_ERROR', () => {
  const missing = join(dir, 'none.bin');
  assert.throws(() => LoadReader.open(missing), (e: unknown) => {
    assert.ok(e instanceof MinerError);
    assert.equal(e.message, `${missing}: cannot open for reading (ENOENT)`);
    return true;
  });
});
