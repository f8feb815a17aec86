/**
 * Bounds on single waits that have no bound of their own (a chain call, a stop step): a deadline
 * that rejects with MinerError TIMEOUT, and a race against an AbortSignal that rejects with
 * MinerError INTERRUPTED. The awaited work is not cancelled (a promise cannot be): it is
 * abandoned, and its late result or error is dropped.
 */
import { MinerError } from '../errors.js';

/** `p`, or MinerError TIMEOUT naming `what` after `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MinerError('TIMEOUT', `${what}: no answer in ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`)), ms);
  });
  p.catch(() => {});
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** `p`, or MinerError INTERRUPTED as soon as `signal` aborts. */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  p.catch(() => {});
  if (signal.aborted) return Promise.reject(new MinerError('INTERRUPTED', `${what}: interrupted`));
  let onAbort = (): void => {};
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(new MinerError('INTERRUPTED', `${what}: interrupted`));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, stopped]).finally(() => signal.removeEventListener('abort', onAbort));
}
