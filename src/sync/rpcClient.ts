/**
 * A JSON-RPC client for one peer (node's http, keep-alive): every call has a deadline and a
 * response-size bound, and every way a peer can fail (network, timeout, HTTP status, JSON-RPC
 * error, garbage, oversize) becomes a `PeerError` with a short reason the pool counts and logs.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BINARY_CONTENT_TYPE, parseJsonExact, stringifyResult } from './jsonRpc.js';

/** A response body as received; `binary` when the peer sent raw bytes (RawBinary) instead of JSON. */
export interface RawAnswer {
  body: Buffer;
  binary: boolean;
}

/** Why a peer call failed; also the `reason` label of zg_miner_sync_rejected_total. */
export type PeerFailure = 'network' | 'timeout' | 'http' | 'rpc' | 'garbage' | 'too-large' | 'mismatch' | 'missing' | 'unverifiable';

export class PeerError extends Error {
  readonly reason: PeerFailure;
  /** JSON-RPC error code for reason 'rpc'. */
  readonly code: number | null;
  constructor(reason: PeerFailure, message: string, code: number | null = null) {
    super(message);
    this.name = 'PeerError';
    this.reason = reason;
    this.code = code;
  }
}

export interface RpcClientOptions {
  /** Deadline of one call, connect to last byte (default 30 s). */
  timeoutMs?: number;
  /** Largest response body accepted (default 8 MiB: a load as JSON numbers is ~1 MiB). */
  maxResponseBytes?: number;
  /** Sockets kept to this peer (default 4). */
  maxSockets?: number;
}

export class RpcClient {
  readonly url: string;
  private readonly u: URL;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private nextId = 1;

  constructor(url: string, o: RpcClientOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.u = new URL(url);
    if (this.u.protocol !== 'http:' && this.u.protocol !== 'https:') throw new PeerError('network', `peer ${url}: expected an http(s) URL`);
    const agentOpts = { keepAlive: true, maxSockets: o.maxSockets ?? 4 };
    this.agent = this.u.protocol === 'https:' ? new HttpsAgent(agentOpts) : new Agent(agentOpts);
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.maxBytes = o.maxResponseBytes ?? 8 * 1024 * 1024;
  }

  /** POSTs one request and returns the raw response body (HTTP 200 only). */
  async callRaw(method: string, params: readonly unknown[]): Promise<Buffer> {
    const a = await this.callAnswer(method, params);
    if (a.binary) throw new PeerError('garbage', `${method}: a binary answer to a JSON request`);
    return a.body;
  }

  /** POSTs one request and returns the body and whether it came as raw bytes (HTTP 200 only). */
  callAnswer(method: string, params: readonly unknown[]): Promise<RawAnswer> {
    const body = `{"jsonrpc":"2.0","id":${this.nextId++},"method":${JSON.stringify(method)},"params":${stringifyResult(params)}}`;
    return this.post(method, body);
  }

  private post(method: string, body: string): Promise<RawAnswer> {
    const send = this.u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (e: PeerError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new PeerError('timeout', `${method}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      const req = send(
        this.u,
        { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            fail(new PeerError('http', `${method}: HTTP ${res.statusCode}`));
            return;
          }
          const declared = Number(res.headers['content-length'] ?? NaN);
          if (Number.isFinite(declared) && declared > this.maxBytes) {
            fail(new PeerError('too-large', `${method}: answer of ${declared} bytes is over ${this.maxBytes}`));
            return;
          }
          const binary = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === BINARY_CONTENT_TYPE;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.maxBytes) fail(new PeerError('too-large', `${method}: answer over ${this.maxBytes} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ body: Buffer.concat(chunks, size), binary });
          });
          res.on('error', (e) => fail(new PeerError('network', `${method}: ${e.message}`)));
        }
      );
      req.on('error', (e: NodeJS.ErrnoException) => fail(new PeerError('network', `${method}: ${e.code ?? e.message}`)));
      req.end(body);
    });
  }

  /**
   * Calls `method` once per params list in one JSON-RPC batch (one round trip) and returns the
   * results in request order. An error answer to any of them throws PeerError 'rpc' (with its
   * code); a missing, repeated or unknown id, or a non-array answer other than an error, is garbage.
   */
  async callBatch(method: string, paramsList: readonly (readonly unknown[])[]): Promise<unknown[]> {
    if (paramsList.length === 0) return [];
    const first = this.nextId;
    this.nextId += paramsList.length;
    const body = `[${paramsList.map((p, i) => `{"jsonrpc":"2.0","id":${first + i},"method":${JSON.stringify(method)},"params":${stringifyResult(p)}}`).join(',')}]`;
    const a = await this.post(method, body);
    if (a.binary) throw new PeerError('garbage', `${method}: a binary answer to a batch`);
    let v: unknown;
    try {
      v = parseJsonExact(a.body.toString('utf8'));
    } catch {
      throw new PeerError('garbage', `${method}: the batch answer is not JSON`);
    }
    // A server without batches answers one error object.
    if (!Array.isArray(v)) {
      resultOfValue(method, v); // throws its error
      throw new PeerError('garbage', `${method}: the batch answer is not an array`);
    }
    const out: unknown[] = new Array<unknown>(paramsList.length);
    const seen = new Set<number>();
    for (const r of v) {
      const id = (r as { id?: unknown } | null)?.id;
      const k = typeof id === 'number' ? id - first : -1;
      if (!(Number.isInteger(k) && k >= 0 && k < paramsList.length) || seen.has(k)) throw new PeerError('garbage', `${method}: a batch answer with an id we did not send`);
      seen.add(k);
      out[k] = resultOfValue(method, r);
    }
    if (seen.size !== paramsList.length) throw new PeerError('garbage', `${method}: the batch answer lacks ${paramsList.length - seen.size} of ${paramsList.length} answers`);
    return out;
  }

  /** Calls `method` and returns its `result` (JSON-RPC errors and garbage throw PeerError). */
  async call(method: string, params: readonly unknown[] = []): Promise<unknown> {
    return resultOf(method, await this.callRaw(method, params));
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `result` of a JSON-RPC response body, or a PeerError for an error object or garbage. */
export function resultOf(method: string, body: Buffer): unknown {
  let v: unknown;
  try {
    v = parseJsonExact(body.toString('utf8'));
  } catch {
    throw new PeerError('garbage', `${method}: the answer is not JSON`);
  }
  return resultOfValue(method, v);
}

/** The `result` of a parsed JSON-RPC response object, or a PeerError for an error object or garbage. */
function resultOfValue(method: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PeerError('garbage', `${method}: the answer is not a JSON-RPC response object`);
  const r = v as Record<string, unknown>;
  if (r['error'] !== undefined && r['error'] !== null) {
    const e = r['error'] as Record<string, unknown>;
    const code = typeof e['code'] === 'number' ? e['code'] : null;
    const msg = typeof e['message'] === 'string' ? e['message'].slice(0, 200) : 'error';
    throw new PeerError('rpc', `${method}: ${msg}${code !== null ? ` (${code})` : ''}`, code);
  }
  if (!('result' in r)) throw new PeerError('garbage', `${method}: the answer has neither result nor error`);
  return r['result'];
}
