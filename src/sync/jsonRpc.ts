/**
 * JSON-RPC 2.0 envelopes shared by the zgs client and server: error codes, the fault a handler
 * throws, a pre-serialised result, and a parser that keeps integers above 2^53 exact.
 *
 * Why the big-integer care: the official SDK's transport (open-jsonrpc-provider) sends ids like
 * `(Date.now() + Math.random()) * 10000` ≈ 1.7e16, above 2^53, and expects them echoed; a node
 * answers with the exact digits it got, so we keep the digits (and big integer params too).
 */

export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;
/** Server-defined: the request is well formed but the server will not serve it now (limits). */
export const RPC_SERVER_BUSY = -32000;

/** A handler's refusal, sent back as a JSON-RPC error object. */
export class RpcFault extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcFault';
    this.code = code;
    this.data = data;
  }
}

/** Invalid params, with the one-line reason as the message (and as `data`, as the node does). */
export function invalidParams(reason: string): RpcFault {
  return new RpcFault(RPC_INVALID_PARAMS, `Invalid params: ${reason}`, reason);
}

/** A result already encoded as JSON text (large byte arrays are written without JSON.stringify). */
export class RawJson {
  readonly text: string | Buffer;
  constructor(text: string | Buffer) {
    this.text = text;
  }
}

/**
 * A result sent as the raw bytes of the HTTP body (content-type application/octet-stream) when it
 * answers a single request: a zg-miner extension for bulk load data, so neither side spends a
 * millisecond per 256 KiB on base64 (this VM's Node encodes at ~170 MB/s). Inside a batch, where
 * answers must be JSON, `json` is sent instead.
 */
export class RawBinary {
  /** The body, in pieces written back to back (several loads without a copy into one buffer). */
  readonly parts: readonly Uint8Array[];
  readonly #json: () => RawJson;
  constructor(parts: Uint8Array | readonly Uint8Array[], json: () => RawJson) {
    this.parts = parts instanceof Uint8Array ? [parts] : parts;
    this.#json = json;
  }
  get length(): number {
    return this.parts.reduce((a, p) => a + p.length, 0);
  }
  /** The same result as JSON (built only when needed). */
  json(): RawJson {
    return this.#json();
  }
}

export const BINARY_CONTENT_TYPE = 'application/octet-stream';

/** An integer literal the parser kept exact because it does not fit a double. */
export class BigIntLiteral {
  readonly digits: string;
  constructor(digits: string) {
    this.digits = digits;
  }
  get value(): bigint {
    return BigInt(this.digits);
  }
}

// A marker no sane client sends: a JSON string starting with U+0000 is rewritten only from our own substitution.
const MARK = '\u0000zgint:';
const BIG_INT_TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g;

/**
 * JSON.parse that turns integer literals of 16+ digits into BigIntLiteral (strings are skipped).
 * @throws {SyntaxError} on bad JSON.
 */
export function parseJsonExact(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  let changed = false;
  const rewritten = text.replace(BIG_INT_TOKEN, (tok) => {
    if (tok.charCodeAt(0) === 34 /* " */) return tok;
    changed = true;
    return `"\\u0000zgint:${tok}"`;
  });
  if (!changed) return JSON.parse(text);
  return JSON.parse(rewritten, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? new BigIntLiteral(v.slice(MARK.length)) : v));
}

/** JSON text of a request/response id (numbers and strings as sent; big integers with their digits). */
export function idJson(id: unknown): string {
  if (id instanceof BigIntLiteral) return id.digits;
  if (typeof id === 'string' || typeof id === 'number') return JSON.stringify(id);
  return 'null';
}

/** JSON.stringify that writes bigints as numbers (exact digits) and BigIntLiteral as its digits. */
export function stringifyResult(value: unknown): string {
  if (value === undefined) return 'null';
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return `${MARK}${marks.length - 1}`;
    }
    if (v instanceof BigIntLiteral) {
      marks.push(v.digits);
      return `${MARK}${marks.length - 1}`;
    }
    return v;
  });
  if (marks.length === 0) return text;
  return text.replace(/"\\u0000zgint:(\d+)"/g, (_m, i: string) => marks[Number(i)]!);
}

/** Reads a non-negative integer param (number, BigIntLiteral or decimal/0x string) as a bigint. */
export function uintParam(v: unknown, name: string, max: bigint = (1n << 64n) - 1n): bigint {
  let n: bigint | null = null;
  if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (v instanceof BigIntLiteral) n = v.value;
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]{1,64}|\d{1,80})$/.test(v)) n = BigInt(v);
  if (n === null || n < 0n || n > max) throw invalidParams(`${name}: expected an unsigned integer up to ${max}, got ${describe(v)}`);
  return n;
}

/** Reads a 0x-prefixed 32-byte hash param. */
export function hashParam(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw invalidParams(`${name}: expected a 0x-prefixed 32-byte hex hash, got ${describe(v)}`);
  return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
}

export function boolParam(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalidParams(`${name}: expected true or false, got ${describe(v)}`);
  return v;
}

/** A short description of a bad value for an error line (never the whole of a large value). */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof BigIntLiteral) return v.digits;
  if (typeof v === 'string') return v.length > 40 ? `a ${v.length}-character string` : JSON.stringify(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}
