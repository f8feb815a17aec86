/**
 * A JSON-RPC 2.0 server over node's http (POST /, single requests and batches), hardened for the
 * open network: the body size, the batch length and the time a request may take are bounded, and
 * every malformed request gets a JSON-RPC error object (never a crash, a hang or an HTML page),
 * because the official SDK's transport treats any non-JSON answer as a transport failure and retries.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOn, parseHostPort, type AddressLabel } from '../listen.js';
import {
  BINARY_CONTENT_TYPE,
  BigIntLiteral,
  RPC_INTERNAL_ERROR,
  RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND,
  RPC_PARSE_ERROR,
  RawBinary,
  RawJson,
  RpcFault,
  idJson,
  parseJsonExact,
  stringifyResult,
} from './jsonRpc.js';

export type RpcHandler = (params: unknown[]) => unknown;

export const DEFAULT_RPC_ADDRESS = '127.0.0.1:5678';

export interface RpcServerOptions {
  /** "host:port" or "[v6]:port"; port 0 picks a free one. */
  address: string;
  methods: Readonly<Record<string, RpcHandler>>;
  /** Largest request body (default 40 MiB: the SDK sends up to 10 segments of 256 KiB in base64 per call). */
  maxBodyBytes?: number;
  /** Most requests in one batch (default 128). */
  maxBatch?: number;
  /** Whole-request limit in ms, body upload included (default 60 s). */
  requestTimeoutMs?: number;
  /** A handler that threw something other than RpcFault (a bug or an I/O failure): logged once per call. */
  onInternalError?: (method: string, e: unknown) => void;
}

export interface RpcServer {
  url: string;
  close(): Promise<void>;
}

const RPC_ADDRESS: AddressLabel = { label: 'rpc address', example: DEFAULT_RPC_ADDRESS, alternatives: ' or none', flagHint: 'choose another --rpc-address or none' };

export function parseRpcAddress(address: string): { host: string; port: number } {
  return parseHostPort(address, RPC_ADDRESS);
}

function errorJson(id: unknown, code: number, message: string, data?: unknown): string {
  const d = data === undefined ? '' : `,"data":${stringifyResult(data)}`;
  return `{"jsonrpc":"2.0","id":${idJson(id)},"error":{"code":${code},"message":${JSON.stringify(message)}${d}}}`;
}

/**
 * One request object → its response text, or null for a notification (no id). `single`: the
 * request is the whole body, so a RawBinary result may be the whole HTTP answer.
 */
async function answer(req: unknown, o: RpcServerOptions, single = false): Promise<string | Buffer[] | RawBinary | null> {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return errorJson(null, RPC_INVALID_REQUEST, 'Invalid request: expected an object');
  const r = req as Record<string, unknown>;
  const id = r['id'];
  const hasId = 'id' in r;
  if (hasId && !(id === null || typeof id === 'string' || typeof id === 'number' || id instanceof BigIntLiteral))
    return errorJson(null, RPC_INVALID_REQUEST, 'Invalid request: id must be a number, a string or null');
  const replyId = hasId ? id : null;
  const method = r['method'];
  if (typeof method !== 'string') return errorJson(replyId, RPC_INVALID_REQUEST, 'Invalid request: method must be a string');
  const raw = r['params'];
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) return errorJson(replyId, RPC_INVALID_REQUEST, 'Invalid request: params must be an array (positional)');
  const params = (raw ?? []) as unknown[];
  const handler = Object.prototype.hasOwnProperty.call(o.methods, method) ? o.methods[method] : undefined;
  let text: string | Buffer[] | RawBinary;
  if (handler === undefined) text = errorJson(replyId, RPC_METHOD_NOT_FOUND, `Method not found: ${method.slice(0, 64)}`);
  else {
    try {
      let result = await handler(params);
      const head = `{"jsonrpc":"2.0","id":${idJson(replyId)},"result":`;
      if (result instanceof RawBinary && !(single && hasId)) result = result.json();
      if (result instanceof RawBinary) text = result;
      else if (result instanceof RawJson) text = [Buffer.from(head), typeof result.text === 'string' ? Buffer.from(result.text) : result.text, Buffer.from('}')];
      else text = `${head}${stringifyResult(result)}}`;
    } catch (e) {
      if (e instanceof RpcFault) text = errorJson(replyId, e.code, e.message, e.data);
      else {
        o.onInternalError?.(method, e);
        text = errorJson(replyId, RPC_INTERNAL_ERROR, `Internal error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
  }
  return hasId ? text : null;
}

function send(res: ServerResponse, status: number, parts: (string | Buffer)[]): void {
  // One write: several small ones meet Nagle and delayed ACKs (40 ms stalls per answer).
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

export async function startRpcServer(o: RpcServerOptions): Promise<RpcServer> {
  const { host, port } = parseRpcAddress(o.address);
  const maxBody = o.maxBodyBytes ?? 40 * 1024 * 1024;
  const maxBatch = o.maxBatch ?? 128;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      req.resume();
      send(res, 405, [errorJson(null, RPC_INVALID_REQUEST, 'Invalid request: JSON-RPC takes POST')]);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    const tooLarge = (): void => {
      res.setHeader('connection', 'close');
      send(res, 413, [errorJson(null, RPC_INVALID_REQUEST, `Invalid request: body over ${maxBody} bytes`)]);
      req.destroy();
    };
    if (Number.isFinite(declared) && declared > maxBody) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    const body = await new Promise<Buffer | null>((resolve, reject) => {
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          resolve(null);
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks, size)));
      req.on('error', reject);
    });
    if (body === null) return tooLarge();
    let parsed: unknown;
    try {
      parsed = parseJsonExact(body.toString('utf8'));
    } catch {
      send(res, 200, [errorJson(null, RPC_PARSE_ERROR, 'Parse error: the body is not JSON')]);
      return;
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return send(res, 200, [errorJson(null, RPC_INVALID_REQUEST, 'Invalid request: empty batch')]);
      if (parsed.length > maxBatch) return send(res, 200, [errorJson(null, RPC_INVALID_REQUEST, `Invalid request: batch of ${parsed.length} is over ${maxBatch}`)]);
      const answers = (await Promise.all(parsed.map((r) => answer(r, o)))).filter((a) => a !== null);
      if (answers.length === 0) {
        res.writeHead(204).end();
        return;
      }
      const parts: (string | Buffer)[] = ['['];
      answers.forEach((a, i) => {
        if (i > 0) parts.push(',');
        if (typeof a === 'string') parts.push(a);
        else if (a instanceof RawBinary) throw new Error('a binary answer inside a batch'); // answer() never gives one there
        else parts.push(...a);
      });
      parts.push(']');
      send(res, 200, parts);
      return;
    }
    const a = await answer(parsed, o, true);
    if (a === null) res.writeHead(204).end();
    else if (a instanceof RawBinary) {
      res.writeHead(200, { 'content-type': BINARY_CONTENT_TYPE, 'content-length': a.length });
      // Corked: the pieces leave in one writev, not one segment each (Nagle and delayed ACKs).
      res.cork();
      for (const part of a.parts) res.write(part);
      res.end();
      res.uncork();
    } else send(res, 200, typeof a === 'string' ? [a] : a);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.onInternalError?.('(transport)', e);
      if (!res.headersSent) send(res, 500, [errorJson(null, RPC_INTERNAL_ERROR, 'Internal error')]);
      else res.destroy();
    });
  });
  server.on('connection', (sock) => sock.setNoDelay(true));
  server.requestTimeout = o.requestTimeoutMs ?? 60_000;
  server.headersTimeout = Math.min(server.requestTimeout, 20_000);
  server.keepAliveTimeout = 30_000;
  return listenOn(server, host, port, RPC_ADDRESS);
}
