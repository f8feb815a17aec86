/**
 * kill -9 mid-sync (issue #7): a syncing process (test/helpers/syncChild: the production LoadSync
 * and SealedStore) is killed with SIGKILL at seeded random points while it fetches, verifies and
 * group-commits loads from a peer, then restarted, until it finishes. After every kill, every load
 * the store calls complete must hold the chain's bytes (a half-written load is never treated as
 * verified); at the end all loads are stored and scrub-clean, and no restart fetched again a load
 * that was committed before its kill (resumable).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SealedStore } from '../../src/store/sealedStore.js';
import { checkLoad, isDamaged } from '../../src/store/scrub.js';
import { BYTES_PER_LOAD } from '../../src/spec.js';
import { startRandomPeer } from '../../src/cli/cmds/benchSyncPeer.js';
import { subsToJson } from '../helpers/syncFixtures.js';

const CHILD = fileURLToPath(new URL('../helpers/syncChild.js', import.meta.url));
const LOADS = 256;
const KILLS = 5;

/** mulberry32: the kill points are reproducible from the seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

interface Run {
  child: ChildProcess;
  /** Resolves when `n` loads were stored in this run (or rejects if it exits first). */
  synced(n: number): Promise<void>;
  done: Promise<string>;
  exit: Promise<number | null>;
  stderr: string[];
}

function startChild(dir: string, url: string, subsFile: string): Run {
  const child = spawn(process.execPath, [CHILD, dir, url, subsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => (children.delete(child), resolve(code))));
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let doneLine: (l: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (doneLine = resolve));
  let buf = '';
  child.stdout!.on('data', (b: Buffer) => {
    buf += b.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'synced') count++;
      else if (line.startsWith('done')) doneLine(line);
      for (const w of [...waiters]) if (count >= w.n) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    }
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  return {
    child,
    synced: (n) =>
      new Promise<void>((resolve, reject) => {
        if (count >= n) return resolve();
        waiters.push({ n, resolve });
        void exit.then((code) => reject(new Error(`the syncing process exited (${code}) after ${count} loads, before ${n}: ${stderr.join('')}`)));
      }),
    done,
    exit,
    stderr,
  };
}

test('sync: kill -9 at random points mid-sync leaves no half-written load treated as verified; restarts re-fetch nothing committed', async () => {
  const fetched: { run: number; load: bigint }[] = [];
  let run = 0;
  const peer = await startRandomPeer(LOADS, { onData: (load) => void fetched.push({ run, load }) });
  const tmp = mkdtempSync(join(tmpdir(), 'zg-kill-sync-'));
  const dir = join(tmp, 'store');
  const subsFile = join(tmp, 'subs.json');
  writeFileSync(subsFile, subsToJson(peer.subs));
  const random = rng(0x5eed7);
  // Loads below `first` are the flow's zero gap before the first height-16 node: zeros, synced too.
  const all = Number(peer.first) + LOADS;
  const expected = (l: bigint): Buffer =>
    l < peer.first ? Buffer.alloc(BYTES_PER_LOAD) : Buffer.from(peer.data.subarray(Number(l - peer.first) * BYTES_PER_LOAD, Number(l - peer.first + 1n) * BYTES_PER_LOAD));
  /** Opens the store as the next start would; checks every complete load; returns them. */
  const committed = async (when: string): Promise<Set<bigint>> => {
    const store = await SealedStore.open(dir, { minerId: new Uint8Array(32) });
    try {
      const out = new Set<bigint>();
      for (let l = 0n; l < BigInt(all); l++) {
        if (!store.isLoadComplete(l)) continue;
        out.add(l);
        assert.ok(Buffer.from(await store.readRawLoad(l)).equals(expected(l)), `${when}: load ${l} is complete but does not hold the chain's bytes`);
        const c = await checkLoad(store, new Uint8Array(32), l, false);
        assert.ok(c !== null && !isDamaged(c), `${when}: load ${l} fails the scrub: ${JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      }
      return out;
    } finally {
      await store.close();
    }
  };
  try {
    const before: Set<bigint>[] = [];
    let total = 0;
    for (; run < KILLS; run++) {
      const r = startChild(dir, peer.url, subsFile);
      // Kill after a random number of stored loads (leaving loads for later runs) plus a random pause,
      // so the kill lands anywhere in the fetch / verify / write / fdatasync / journal pipeline.
      const target = 1 + Math.floor(random() * (all / (KILLS + 2)));
      await r.synced(target);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
      r.child.kill('SIGKILL');
      assert.equal(await r.exit, null, 'killed, not finished');
      const got = await committed(`after kill ${run + 1}`);
      assert.ok(got.size >= total + target, `kill ${run + 1}: ${got.size} loads stored, at least ${total + target} were reported stored`);
      total = got.size;
      before.push(got);
    }
    assert.ok(total < all, `the kills came before the end (${total} of ${all} stored)`);
    const last = startChild(dir, peer.url, subsFile);
    const code = await last.exit;
    assert.equal(code, 0, last.stderr.join(''));
    const line = await last.done;
    const [stored, wanted] = line.replace('done ', '').split('/').map(Number);
    assert.equal(stored, wanted, line);
    const final = await committed('at the end');
    assert.equal(final.size, all, 'every load is stored');
    // Resumable: a restart fetched none of the loads committed before the kill that preceded it.
    for (let k = 1; k <= KILLS; k++) {
      const again = fetched.filter((f) => f.run === k && before[k - 1]!.has(f.load)).map((f) => f.load);
      assert.deepEqual(again, [], `restart ${k} fetched loads committed before kill ${k}`);
    }
    assert.ok(fetched.some((f) => f.run === KILLS), 'the last run fetched the rest');
  } finally {
    await peer.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
