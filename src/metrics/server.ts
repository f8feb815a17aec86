/**
 * HTTP endpoint for Prometheus (`GET /metrics`), a JSON `GET /status` for humans and scripts, and
 * the live dashboard at `GET /` (web/dashboard.html, one self-contained file that polls /status).
 * Binds 127.0.0.1 unless told otherwise: metrics reveal the miner's activity, so exposing them is
 * the operator's explicit choice.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { listenOn, parseHostPort, type AddressLabel } from '../listen.js';
import { toHex } from '../bytes.js';
import type { MinerMetrics } from './metrics.js';

export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

export interface MetricsServerOptions {
  /** "host:port" or "[v6]:port"; port 0 picks a free one. Default 127.0.0.1:9464. */
  address?: string;
  metrics: MinerMetrics;
  status: () => object;
}

export interface MetricsServer {
  /** Base URL, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/** `web/` at the package root (this file runs from dist/src/metrics/). */
const DASHBOARD_FILE = new URL('../../../web/dashboard.html', import.meta.url);
// Everything the page needs is inline; it may only fetch from this server.
const DASHBOARD_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

let dashboardHtml: string | null = null;
function dashboard(): string {
  dashboardHtml ??= readFileSync(DASHBOARD_FILE, 'utf8');
  return dashboardHtml;
}

const METRICS_ADDRESS: AddressLabel = { label: 'metrics address', example: DEFAULT_METRICS_ADDRESS, flagHint: 'choose another --metrics-address' };

export function parseListenAddress(address: string): { host: string; port: number } {
  return parseHostPort(address, METRICS_ADDRESS);
}

/** JSON that tolerates bigints (as decimal strings) and byte arrays (as 0x hex). */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return toHex(v);
      return v;
    },
    2
  );
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(opts.address ?? DEFAULT_METRICS_ADDRESS);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      const body = await opts.metrics.scrape();
      res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(body);
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(toJson(opts.status()));
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DASHBOARD_CSP, 'cache-control': 'no-cache' }).end(dashboard());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /, /metrics or /status\n');
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    });
  });
  return listenOn(server, host, port, METRICS_ADDRESS);
}
