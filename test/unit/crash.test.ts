/**
 * Kill -9 at random instants while a child process writes flow data and commits seals; after each
 * kill the store must reopen, keep every acknowledged write, and hold no byte that disagrees with
 * the flow (raw) or with its recorded seal context (sealed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SealedStore } from '../../src/store/sealedStore.js';
import { unseal } from '../../src/core/seal.js';
import { completeRoot, sectorLeaves } from '../../src/core/merkle.js';
import { CRASH_CONTEXTS, CRASH_LOADS, CRASH_MINER, ZERO_FROM, expectedLoad } from './crashChild.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'crashChild.js');
const ROUNDS = 14;
const EXTRA_ROUNDS = 10;

function runAndKill(dir: string, seed: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    // The kill clock starts at the child's first acknowledgement, not at spawn: on a loaded machine
    // Node's start-up alone can outlast killAfterMs, and a kill before any write tests nothing.
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const silent = setTimeout(() => {
      if (timer === undefined) {
        err += 'no acknowledgement within 60 s of spawn';
        child.kill('SIGTERM');
      }
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(silent);
      if (signal !== 'SIGKILL') reject(new Error(`child exited early (code ${code ?? signal}): ${err}`));
      else resolve(out.split('\n').filter((l) => l.length > 0));
    });
  });
}

test('crash: SIGKILL during writeFlowData/commitSealed loses and corrupts nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-crash-'));
  const acked = new Map<number, boolean>(); // sector -> acknowledged known
  const ackedSeals = new Map<string, string>(); // "L:i" -> ctx name, cleared when a reseal begins
  const forgotten = new Set<number>(); // loads whose forget was acknowledged, no data written since
  let forgets = 0;
  let sealsAcked = 0;
  let ops = 0;
  let kills = 0;
  let seed = 1;
  // On a loaded machine a short run may complete no load before its kill, and a forget can undo a
  // completion: extra, longer rounds follow until a seal has been acknowledged (bounded).
  for (let round = 0; round < ROUNDS || (sealsAcked === 0 && round < ROUNDS + EXTRA_ROUNDS); round++) {
    const lines = await runAndKill(dir, seed++, round < ROUNDS ? 250 + ((round * 97) % 400) : 2000);
    kills++;
    for (const line of lines) {
      const [kind, x, y, z] = line.split(' ');
      if (kind === 'K' || kind === 'Z') {
        for (let p = Number(x); p < Number(y); p++) acked.set(p, true);
        if (kind === 'K') forgotten.delete(Math.floor(Number(x) / 1024));
        ops++;
      } else if (kind === 'F' || kind === 'f') {
        // From its start the forget may have happened: data sectors and seals are no longer owed.
        const L = Number(x);
        for (let s = 0; s < ZERO_FROM; s++) acked.delete(L * 1024 + s);
        for (let i = 0; i < 64; i++) ackedSeals.delete(`${L}:${i}`);
        if (kind === 'f') {
          forgotten.add(L);
          forgets++;
          ops++;
        }
      } else if (kind === 'B' || kind === 'S') {
        const mask = BigInt(y!);
        for (let i = 0; i < 64; i++) {
          if (((mask >> BigInt(i)) & 1n) === 0n) continue;
          if (kind === 'B') ackedSeals.delete(`${x}:${i}`);
          else ackedSeals.set(`${x}:${i}`, z!);
        }
        if (kind === 'S') {
          ops++;
          sealsAcked++;
        }
      }
    }

    const store = await SealedStore.open(dir, { minerId: CRASH_MINER });
    try {
      for (let L = 1; L <= CRASH_LOADS; L++) {
        const want = expectedLoad(L);
        const raw = await store.readRawLoad(BigInt(L));
        let ackedHere = 0;
        for (let s = 0; s < 1024; s++) {
          const got = raw.subarray(s * 256, (s + 1) * 256);
          const isAcked = acked.get(L * 1024 + s) === true;
          if (isAcked) ackedHere++;
          const exp = want.subarray(s * 256, (s + 1) * 256);
          // Known sectors hold the flow bytes; unknown ones read as zeros; never anything else.
          const ok = got.every((b, k) => b === exp[k]) || (!isAcked && got.every((b) => b === 0));
          assert.ok(ok, `round ${round}: load ${L} sector ${s} holds bytes that are not flow data`);
        }
        assert.ok(store.knownSectors(BigInt(L)) >= ackedHere, `round ${round}: load ${L} lost acknowledged sectors`);
        if (forgotten.has(L)) {
          // An acknowledged forget survives the kill: no data sector known again, nothing sealed.
          assert.equal(store.isLoadComplete(BigInt(L)), false, `round ${round}: forgotten load ${L} is complete again`);
          assert.equal(store.sealedMask(BigInt(L)), 0n, `round ${round}: forgotten load ${L} has seals`);
          assert.ok(store.forgottenLoads().includes(BigInt(L)), `round ${round}: load ${L} is not listed as forgotten`);
        }
        if (store.isLoadComplete(BigInt(L))) {
          assert.deepEqual(raw, want);
          assert.deepEqual(store.loadRoot(BigInt(L)), completeRoot(sectorLeaves(want)), `round ${round}: load ${L} root`);
        }
        const mask = store.sealedMask(BigInt(L));
        for (let i = 0; i < 64; i++) {
          const ackedCtx = ackedSeals.get(`${L}:${i}`);
          const sealed = ((mask >> BigInt(i)) & 1n) === 1n;
          if (ackedCtx !== undefined) {
            assert.ok(sealed, `round ${round}: load ${L} seal ${i} was acknowledged but is not sealed`);
            assert.deepEqual(store.sealContext(BigInt(L), i), CRASH_CONTEXTS[ackedCtx]);
          }
          if (!sealed) continue;
          const ctx = store.sealContext(BigInt(L), i)!;
          const data = unseal(await store.readSealedSeal(BigInt(L), i), CRASH_MINER, ctx, BigInt(L * 1024 + i * 16));
          assert.deepEqual(data, want.subarray(i * 4096, (i + 1) * 4096), `round ${round}: load ${L} seal ${i} sealed bytes corrupt`);
        }
      }
    } finally {
      await store.close();
    }
  }
  // The run must have exercised both paths, or the test proves nothing.
  assert.ok(kills >= ROUNDS);
  assert.ok(ops > 50, `only ${ops} operations acknowledged`);
  // (Counted as they came: a later forget may have retracted every one of them.)
  assert.ok(sealsAcked > 0, 'no seal was ever acknowledged');
  assert.ok(forgets > 0, 'no forget was ever acknowledged');
  assert.ok(ZERO_FROM < 1024);
});
