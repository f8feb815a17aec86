/**
 * GPU health flags of the mining commands (mine, devnet): which GPUs nvidia-smi should report and
 * the optional temperature guard. Without nvidia-smi the readings are absent and the guard never
 * pauses; a limit without nvidia-smi is said once, not an error.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';

export interface HealthArgs {
  'temperature-limit': number | undefined;
  'temperature-resume': number | undefined;
  'health-gpus': string | undefined;
}

export function healthOptions<T>(y: Argv<T>): Argv<T & HealthArgs> {
  return y
    .option('temperature-limit', { type: 'number', describe: 'pause the search while a watched GPU is above this °C (nvidia-smi)' })
    .option('temperature-resume', { type: 'number', describe: 'resume at or below this °C (default: limit − 5)' })
    .option('health-gpus', { type: 'string', describe: 'GPUs nvidia-smi reports for this process: indexes, PCI bus ids or UUIDs, comma-separated (default: all)' }) as unknown as Argv<T & HealthArgs>;
}

export interface HealthSettings {
  temperatureLimit?: number;
  temperatureResume?: number;
  ids?: string;
}

export function healthSettings(a: HealthArgs): HealthSettings {
  const lim = a['temperature-limit'];
  const res = a['temperature-resume'];
  if (lim !== undefined && !(Number.isFinite(lim) && lim > 0 && lim < 150)) throw new UsageError(`--temperature-limit: expected °C between 0 and 150, got ${lim}`);
  if (res !== undefined && lim === undefined) throw new UsageError('--temperature-resume needs --temperature-limit');
  if (res !== undefined && lim !== undefined && !(Number.isFinite(res) && res < lim)) throw new UsageError(`--temperature-resume ${res} must be below --temperature-limit ${lim}`);
  return {
    ...(lim !== undefined ? { temperatureLimit: lim } : {}),
    ...(res !== undefined ? { temperatureResume: res } : {}),
    ...(a['health-gpus'] !== undefined ? { ids: a['health-gpus'] } : {}),
  };
}
