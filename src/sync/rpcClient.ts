/**
 * A JSON-RPC client for one peer (node's http, keep-alive): every call has a deadline and a
 * response-size bound, and every way a peer can fail (network, timeout, HTTP status, JSON-RPC
 * error, garbage, oversize) becomes a `PeerError` with a short reason the pool counts and logs.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { parseJsonExact, stringifyResult } from './jsonRpc.js';

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
  callRaw(method: string, params: readonly unknown[]): Promise<Buffer> {
    const body = `{"jsonrpc":"2.0","id":${this.nextId++},"method":${JSON.stringify(method)},"params":${stringifyResult(params)}}`;
    const send = this.u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Buffer>((resolve, reject) => {
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
            resolve(Buffer.concat(chunks, size));
          });
          res.on('error', (e) => fail(new PeerError('network', `${method}: ${e.message}`)));
        }
      );
      req.on('error', (e: NodeJS.ErrnoException) => fail(new PeerError('network', `${method}: ${e.code ?? e.message}`)));
      req.end(body);
    });
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
