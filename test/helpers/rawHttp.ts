/** Raw HTTP for tests that send what no well-behaved client would (bad JSON, lies in headers). */
import { request } from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  text: string;
}

export function post(url: string, body: string | Buffer, headers: Record<string, string | number> = {}, method = 'POST'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `bytes` on a plain socket and returns whatever comes back before the server closes or `ms` pass. */
export function rawSocket(url: string, bytes: string, ms = 2000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, ms);
    s.on('data', (d) => (got += d.toString('utf8')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.on('error', () => undefined);
    s.write(bytes);
  });
}

/**
 * The malformed-request suite: each case is sent to `url` and must get a JSON-RPC error object
 * (or, for an oversized body, HTTP 413 with one), and the server must still answer `probe` after.
 */
export const MALFORMED_CASES: { name: string; body: string | (() => string); expectCode: number; status?: number }[] = [
  { name: 'not JSON', body: '{"jsonrpc":"2.0",', expectCode: -32700 },
  { name: 'binary garbage', body: '\u0000\u0001\u00ff\u00fe', expectCode: -32700 },
  { name: 'a number', body: '42', expectCode: -32600 },
  { name: 'empty batch', body: '[]', expectCode: -32600 },
  { name: 'method not a string', body: '{"jsonrpc":"2.0","id":1,"method":7}', expectCode: -32600 },
  { name: 'params an object', body: '{"jsonrpc":"2.0","id":1,"method":"zgs_getStatus","params":{"a":1}}', expectCode: -32600 },
  { name: 'id an object', body: '{"jsonrpc":"2.0","id":{"x":1},"method":"zgs_getStatus"}', expectCode: -32600 },
  { name: 'unknown method', body: '{"jsonrpc":"2.0","id":1,"method":"zgs_noSuchMethod","params":[]}', expectCode: -32601 },
  { name: 'prototype method name', body: '{"jsonrpc":"2.0","id":1,"method":"constructor","params":[]}', expectCode: -32601 },
  { name: 'huge batch', body: () => JSON.stringify(Array.from({ length: 100_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'zgs_getStatus' }))), expectCode: -32600 },
];
