/**
 * A small request/response layer over worker_threads, shared by worker pools: the parent side
 * (RpcWorker: call() returns a promise per request, matched by id) and the worker side
 * (serveRpc). The worker posts `{ready}` once its modules are loaded; a worker error or exit
 * rejects every pending call, so a pool never waits forever.
 */
import { Worker, parentPort, type TransferListItem } from 'node:worker_threads';

type Reply<R> = { id: number; reply: R } | { id: number; error: string };

export class RpcWorker<Req, Rep> {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: Rep) => void; reject: (e: Error) => void }>();
  readonly #label: string;
  #next = 1;
  #dead: Error | null = null;
  /** Settles when the worker has loaded (rejects when it cannot start). */
  readonly ready: Promise<void>;

  constructor(script: URL, label: string) {
    this.#label = label;
    this.#worker = new Worker(script);
    this.ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject);
      this.#worker.once('message', () => {
        this.#worker.off('error', reject);
        this.#worker.on('message', (r: Reply<Rep>) => this.#settle(r));
        this.#worker.on('error', (e) => this.#failAll(e));
        this.#worker.on('exit', (code) => this.#failAll(new Error(`${label} worker exited (code ${code})`)));
        this.#worker.unref();
        resolve();
      });
    });
  }

  call(req: Req, transfer: readonly TransferListItem[] = []): Promise<Rep> {
    if (this.#dead !== null) return Promise.reject(this.#dead);
    const id = this.#next++;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, req }, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  #settle(r: Reply<Rep>): void {
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('error' in r) p.reject(new Error(`${this.#label} worker: ${r.error}`));
    else p.resolve(r.reply);
  }

  #failAll(e: Error): void {
    this.#dead ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}

/** Worker side: answers each request with `handler`'s result (or its error message). */
export function serveRpc<Req, Rep>(handler: (req: Req) => Rep | Promise<Rep>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveRpc: not in a worker thread');
  port.on('message', async ({ id, req }: { id: number; req: Req }) => {
    try {
      port.postMessage({ id, reply: await handler(req) } satisfies Reply<Rep>);
    } catch (e) {
      port.postMessage({ id, error: (e as Error).message } satisfies Reply<Rep>);
    }
  });
  port.postMessage({ ready: true });
}
