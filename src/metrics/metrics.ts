/**
 * Prometheus metrics of the miner, on a private prom-client Registry (never the global one, so
 * tests and several miners in one process do not collide). Names use base units and counters end
 * in `_total` (prom-client and Prometheus conventions). Other folders hold a `MinerMetrics` (import
 * type only) and call its record* methods; only this folder imports prom-client.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HashrateHistory, type HashrateHistoryView } from './history.js';
import type { GpuReading, SubmitResult } from '../types.js';


export interface MinerMetrics {
  /** Nonces whose scratch pad was computed, per device (also feeds the 60 s hashrate). */
  recordNonces(device: string, n: number): void;
  /** BLAKE2b quality hashes, one per held seal of a recalled load. */
  recordSealHashes(device: string, n: number): void;
  recordHit(device: string): void;
  /** A hit the CPU re-check (or a pre-submit check) refused, by reason. */
  recordHitRejected(reason: string): void;
  recordSubmission(result: SubmitResult): void;
  /** One load read: bytes and wall seconds (the store's loader calls it). */
  recordRead(bytes: number, seconds: number): void;
  setSealedSectors(sectors: bigint | number): void;
  setContextEpoch(epoch: bigint | number): void;
  /** The watchdog restarted a stalled part (search, flow sync and sealer, …). */
  recordRestart(part: string): void;
  /** The backend now in use (zg_miner_info's labels), e.g. the CPU after a lost GPU. */
  setBackend(backend: string, adapter: string): void;
  /** Nonces per second of a device over the last 60 s (0 before any nonce). */
  hashrate(device: string): number;
  /** Every device's 60 s hashrate, for /status. */
  hashrates(): Record<string, number>;
  /** Hashrate per device over the last hour, for the dashboard chart. */
  hashrateHistory(): HashrateHistoryView;
  /** The latest nvidia-smi readings (health/); GPUs missing from `gpus` are dropped. */
  setGpuHealth(gpus: GpuReading[]): void;
  /** One load fetched from a peer, verified against the chain and stored. */
  recordSyncedLoad(bytes: number): void;
  /** Peer data or a peer call refused, by reason (mismatch, timeout, garbage, …). */
  recordSyncRejected(reason: string): void;
  /** Peers per state (ready, backoff, dropped, refused, probing). */
  setSyncPeers(counts: Record<string, number>): void;
  /** The store check found a damaged load, by what was wrong (raw, roots, seals). */
  recordStoreDamage(kind: string): void;
  /** Where zg_miner_store_forgotten_loads reads its value at each scrape (the store's O(1) count). */
  watchForgottenLoads(count: () => number): void;
  /** The exposition text for GET /metrics. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

export interface CreateMetricsOptions {
  version: string;
  backend: string;
  adapter: string;
  /** Milliseconds clock for the hashrate window (tests pass a fake). */
  now?: () => number;
  /** Default process metrics (process_cpu_seconds_total, ...); default true. */
  processMetrics?: boolean;
}

export const HASHRATE_WINDOW_SECONDS = 60;

/** Per-second nonce counts of one device over the last HASHRATE_WINDOW_SECONDS seconds. */
class RateWindow {
  readonly #counts = new Float64Array(HASHRATE_WINDOW_SECONDS);
  readonly #seconds = new Float64Array(HASHRATE_WINDOW_SECONDS).fill(-1);
  #firstSecond = -1;

  add(second: number, n: number): void {
    if (this.#firstSecond < 0) this.#firstSecond = second;
    const i = second % HASHRATE_WINDOW_SECONDS;
    if (this.#seconds[i] !== second) {
      this.#seconds[i] = second;
      this.#counts[i] = 0;
    }
    this.#counts[i]! += n;
  }

  /** Average over the window, or over the time since the first nonce if that is shorter. */
  rate(second: number): number {
    if (this.#firstSecond < 0) return 0;
    let sum = 0;
    for (let i = 0; i < HASHRATE_WINDOW_SECONDS; i++) {
      const s = this.#seconds[i]!;
      if (s > second - HASHRATE_WINDOW_SECONDS && s <= second) sum += this.#counts[i]!;
    }
    const span = Math.min(HASHRATE_WINDOW_SECONDS, second - this.#firstSecond + 1);
    return sum / span;
  }
}

export function createMetrics(opts: CreateMetricsOptions): MinerMetrics {
  const now = opts.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });

  const nonces = new Counter({ name: 'zg_miner_nonces_total', help: 'Nonces whose scratch pad was computed', labelNames: ['device'], registers });
  const sealHashes = new Counter({ name: 'zg_miner_seal_hashes_total', help: 'PoRA quality hashes computed (one per held seal of a recalled load)', labelNames: ['device'], registers });
  const hits = new Counter({ name: 'zg_miner_hits_total', help: 'Nonces whose recalled load holds a seal meeting the target', labelNames: ['device'], registers });
  const restarts = new Counter({ name: 'zg_miner_watchdog_restarts_total', help: 'Parts the watchdog restarted after they made no progress for their stall time', labelNames: ['part'], registers });
  const hitsRejected = new Counter({ name: 'zg_miner_hits_rejected_total', help: 'Hits refused by the CPU re-check or pre-submit checks', labelNames: ['reason'], registers });
  const submissions = new Counter({ name: 'zg_miner_submissions_total', help: 'PoRA answers submitted, by outcome', labelNames: ['result'], registers });
  const readBytes = new Counter({ name: 'zg_miner_read_bytes_total', help: 'Bytes read from the sealed store for mining', registers });
  const readSeconds = new Histogram({
    name: 'zg_miner_read_seconds',
    help: 'Latency of one sealed-load read',
    // 50 µs (page cache) to 1 s (a saturated disk).
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const syncLoads = new Counter({ name: 'zg_miner_sync_loads_total', help: 'Loads fetched from peers, verified against the chain and stored', registers });
  const syncBytes = new Counter({ name: 'zg_miner_sync_bytes_total', help: 'Bytes fetched from peers, verified against the chain and stored', registers });
  const syncRejected = new Counter({ name: 'zg_miner_sync_rejected_total', help: 'Peer answers refused (data not matching the chain, timeouts, errors, garbage), by reason', labelNames: ['reason'], registers });
  const syncPeers = new Gauge({ name: 'zg_miner_sync_peers', help: 'Sync peers by state', labelNames: ['state'], registers });
  const storeDamaged = new Counter({ name: 'zg_miner_store_damaged_loads_total', help: 'Loads the store check found damaged, by what was wrong: raw (forgotten), roots (re-derived), seals (retracted and resealed)', labelNames: ['kind'], registers });
  let forgottenCount: () => number = () => 0;
  new Gauge({
    name: 'zg_miner_store_forgotten_loads',
    help: 'Loads whose raw data failed its check and were forgotten: missing until imported again or fetched from a peer',
    registers,
    collect() {
      this.set(forgottenCount());
    },
  });
  const sealedSectors = new Gauge({ name: 'zg_miner_sealed_sectors', help: 'Sectors sealed and minable in the store', registers });
  const contextEpoch = new Gauge({ name: 'zg_miner_context_epoch', help: 'Epoch of the mining context being mined', registers });
  const windows = new Map<string, RateWindow>();
  const second = (): number => Math.floor(now() / 1000);
  new Gauge({
    name: 'zg_miner_hashrate',
    help: `Nonces per second over the last ${HASHRATE_WINDOW_SECONDS} s`,
    labelNames: ['device'],
    registers,
    collect() {
      const s = second();
      for (const [device, w] of windows) this.set({ device }, w.rate(s));
    },
  });
  const history = new HashrateHistory();
  const gpuLabels = ['gpu', 'name', 'bus_id'];
  const gpuGauge = (name: string, help: string, extra: string[] = []): Gauge => new Gauge({ name, help, labelNames: [...gpuLabels, ...extra], registers });
  const gpuTemp = gpuGauge('zg_miner_gpu_temperature_celsius', 'GPU core temperature (nvidia-smi)');
  const gpuPower = gpuGauge('zg_miner_gpu_power_watts', 'GPU board power draw (nvidia-smi)');
  const gpuPowerLimit = gpuGauge('zg_miner_gpu_power_limit_watts', 'GPU enforced power limit (nvidia-smi)');
  const gpuFan = gpuGauge('zg_miner_gpu_fan_ratio', 'GPU fan speed, 0..1 of its maximum (nvidia-smi; absent on passive boards)');
  const gpuClock = gpuGauge('zg_miner_gpu_clock_hertz', 'GPU clocks (nvidia-smi), clock="sm" or "memory"', ['clock']);
  const gpuMemUsed = gpuGauge('zg_miner_gpu_memory_used_bytes', 'GPU memory in use (nvidia-smi)');
  const gpuMemTotal = gpuGauge('zg_miner_gpu_memory_total_bytes', 'GPU memory size (nvidia-smi)');
  const gpuUtil = gpuGauge('zg_miner_gpu_utilization_ratio', 'GPU busy time over the driver sample period, 0..1 (nvidia-smi)');
  const gpuGauges = [gpuTemp, gpuPower, gpuPowerLimit, gpuFan, gpuClock, gpuMemUsed, gpuMemTotal, gpuUtil];
  const MIB = 1024 * 1024;
  const info = new Gauge({ name: 'zg_miner_info', help: 'Build and backend of this miner (value 1)', labelNames: ['version', 'backend', 'adapter'], registers });
  info.set({ version: opts.version, backend: opts.backend, adapter: opts.adapter }, 1);

  // Counters reject negative or non-finite increments; a bad caller value is a bug, so fail loudly.
  const count = (n: number): number => {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`metrics: expected a count >= 0, got ${n}`);
    return n;
  };

  return {
    recordNonces(device, n) {
      nonces.inc({ device }, count(n));
      let w = windows.get(device);
      if (w === undefined) windows.set(device, (w = new RateWindow()));
      w.add(second(), n);
      history.add(device, now(), n);
    },
    recordSealHashes: (device, n) => sealHashes.inc({ device }, count(n)),
    recordHit: (device) => hits.inc({ device }),
    recordHitRejected: (reason) => hitsRejected.inc({ reason }),
    recordRestart: (part) => restarts.inc({ part }),
    recordSubmission: (result) => submissions.inc({ result }),
    recordRead(bytes, seconds) {
      readBytes.inc(count(bytes));
      readSeconds.observe(count(seconds));
    },
    setSealedSectors: (sectors) => sealedSectors.set(Number(sectors)),
    recordSyncedLoad(bytes) {
      syncLoads.inc();
      syncBytes.inc(count(bytes));
    },
    recordSyncRejected: (reason) => syncRejected.inc({ reason }),
    recordStoreDamage: (kind) => storeDamaged.inc({ kind }),
    watchForgottenLoads(count) {
      forgottenCount = count;
    },
    setSyncPeers(counts) {
      for (const [state, n] of Object.entries(counts)) syncPeers.set({ state }, n);
    },
    setContextEpoch: (epoch) => contextEpoch.set(Number(epoch)),
    setBackend(backend, adapter) {
      // One series: the old backend's labels go, so a query for the backend in use sees one answer.
      info.reset();
      info.set({ version: opts.version, backend, adapter }, 1);
    },
    hashrate: (device) => windows.get(device)?.rate(second()) ?? 0,
    hashrates: () => Object.fromEntries([...windows].map(([d, w]) => [d, w.rate(second())])),
    hashrateHistory: () => history.view(now()),
    setGpuHealth(gpus) {
      // Reset first: a GPU that vanished (or a field that became N/A) must not keep its last value.
      for (const g of gpuGauges) g.reset();
      for (const g of gpus) {
        const l = { gpu: String(g.index), name: g.name, bus_id: g.pciBusId };
        const set = (gauge: Gauge, v: number | null, labels: Record<string, string> = l): void => {
          if (v !== null) gauge.set(labels, v);
        };
        set(gpuTemp, g.temperatureC);
        set(gpuPower, g.powerW);
        set(gpuPowerLimit, g.powerLimitW);
        set(gpuFan, g.fanPercent === null ? null : g.fanPercent / 100);
        set(gpuClock, g.smClockMHz === null ? null : g.smClockMHz * 1e6, { ...l, clock: 'sm' });
        set(gpuClock, g.memClockMHz === null ? null : g.memClockMHz * 1e6, { ...l, clock: 'memory' });
        set(gpuMemUsed, g.memoryUsedMiB === null ? null : g.memoryUsedMiB * MIB);
        set(gpuMemTotal, g.memoryTotalMiB === null ? null : g.memoryTotalMiB * MIB);
        set(gpuUtil, g.utilizationPercent === null ? null : g.utilizationPercent / 100);
      }
    },
    scrape: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
