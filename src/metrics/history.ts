/**
 * Hashrate per device over the last hour, in fixed buckets, for the dashboard's chart (/status
 * `hashrateHistory`). Prometheus keeps the long history; this is what a browser pointed at the
 * miner shows without one.
 */
export const HISTORY_BUCKET_SECONDS = 5;
export const HISTORY_BUCKETS = 720;

export interface HashrateHistoryView {
  bucketSeconds: number;
  /** Per device: [bucket start (ms since epoch), nonces/s] for each finished bucket, oldest first. */
  devices: Record<string, [number, number][]>;
}

export class HashrateHistory {
  readonly #bucketMs: number;
  readonly #buckets: number;
  /** device → bucket number → nonces. */
  readonly #counts = new Map<string, Map<number, number>>();
  readonly #first = new Map<string, number>();

  constructor(bucketSeconds = HISTORY_BUCKET_SECONDS, buckets = HISTORY_BUCKETS) {
    this.#bucketMs = bucketSeconds * 1000;
    this.#buckets = buckets;
  }

  add(device: string, nowMs: number, nonces: number): void {
    const b = Math.floor(nowMs / this.#bucketMs);
    let m = this.#counts.get(device);
    if (m === undefined) {
      this.#counts.set(device, (m = new Map()));
      this.#first.set(device, b);
    }
    m.set(b, (m.get(b) ?? 0) + nonces);
    for (const k of m.keys()) if (k <= b - this.#buckets) m.delete(k);
  }

  /** Finished buckets since each device's first nonce (idle buckets read 0). */
  view(nowMs: number): HashrateHistoryView {
    const cur = Math.floor(nowMs / this.#bucketMs);
    const devices: Record<string, [number, number][]> = {};
    for (const [device, m] of this.#counts) {
      const from = Math.max(this.#first.get(device)!, cur - this.#buckets + 1);
      const pts: [number, number][] = [];
      for (let b = from; b < cur; b++) pts.push([b * this.#bucketMs, (m.get(b) ?? 0) / (this.#bucketMs / 1000)]);
      devices[device] = pts;
    }
    return { bucketSeconds: this.#bucketMs / 1000, devices };
  }
}
