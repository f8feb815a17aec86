/**
 * The `rs-` vector kind (shared/vectors/README.md, "rs"): case data from the xoshiro128** (SHA-256 seeded)
 * PRNG, parity through an ErasureCoder compared digest by digest, then every reconstruct trial,
 * including those that must fail with too few shards.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../bytes.js';
import { encode, reconstruct, type ErasureCoder } from '../ec/coder.js';
import { parityMatrix, TooFewShardsError, type RsParams } from '../ec/reedSolomon.js';
import { CaseFieldError, getField, jsonArray, jsonObject, type JsonObject } from './vectorCase.js';

/** The README's PRNG: state = SHA-256(seed), xoshiro128** output words little-endian. */
export function prngBytes(seed: string, length: number): Uint8Array {
  const h = createHash('sha256').update(seed, 'utf8').digest();
  let s0 = h.readUInt32LE(0);
  let s1 = h.readUInt32LE(4);
  let s2 = h.readUInt32LE(8);
  let s3 = h.readUInt32LE(12);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const x = Math.imul(s1, 5);
    const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (r >>> (8 * j)) & 0xff;
  }
  return out;
}

export function sha256Hex(b: Uint8Array): string {
  return '0x' + createHash('sha256').update(b).digest('hex');
}

export interface RsTrial {
  erased: number[];
  ok: boolean;
  /** ok: digests of the erased shards in `erased` order. */
  recovered: { index: number; sha256: string }[];
}

export interface RsVectorCase extends RsParams {
  id: string;
  shardSize: number;
  data: Uint8Array;
  expected: JsonObject;
  trials: RsTrial[];
}

function int(o: JsonObject, key: string, prefix = ''): number {
  const v = getField(o, key, prefix);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CaseFieldError(prefix + key, 'expected a non-negative integer');
  return v;
}

export function parseRsCase(raw: unknown): RsVectorCase {
  const o = jsonObject(raw, '(case)');
  const id = getField(o, 'id');
  if (typeof id !== 'string') throw new CaseFieldError('id', 'expected a string');
  const k = int(o, 'dataShards');
  const m = int(o, 'parityShards');
  const shardSize = int(o, 'shardSize');
  const d = jsonObject(getField(o, 'data'), 'data');
  const length = int(d, 'length', 'data.');
  if (length !== k * shardSize) throw new CaseFieldError('data.length', `expected dataShards × shardSize = ${k * shardSize}`);
  let data: Uint8Array;
  if (d['prng'] !== undefined) {
    if (d['prng'] !== 'xoshiro128**/sha256-seed') throw new CaseFieldError('data.prng', 'expected "xoshiro128**/sha256-seed"');
    const seed = getField(d, 'seed', 'data.');
    if (typeof seed !== 'string') throw new CaseFieldError('data.seed', 'expected a string');
    data = prngBytes(seed, length);
  } else {
    const fill = int(d, 'fill', 'data.');
    if (fill > 255) throw new CaseFieldError('data.fill', 'expected a byte');
    data = new Uint8Array(length).fill(fill);
  }
  const trials = (o['reconstruct'] === undefined ? [] : jsonArray(o['reconstruct'], 'reconstruct')).map((t, i): RsTrial => {
    const p = `reconstruct[${i}].`;
    const to = jsonObject(t, `reconstruct[${i}]`);
    const erased = jsonArray(getField(to, 'erased', p), p + 'erased').map((x) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= k + m) throw new CaseFieldError(p + 'erased', `expected shard indices 0..${k + m - 1}`);
      return x;
    });
    const ok = getField(to, 'ok', p);
    if (typeof ok !== 'boolean') throw new CaseFieldError(p + 'ok', 'expected a boolean');
    const recovered = ok
      ? jsonArray(getField(to, 'recovered', p), p + 'recovered').map((r, j) => {
          const ro = jsonObject(r, `${p}recovered[${j}]`);
          const sha = getField(ro, 'sha256', `${p}recovered[${j}].`);
          if (typeof sha !== 'string') throw new CaseFieldError(`${p}recovered[${j}].sha256`, 'expected a hex string');
          return { index: int(ro, 'index', `${p}recovered[${j}].`), sha256: sha.toLowerCase() };
        })
      : [];
    return { erased, ok, recovered };
  });
  return { id, k, m, shardSize, data, expected: jsonObject(getField(o, 'expected'), 'expected'), trials };
}

/** [field, expected, got] triples of one rs case's encode check. */
export async function checkRsEncode(c: RsVectorCase, coder: ErasureCoder): Promise<{ shards: Uint8Array[]; diffs: [string, string, string][] }> {
  const S = c.shardSize;
  const shards = Array.from({ length: c.k + c.m }, (_, i) => (i < c.k ? c.data.slice(i * S, (i + 1) * S) : new Uint8Array(S)));
  const diffs: [string, string, string][] = [];
  const e = c.expected;
  const str = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : JSON.stringify(v));
  if (e['dataSha256'] !== undefined) diffs.push(['dataSha256', str(e['dataSha256']), sha256Hex(c.data)]);
  if (e['dataHex'] !== undefined) diffs.push(['dataHex', str(e['dataHex']), toHex(c.data)]);
  if (e['parityRows'] !== undefined) {
    const pm = parityMatrix(c);
    const rows = Array.from({ length: c.m }, (_, j) => [...pm.data.subarray(j * c.k, (j + 1) * c.k)]);
    diffs.push(['parityRows', JSON.stringify(e['parityRows']), JSON.stringify(rows)]);
  }
  await encode(coder, c, [shards]);
  const parity = shards.slice(c.k);
  const all = new Uint8Array(c.m * S);
  parity.forEach((p, j) => all.set(p, j * S));
  if (e['paritySha256'] !== undefined) diffs.push(['paritySha256', str(e['paritySha256']), sha256Hex(all)]);
  const per = e['parityShardSha256'];
  if (Array.isArray(per)) per.forEach((h, j) => diffs.push([`parityShardSha256[${j}]`, str(h), parity[j] ? sha256Hex(parity[j]) : 'nothing']));
  const hex = e['parityHex'];
  if (Array.isArray(hex)) hex.forEach((h, j) => diffs.push([`parityHex[${j}]`, str(h), parity[j] ? toHex(parity[j]) : 'nothing']));
  return { shards, diffs };
}

/** [field, expected, got] triples of one reconstruct trial on the encoded codeword `shards`. */
export async function checkRsTrial(c: RsVectorCase, t: RsTrial, shards: readonly Uint8Array[], coder: ErasureCoder): Promise<[string, string, string][]> {
  const erased = new Set(t.erased);
  const input = shards.map((s, i) => (erased.has(i) ? null : s));
  let got: Uint8Array[] | null = null;
  let error = '';
  try {
    got = await reconstruct(coder, c, input);
  } catch (e) {
    if (!(e instanceof TooFewShardsError)) throw e;
    error = 'TooFewShardsPresent';
  }
  if (!t.ok) return [['error', 'TooFewShardsPresent', got === null ? error : `${got.length} shards returned`]];
  if (got === null) return [['ok', 'true', error]];
  return t.recovered.map((r, j) => [`recovered[${j}] (shard ${r.index})`, r.sha256, got[r.index] ? sha256Hex(got[r.index]!) : 'nothing']);
}
