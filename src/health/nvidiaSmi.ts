/**
 * GPU health from `nvidia-smi` (temperature, power, fan, clocks, memory, PCI bus id), where the
 * NVIDIA driver installs it. WebGPU exposes none of this, and NVML would need a native binding:
 * `nvidia-smi --query-gpu … --format=csv,noheader,nounits` is the driver's own stable, documented
 * interface for scripts. Without nvidia-smi (no NVIDIA driver, a CPU-only host, a container run
 * without `utility` capability) every reading is simply absent: `queryGpus` returns null.
 */
import { execFile } from 'node:child_process';
import type { GpuReading } from '../types.js';

export type { GpuReading };

/** The --query-gpu fields, in the order `parseNvidiaSmi` reads them. */
export const QUERY_FIELDS = [
  'index',
  'name',
  'pci.bus_id',
  'uuid',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'fan.speed',
  'clocks.sm',
  'clocks.mem',
  'memory.used',
  'memory.total',
  'utilization.gpu',
] as const;

function num(s: string): number | null {
  // "[N/A]", "[Not Supported]", "N/A", "" → not reported by this board.
  const v = Number(s);
  return s !== '' && Number.isFinite(v) ? v : null;
}

/**
 * Parses `nvidia-smi --query-gpu=<QUERY_FIELDS> --format=csv,noheader,nounits` output. Lines that
 * do not have every field (a driver message, a truncated line) are skipped, not guessed at.
 */
export function parseNvidiaSmi(text: string): GpuReading[] {
  const out: GpuReading[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split(',').map((x) => x.trim());
    if (f.length !== QUERY_FIELDS.length) continue;
    const index = Number(f[0]);
    if (!Number.isInteger(index) || index < 0) continue;
    out.push({
      index,
      name: f[1]!,
      pciBusId: f[2]!,
      uuid: f[3]!,
      temperatureC: num(f[4]!),
      powerW: num(f[5]!),
      powerLimitW: num(f[6]!),
      fanPercent: num(f[7]!),
      smClockMHz: num(f[8]!),
      memClockMHz: num(f[9]!),
      memoryUsedMiB: num(f[10]!),
      memoryTotalMiB: num(f[11]!),
      utilizationPercent: num(f[12]!),
    });
  }
  return out;
}

export interface QueryOptions {
  /** GPU ids for `nvidia-smi -i` (indexes, PCI bus ids or UUIDs, comma-separated); default all. */
  ids?: string;
  /** The command (default `nvidia-smi`, found on PATH). */
  command?: string;
  timeoutMs?: number;
}

/** Outcome of one query: readings, or why there are none. */
export type GpuQuery = { ok: true; gpus: GpuReading[] } | { ok: false; missing: boolean; error: string };

/**
 * Runs nvidia-smi once. `missing: true` when the command does not exist (the normal case on a
 * machine without an NVIDIA driver); other failures (driver not loaded, timeout) say why.
 */
export function queryGpus(opts: QueryOptions = {}): Promise<GpuQuery> {
  const args = [`--query-gpu=${QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
  if (opts.ids !== undefined && opts.ids !== '') args.push('-i', opts.ids);
  return new Promise((resolve) => {
    execFile(opts.command ?? 'nvidia-smi', args, { timeout: opts.timeoutMs ?? 5000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve({ ok: false, missing: true, error: 'nvidia-smi not found' });
        const msg = (stderr || stdout || err.message).split('\n').find((l) => l.trim() !== '') ?? err.message;
        return resolve({ ok: false, missing: false, error: `nvidia-smi failed: ${msg.trim()}` });
      }
      resolve({ ok: true, gpus: parseNvidiaSmi(stdout) });
    });
  });
}

/** "62°C 301/700 W fan 40% 1980/2619 MHz 10.2/140.0 GiB": the fields the board reports. */
export function formatReading(g: GpuReading): string {
  const parts: string[] = [];
  if (g.temperatureC !== null) parts.push(`${g.temperatureC}°C`);
  if (g.powerW !== null) parts.push(g.powerLimitW !== null ? `${Math.round(g.powerW)}/${Math.round(g.powerLimitW)} W` : `${Math.round(g.powerW)} W`);
  if (g.fanPercent !== null) parts.push(`fan ${g.fanPercent}%`);
  if (g.smClockMHz !== null) parts.push(g.memClockMHz !== null ? `${g.smClockMHz}/${g.memClockMHz} MHz` : `${g.smClockMHz} MHz`);
  if (g.memoryUsedMiB !== null && g.memoryTotalMiB !== null) parts.push(`${(g.memoryUsedMiB / 1024).toFixed(1)}/${(g.memoryTotalMiB / 1024).toFixed(1)} GiB`);
  return parts.join(' ');
}
