/**
 * The JSON of `GET /status` (and what the dashboard at `/` renders). One object, built from
 * sections; every section may be absent or null (a CPU host has no `gpus`, a paused miner no
 * `job`), and new sections are added beside the old ones, never by renaming: README "/status"
 * documents each key. Bigints are decimal strings, bytes 0x hex (the server's JSON replacer).
 */
import type { MinerMetrics } from '../metrics/metrics.js';
import type { Miner } from '../miner/miner.js';
import type { BackendInfo } from '../backend/backend.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { Logger } from '../log/logger.js';
import { gitCommit, packageVersion } from '../buildInfo.js';

export interface StatusSources {
  miner: Miner;
  metrics: MinerMetrics;
  backend: BackendInfo;
  health: HealthMonitor;
  log: Logger;
  temperatureLimit?: number;
  /** The peer sync section (null: no peers configured). */
  sync?: () => object | null;
  /** The zgs JSON-RPC URL this miner serves, or null. */
  zgsRpc?: string | null;
}

export function statusBuilder(s: StatusSources): () => object {
  const version = packageVersion();
  const commit = gitCommit();
  return () => ({
    ...s.miner.status(),
    version,
    commit,
    backend: { kind: s.backend.kind, device: s.backend.device, threads: s.backend.threads },
    hashrate: s.metrics.hashrates(),
    hashrateHistory: s.metrics.hashrateHistory(),
    // null: nvidia-smi is not there (no NVIDIA GPU, or a container without the utility capability).
    gpus: s.health.unavailable ? null : s.health.gpus,
    temperatureLimit: s.temperatureLimit ?? null,
    warnings: s.log.recentWarnings(),
    sync: s.sync?.() ?? null,
    zgsRpc: s.zgsRpc ?? null,
  });
}
