import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { AioRing, loadAio } from '../../src/store/aio.js';
import { LoadReader } from '../../src/store/loader.js';
import { MinerError } from '../../src/errors.js';

const LOAD = 262144;

const TMPFS_MAGIC = 0x01021994;

/**
 * Whether `dir` is on a disk filesystem that opens files with O_DIRECT. tmpfs either refuses
 * O_DIRECT or (Linux 6.6+) takes it without the alignment rules these tests check.
 */
function directWorks(dir: string): boolean {
  if (statfsSync(dir).type === TMPFS_MAGIC) return false;
  const probe = join(dir, 'probe');
  writeFileSync(probe, new Uint8Array(4096));
  try {
    closeSync(openSync(probe, constants.O_RDONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

// The first temp root whose filesystem takes O_DIRECT: /tmp is often tmpfs, /var/tmp rarely.
const roots = [...new Set([tmpdir(), '/var/tmp'])];
const dirs = roots.map((r) => mkdtempSync(join(r, 'zg-aio-')));
const dir = dirs.find(directWorks) ?? dirs[0]!;
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const file = join(dir, 'loads.bin');
writeFileSync(file, randomBytes(LOAD * 6 + 4096 * 5)); // 6 loads and a partial seventh
const content = readFileSync(file);
const built = loadAio() !== null;
const skip = !built
  ? 'native AIO addon not built (npm run build:native)'
  : !directWorks(dir)
    ? `no disk filesystem with O_DIRECT under ${roots.join(' or ')} (tmpfs?): set TMPDIR to a folder on disk to run the AIO tests`
    : false;
const aioUrl = new URL('../../src/store/aio.js', import.meta.url).href;
const loaderUrl = new URL('../../src/store/loader.js', import.meta.url).href;

function expected(L: number): Uint8Array {
  const out = new Uint8Array(LOAD);
  out.set(content.subarray(L * LOAD, Math.min(content.length, (L + 1) * LOAD)));
  return out;
}

/** The test file opened with O_DIRECT (the skip condition above guarantees the filesystem takes it). */
function directFd(): number {
  return openSync(file, constants.O_RDONLY | constants.O_DIRECT);
}

test('aio ring: batched reads are byte-exact, short at EOF, bounded by depth', { skip }, async () => {
  const fd = directFd();
  const ring = AioRing.open(4)!;
  assert.ok(ring !== null);
  const views = Array.from({ length: 4 }, () => ring.alignedAlloc(LOAD));
  assert.ok(views.every((v) => ring.aligned(v) && v.length === LOAD));
  assert.equal(ring.aligned(new Uint8Array(views[0]!.buffer, 16, 4096)), false, 'a 16-byte offset is not O_DIRECT-aligned');
  const order = [5, 0, 6, 3];
  const got = await Promise.all(order.map((L, i) => ring.read(fd, views[i]!, L * LOAD)));
  assert.deepEqual(got, [LOAD, LOAD, 4096 * 5, LOAD], 'load 6 is the 5-sector tail');
  for (const [i, L] of order.entries()) {
    const n = got[i]!;
    assert.deepEqual(views[i]!.subarray(0, n), expected(L).subarray(0, n), `load ${L}`);
  }
  // A fifth read while four are in flight is refused, not queued beyond the ring.
  const four = order.map((L, i) => ring.read(fd, views[i]!, L * LOAD));
  await assert.rejects(ring.read(fd, views[0]!, 0), (e: NodeJS.ErrnoException) => e.code === 'EAGAIN');
  await Promise.all(four);
  // Past EOF: zero bytes.
  assert.equal(await ring.read(fd, views[0]!, LOAD * 100), 0);
  ring.close();
  await assert.rejects(ring.read(fd, views[0]!, 0), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
  closeSync(fd);
});

test('aio ring: kernel errors reject with their errno name', { skip }, async () => {
  const fd = directFd();
  const ring = AioRing.open(2)!;
  const buf = ring.alignedAlloc(8192);
  // O_DIRECT refuses a buffer at an odd address.
  await assert.rejects(ring.read(fd, new Uint8Array(buf.buffer, 1, 4096), 0), (e: NodeJS.ErrnoException) => e.code === 'EINVAL');
  await assert.rejects(ring.read(1 << 20, buf, 0), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
  assert.equal(await ring.read(fd, buf, 0), 8192, 'the ring still works after failed reads');
  assert.deepEqual(buf, new Uint8Array(content.subarray(0, 8192)));
  ring.close();
  closeSync(fd);
});

test('loader on aio: 300 random reads, 32 in flight, every path byte-exact', { skip }, async () => {
  const reader = LoadReader.open(file, { inflight: 32 });
  assert.ok(reader.direct, 'the loader opened the file with O_DIRECT');
  assert.equal(reader.engine, 'aio');
  assert.equal(reader.effectiveInflight, 32, 'no thread-pool cap on the AIO engine');
  const order = Array.from({ length: 300 }, (_, i) => (i * 5) % 9); // 7 is past EOF, 6 partial
  const got = await Promise.all(order.map((L, i) =>
    i % 3 === 0 ? reader.readLoad(BigInt(L)) : i % 3 === 1 ? reader.withLoad(BigInt(L), (v) => Uint8Array.from(v)) : reader.readLoad(BigInt(L), undefined, new Uint8Array(LOAD))));
  for (const [i, L] of order.entries()) assert.deepEqual(got[i], expected(L), `read ${i} (load ${L})`);
  assert.equal(reader.peakInflight, 32);
  assert.equal(reader.active, 0);
  const seal = await reader.read(2 * LOAD + 9 * 4096, 4096);
  assert.deepEqual(seal, new Uint8Array(content.subarray(2 * LOAD + 9 * 4096, 2 * LOAD + 10 * 4096)));
  reader.close();
  await assert.rejects(reader.readLoad(0n), (e) => e instanceof MinerError && e.code === 'STORE_ERROR');
});

test('aio ring: fresh loads are aligned, carved 8 to a 2 MiB chunk, and never alias', { skip }, async () => {
  const fd = directFd();
  const ring = AioRing.open(32)!;
  const loads = Array.from({ length: 20 }, () => ring.freshArray(LOAD));
  assert.ok(loads.every((v) => v.length === LOAD && ring.aligned(v)));
  assert.equal(loads[0]!.buffer, loads[7]!.buffer, 'loads 0..7 share one chunk');
  assert.notEqual(loads[7]!.buffer, loads[8]!.buffer, 'load 8 starts the next chunk');
  assert.equal(loads[0]!.buffer.byteLength, 2 << 20);
  await Promise.all(loads.map((v, i) => ring.read(fd, v, (i % 6) * LOAD)));
  for (const [i, v] of loads.entries()) assert.deepEqual(v, expected(i % 6), `fresh load ${i}`);
  loads[1]!.fill(0xab); // a neighbour in the same chunk is untouched
  assert.deepEqual(loads[0], expected(0));
  assert.deepEqual(loads[2], expected(2));
  const odd = ring.freshArray(4096 * 3); // not a divisor of 2 MiB: its own aligned buffer
  assert.ok(ring.aligned(odd) && odd.buffer.byteLength === 4096 * 3);
  ring.close();
  closeSync(fd);
});

test('loader on aio: close with reads in flight rejects them as STORE_ERROR', { skip }, async () => {
  const reader = LoadReader.open(file, { inflight: 8 });
  assert.equal(reader.engine, 'aio');
  const reads = Array.from({ length: 8 }, (_, L) => reader.readLoad(BigInt(L % 6)).then(() => 'read', (e: unknown) => e));
  // Submissions happen in microtasks; completions need the event loop's poll phase, which cannot
  // run before these ticks end. So all 8 are at the kernel, none delivered.
  for (let i = 0; i < 50; i++) await Promise.resolve();
  assert.equal(reader.active, 8);
  reader.close(); // waits for the kernel to finish with the buffers
  for (const r of await Promise.all(reads)) assert.ok(r instanceof MinerError && r.code === 'STORE_ERROR' && /failed \(EBADF\)$/.test(r.message), String(r));
});

function child(env: NodeJS.ProcessEnv, code: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('loader falls back to libuv reads when the addon is off or missing', () => {
  const code = `const a = await import(${JSON.stringify(aioUrl)}); const l = await import(${JSON.stringify(loaderUrl)});
    const r = l.LoadReader.open(${JSON.stringify(file)}); const b = await r.readLoad(1n); r.close();
    console.log(JSON.stringify({ aio: a.loadAio() !== null, reason: a.aioUnavailableReason, engine: r.engine, first: b[0] }));`;
  for (const env of [{ ZGMINER_AIO: '0' }, { ZGMINER_AIO_ADDON: join(dir, 'missing.node') }]) {
    const out = JSON.parse(child(env, code)) as { aio: boolean; reason: string; engine: string; first: number };
    assert.equal(out.aio, false);
    assert.equal(out.engine, 'libuv');
    assert.equal(out.first, content[LOAD]);
    assert.match(out.reason, env.ZGMINER_AIO === '0' ? /ZGMINER_AIO=0/ : /not built/);
  }
});

test('an idle aio reader does not keep the process alive', { skip }, () => {
  // The reader is never closed: the process must still exit once its one read is done.
  const out = child({}, `const l = await import(${JSON.stringify(loaderUrl)});
    const r = l.LoadReader.open(${JSON.stringify(file)}); const b = await r.readLoad(2n); console.log(r.engine + ' ' + b[5]);`);
  const [engine, byte] = out.split(' ');
  assert.equal(engine, 'aio');
  assert.equal(Number(byte), content[2 * LOAD + 5]);
});
