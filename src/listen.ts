/**
 * The listening half that the metrics server and the RPC server share: "host:port" parsing, binding
 * with a one-line refusal, the bound URL and a close that ends keep-alive connections. Typed
 * structurally so that this module imports no server library: `node:http` stays owned by the
 * folders that serve (metrics/, sync/).
 */
import { MinerError } from './errors.js';

/** What a node:http server offers for listening and closing. */
export interface ListeningServer {
  once(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
  listen(port: number, host: string, callback: () => void): unknown;
  address(): string | { port: number } | null;
  close(callback: (e?: Error) => void): unknown;
  closeAllConnections(): void;
}

/** Names the address in errors: `label` ("metrics address"), an `example`, and `flagHint` for the fix. */
export interface AddressLabel {
  label: string;
  example: string;
  /** Appended to the parse error's "expected" part, e.g. " or none". */
  alternatives?: string;
  /** How to fix a failed bind, e.g. "choose another --metrics-address". */
  flagHint: string;
}

export function parseHostPort(address: string, l: AddressLabel): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new MinerError('BAD_CONFIG', `${l.label}: expected "host:port" (e.g. ${l.example})${l.alternatives ?? ''}, got ${JSON.stringify(address)}`);
  return { host: m[1] ?? m[2]!, port };
}

/** Binds `server` (port 0 picks a free port) and returns its base URL and a close that also ends idle keep-alives. */
export async function listenOn(
  server: ListeningServer,
  host: string,
  port: number,
  l: AddressLabel
): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(new MinerError('BAD_CONFIG', `${l.label} ${host}:${port}: cannot listen (${e.code ?? e.message}); ${l.flagHint}`, { cause: e }))
    );
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
