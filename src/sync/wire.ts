/**
 * Binary-efficient codecs for the bulk data of the zgs RPC. The storage node answers
 * `zgs_getDataByNodeIndex` with `[[byte numbers]…]` (a 256 KiB load is ~1 MiB of JSON text);
 * JSON.parse of that costs more than hashing the load, so both directions are hand-written
 * loops over bytes. zg-miner peers also accept a second param `"base64"` (an extension: the
 * answer is `["<base64>"…]`, 1.33 bytes per byte, decoded natively); a node without it refuses
 * the param and the client falls back to the numbers. Between zg-miners the `"binary"` form is
 * used first: a complete load comes as the raw HTTP body (RawBinary), no text at all.
 */
import { PeerError, resultOf, type RawAnswer } from './rpcClient.js';

const DIGITS: Buffer[] = Array.from({ length: 256 }, (_, i) => Buffer.from(String(i)));

/** `[[n,n,…],[…]]` for the given pieces, written straight into one buffer. */
export function encodeByteArrays(pieces: readonly Uint8Array[]): Buffer {
  let cap = 2;
  for (const p of pieces) cap += 3 + p.length * 4;
  const out = Buffer.allocUnsafe(cap);
  let o = 0;
  out[o++] = 0x5b;
  pieces.forEach((p, k) => {
    if (k > 0) out[o++] = 0x2c;
    out[o++] = 0x5b;
    for (let i = 0; i < p.length; i++) {
      if (i > 0) out[o++] = 0x2c;
      const v = p[i]!;
      if (v < 10) out[o++] = 48 + v;
      else if (v < 100) {
        out[o++] = 48 + ((v / 10) | 0);
        out[o++] = 48 + (v % 10);
      } else {
        const d = DIGITS[v]!;
        out[o++] = d[0]!;
        out[o++] = d[1]!;
        out[o++] = d[2]!;
      }
    }
    out[o++] = 0x5d;
  });
  out[o++] = 0x5d;
  return out.subarray(0, o);
}

/** `["<base64>",…]` for the given pieces. */
export function encodeBase64Arrays(pieces: readonly Uint8Array[]): string {
  return `[${pieces.map((p) => `"${Buffer.from(p.buffer, p.byteOffset, p.length).toString('base64')}"`).join(',')}]`;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Parses `[[n,…],…]` starting at `at` (numbers 0..255) and returns the pieces and the index after
 * the closing bracket. @throws {PeerError} 'garbage' on anything else.
 */
export function parseByteArrays(buf: Uint8Array, at: number): { pieces: Uint8Array[]; end: number } {
  let i = at;
  const bad = (what: string): never => {
    throw new PeerError('garbage', `byte arrays: ${what} at offset ${i}`);
  };
  const skip = (): void => {
    while (i < buf.length && isSpace(buf[i]!)) i++;
  };
  skip();
  if (buf[i] !== 0x5b) bad('expected [');
  i++;
  const pieces: Uint8Array[] = [];
  skip();
  if (buf[i] === 0x5d) return { pieces, end: i + 1 };
  for (;;) {
    skip();
    if (buf[i] !== 0x5b) bad('expected [');
    i++;
    let out = new Uint8Array(262144);
    let n = 0;
    skip();
    if (buf[i] === 0x5d) i++;
    else
      for (;;) {
        let c = buf[i]!;
        if (c < 48 || c > 57) {
          skip();
          c = buf[i]!;
          if (c < 48 || c > 57) bad('expected a digit');
        }
        let v = 0;
        let digits = 0;
        while (c >= 48 && c <= 57) {
          v = v * 10 + (c - 48);
          digits++;
          c = buf[++i]!;
        }
        if (digits === 0 || digits > 3 || v > 255) bad('expected a byte value 0..255');
        if (n === out.length) {
          const bigger = new Uint8Array(out.length * 2);
          bigger.set(out);
          out = bigger;
        }
        out[n++] = v;
        if (c !== 0x2c && c !== 0x5d) {
          skip();
          c = buf[i]!;
        }
        i++;
        if (c === 0x5d) break;
        if (c !== 0x2c) bad('expected , or ]');
      }
    pieces.push(n === out.length ? out : out.slice(0, n));
    skip();
    const c = buf[i++];
    if (c === 0x5d) return { pieces, end: i };
    if (c !== 0x2c) bad('expected , or ]');
  }
}

/**
 * The result of a `zgs_getDataByNodeIndex` answer: null, byte-number arrays or base64 strings.
 * @throws {PeerError} for an error object or garbage.
 */
export function decodeDataAnswer(method: string, body: Buffer): Uint8Array[] | null {
  const r = body.indexOf('"result":');
  const e = body.indexOf('"error"');
  if (r < 0 || (e >= 0 && e < r)) {
    resultOf(method, body); // throws the error or garbage
    throw new PeerError('garbage', `${method}: the answer has no result`);
  }
  let i = r + 9;
  while (i < body.length && isSpace(body[i]!)) i++;
  if (body[i] === 0x6e /* n */) {
    if (body.subarray(i, i + 4).toString() !== 'null') throw new PeerError('garbage', `${method}: bad result`);
    return null;
  }
  let j = i + 1;
  while (j < body.length && isSpace(body[j]!)) j++;
  if (body[i] === 0x5b && body[j] === 0x22 /* " */) return parseBase64Arrays(method, body, j);
  const { pieces, end } = parseByteArrays(body, i);
  let k = end;
  while (k < body.length && isSpace(body[k]!)) k++;
  if (body[k] !== 0x7d && body[k] !== 0x2c) throw new PeerError('garbage', `${method}: junk after the result`);
  return pieces;
}

/** How many bytes well-formed base64 of `n` characters with `pad` trailing '=' decodes to, or -1. */
function base64Length(n: number, pad: number): number {
  return n % 4 === 0 ? (n / 4) * 3 - pad : -1;
}

/**
 * `"<b64>", "<b64>" … ]` from offset `at` (the first quote) to the end of the result, without
 * JSON.parse or a regex over the text (each costs about a millisecond per load here). Node's
 * decoder skips characters that are not base64, so a string is well formed exactly when it decodes
 * to the length its character count promises.
 */
function parseBase64Arrays(method: string, body: Buffer, at: number): Uint8Array[] {
  const bad = (what: string): never => {
    throw new PeerError('garbage', `${method}: ${what}`);
  };
  const pieces: Uint8Array[] = [];
  let i = at;
  for (;;) {
    if (body[i] !== 0x22) bad('expected a base64 string');
    const close = body.indexOf(0x22, i + 1);
    if (close < 0) bad('unterminated string');
    const n = close - i - 1;
    const pad = n > 0 && body[close - 1] === 0x3d ? (n > 1 && body[close - 2] === 0x3d ? 2 : 1) : 0;
    const text = body.subarray(i + 1, close);
    // Node also decodes base64url's '-' and '_': refused, as the standard alphabet is the format.
    if (text.indexOf(0x2d) >= 0 || text.indexOf(0x5f) >= 0) bad('expected base64 strings');
    const b = Buffer.from(text.toString('latin1'), 'base64');
    if (b.length !== base64Length(n, pad)) bad('expected base64 strings');
    pieces.push(new Uint8Array(b.buffer, b.byteOffset, b.length));
    i = close + 1;
    while (i < body.length && isSpace(body[i]!)) i++;
    const c = body[i++];
    if (c === 0x5d) break;
    if (c !== 0x2c) bad('expected , or ] after a base64 string');
    while (i < body.length && isSpace(body[i]!)) i++;
  }
  while (i < body.length && isSpace(body[i]!)) i++;
  if (body[i] !== 0x7d && body[i] !== 0x2c) bad('junk after the result');
  return pieces;
}

/**
 * A `zgs_getDataByNodeIndex` answer as received: a binary body is 1 to `maxLoads` whole loads
 * back to back (anything else is garbage), returned one piece per load; a JSON one goes through
 * decodeDataAnswer.
 */
export function decodeLoadAnswer(method: string, a: RawAnswer, loadBytes: number, maxLoads = 1): Uint8Array[] | null {
  if (!a.binary) return decodeDataAnswer(method, a.body);
  const n = a.body.length / loadBytes;
  if (!(Number.isInteger(n) && n >= 1 && n <= maxLoads))
    throw new PeerError('garbage', `${method}: a binary answer of ${a.body.length} bytes, expected ${maxLoads === 1 ? loadBytes : `1 to ${maxLoads} × ${loadBytes}`}`);
  return Array.from({ length: n }, (_, i) => new Uint8Array(a.body.buffer, a.body.byteOffset + i * loadBytes, loadBytes));
}

/** A `Segment` (base64 string) → bytes; null stays null. */
export function decodeSegment(method: string, v: unknown): Uint8Array | null {
  if (v === null) return null;
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new PeerError('garbage', `${method}: expected a base64 segment`);
  const b = Buffer.from(v, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function encodeSegment(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64');
}

/** 0x-hex of 32 bytes from a peer answer. @throws {PeerError} 'garbage'. */
export function peerHash(method: string, v: unknown): Uint8Array {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw new PeerError('garbage', `${method}: expected a 32-byte 0x hash`);
  return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
}
