/**
 * Whether a TCP listen address can be bound now: listen, then close at once. Run before the
 * first transaction so a taken port or a bad host fails before anything is paid for.
 */
import { createServer } from 'node:net';

/** @throws {Error} `cannot listen on host:port (EADDRINUSE)`. */
export function checkBindable(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port} (${e.code ?? e.message})`)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
