/**
 * Child process for crash.test.ts: opens the store and mutates it forever (flow writes, known
 * zeros, seals and reseals, with a checkpoint every 24 journal records) until the parent kills
 * it with SIGKILL. Each line on stdout is written
 * synchronously (a pipe on Linux), so the parent knows which operations were acknowledged:
 *   K <start> <end>        writeFlowData of sectors [start, end) resolved
 *   Z <start> <end>        markKnownZero resolved
 *   B <load> <mask>        a (re)seal of these seals is about to start
 *   S <load> <mask> <ctx>  commitSealed resolved (ctx = 'a' or 'b')
 *   F <load>               a forgetLoad is about to start
 *   f <load>               forgetLoad resolved (its data sectors unknown, its seals retracted)
 * Run with no arguments (as `node --test dist/test/` does for every file) it does nothing.
 */
import { SealedStore } from '../../src/store/sealedStore.js';
import { seal } from '../../src/core/seal.js';
import { writeSync } from 'node:fs';

export const CRASH_MINER = new Uint8Array(32).fill(0x42);
export const CRASH_CONTEXTS: Record<string, Uint8Array> = { a: new Uint8Array(32).fill(0xaa), b: new Uint8Array(32).fill(0xbb) };
export const CRASH_LOADS = 6;
/** Sectors [ZERO_FROM, 1024) of each load are flow padding (known zeros); below that, data. */
export const ZERO_FROM = 1000;

/** Content of data sector p: never all zeros, different per sector. */
export function sectorContent(p: number): Uint8Array {
  const s = new Uint8Array(256).fill(0x5a);
  s[0] = p & 0xff;
  s[1] = (p >> 8) & 0xff;
  s[2] = 1;
  return s;
}

export function expectedLoad(L: number): Uint8Array {
  const out = new Uint8Array(262144);
  for (let s = 0; s < ZERO_FROM; s++) out.set(sectorContent(L * 1024 + s), s * 256);
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

async function run(dir: string, seed: number): Promise<void> {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  // A tiny checkpoint threshold: checkpoints and journal rotations happen every few operations,
  // so kills also land inside them (the parent's opens use the default).
  const store = await SealedStore.open(dir, { minerId: CRASH_MINER, checkpointBytes: 64 * 24 });
  for (;;) {
    const L = 1 + int(CRASH_LOADS);
    const r = rnd();
    if (r < 0.5 && !store.isLoadComplete(BigInt(L))) {
      const a = int(ZERO_FROM);
      const b = Math.min(ZERO_FROM, a + 1 + int(400));
      const data = new Uint8Array((b - a) * 256);
      for (let s = a; s < b; s++) data.set(sectorContent(L * 1024 + s), (s - a) * 256);
      await store.writeFlowData(BigInt(L * 1024 + a), data);
      say(`K ${L * 1024 + a} ${L * 1024 + b}`);
    } else if (r < 0.6) {
      const a = ZERO_FROM + int(1024 - ZERO_FROM);
      const b = a + 1 + int(1024 - a);
      await store.markKnownZero(BigInt(L * 1024 + a), BigInt(L * 1024 + b));
      say(`Z ${L * 1024 + a} ${L * 1024 + b}`);
    } else if (r < 0.63 && store.isLoadComplete(BigInt(L))) {
      say(`F ${L}`);
      await store.forgetLoad(BigInt(L));
      say(`f ${L}`);
    } else if (store.isLoadComplete(BigInt(L))) {
      const raw = await store.readRawLoad(BigInt(L));
      const ctxName = rnd() < 0.5 ? 'a' : 'b';
      const ctx = CRASH_CONTEXTS[ctxName]!;
      const first = int(64);
      const count = 1 + int(Math.min(16, 64 - first));
      const seals = [];
      let mask = 0n;
      for (let i = first; i < first + count; i++) {
        seals.push({ sealIndex: i, sealed: seal(raw.subarray(i * 4096, (i + 1) * 4096), CRASH_MINER, ctx, BigInt(L * 1024 + i * 16)), contextDigest: ctx });
        mask |= 1n << BigInt(i);
      }
      say(`B ${L} ${mask}`);
      await store.commitSealed(BigInt(L), seals);
      say(`S ${L} ${mask} ${ctxName}`);
    }
  }
}

const [dir, seed] = process.argv.slice(2);
if (dir !== undefined && seed !== undefined) {
  await run(dir, Number(seed));
}
