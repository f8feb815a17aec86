/**
 * Value checkers for config keys. Each returns the typed value or throws `MinerError('BAD_CONFIG')`
 * with one line `<source>: <key>: expected ..., got "<value>"`, so a user sees which key in which
 * file (or env variable) is wrong. Secret values are never echoed (see `secretHex32`).
 */
import { MinerError } from '../errors.js';
import { fromHex } from '../bytes.js';

/** Where a value came from: a file path, `env ZGS_NODE__X`, or `overrides`. */
export interface ValueOrigin {
  source: string;
  key: string;
}

export function badConfig(at: ValueOrigin, expected: string, got?: unknown): MinerError {
  const tail = got === undefined ? '' : `, got ${show(got)}`;
  return new MinerError('BAD_CONFIG', `${at.source}: ${at.key}: expected ${expected}${tail}`, {
    meta: { source: at.source, key: at.key },
  });
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return Array.isArray(v) ? 'an array' : 'a table';
  return String(v);
}

export function str(at: ValueOrigin, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw badConfig(at, 'a non-empty string', v);
  return v.trim();
}

export function url(at: ValueOrigin, v: unknown): string {
  const s = str(at, v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw badConfig(at, 'an http(s) or ws(s) URL', v);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol)) throw badConfig(at, 'an http(s) or ws(s) URL', v);
  return s;
}

export function address(at: ValueOrigin, v: unknown): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v.trim())) {
    throw badConfig(at, 'a 0x-prefixed 20-byte address', v);
  }
  return v.trim();
}

const HEX32 = /^(0x)?([0-9a-fA-F]{64})$/;

export function hex32(at: ValueOrigin, v: unknown): Uint8Array {
  const m = typeof v === 'string' ? HEX32.exec(v.trim()) : null;
  if (!m) throw badConfig(at, '32 bytes as 64 hex digits (0x optional)', v);
  return fromHex(`0x${m[2]!}`, 32);
}

/** Like hex32, but the message never contains the value (a private key). Returns 0x-prefixed lower-case hex. */
export function secretHex32(at: ValueOrigin, v: unknown): string {
  const m = typeof v === 'string' ? HEX32.exec(v.trim()) : null;
  if (!m) throw badConfig(at, '32 bytes as 64 hex digits (0x optional); the value is not shown');
  const hex = m[2]!.toLowerCase();
  if (/^0+$/.test(hex)) throw badConfig(at, 'a non-zero private key; the value is not shown');
  return `0x${hex}`;
}

/** Integers come from TOML as bigint (integersAsBigInt) and from env variables as decimal strings. */
export function bigUint(at: ValueOrigin, v: unknown, expected = 'a non-negative integer'): bigint {
  let n: bigint | null = null;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^\s*(\d+|0x[0-9a-fA-F]+)\s*$/.test(v)) n = BigInt(v.trim());
  if (n === null || n < 0n) throw badConfig(at, expected, v);
  return n;
}

export function int(at: ValueOrigin, v: unknown, min: number, max: number, expected?: string): number {
  const what = expected ?? (max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`);
  const n = bigUint(at, v, what);
  if (n < BigInt(min) || n > BigInt(max)) throw badConfig(at, what, v);
  return Number(n);
}
