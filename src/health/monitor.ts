/**
 * Polls nvidia-smi while mining: the latest readings for /status, metrics and the 30 s hashrate
 * line, and the `--temperature-limit` guard (T-Rex's habit): the search pauses while the hottest
 * watched GPU is above the limit and resumes once it has cooled to the resume temperature
 * (default limit − 5 °C), so a card hovering at the limit does not flap every poll.
 */
import { formatReading, queryGpus, type GpuReading, type QueryOptions } from './nvidiaSmi.js';

export const DEFAULT_POLL_SECONDS = 5;
export const DEFAULT_RESUME_MARGIN_C = 5;

export interface HealthMonitorOptions extends QueryOptions {
  pollSeconds?: number;
  /** Pause above this temperature (°C); undefined = never pause. */
  temperatureLimit?: number;
  /** Resume at or below this temperature (default temperatureLimit − 5). */
  temperatureResume?: number;
  log: { info(line: string): void; warn(line: string): void; debug?(line: string): void };
  /** Called after every successful poll (metrics). */
  onReadings?: (gpus: GpuReading[]) => void;
}

export class HealthMonitor {
  readonly #o: HealthMonitorOptions;
  #gpus: GpuReading[] = [];
  #missing = false;
  #lastError: string | null = null;
  #hot: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(o: HealthMonitorOptions) {
    if (o.temperatureLimit !== undefined && o.temperatureResume !== undefined && o.temperatureResume >= o.temperatureLimit) {
      throw new RangeError('the resume temperature must be below the temperature limit');
    }
    this.#o = o;
  }

  /** Latest readings (empty without nvidia-smi). */
  get gpus(): GpuReading[] {
    return this.#gpus;
  }

  /** True once nvidia-smi was found missing: there is no health data on this machine. */
  get unavailable(): boolean {
    return this.#missing;
  }

  get resumeAt(): number | undefined {
    const lim = this.#o.temperatureLimit;
    return lim === undefined ? undefined : (this.#o.temperatureResume ?? lim - DEFAULT_RESUME_MARGIN_C);
  }

  /** One poll: updates the readings and the temperature guard. Safe to call concurrently. */
  poll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => {
      this.#polling = null;
    });
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    if (this.#missing) return;
    const r = await queryGpus(this.#o);
    if (!r.ok) {
      if (r.missing) {
        this.#missing = true;
        this.#o.log.debug?.('gpu health: nvidia-smi not found; no temperature, power or fan readings');
        this.stop();
      } else if (r.error !== this.#lastError) {
        this.#o.log.warn(`gpu health: ${r.error}`);
      }
      this.#lastError = r.error;
      return;
    }
    if (this.#lastError !== null) this.#o.log.info('gpu health: nvidia-smi answers again');
    this.#lastError = null;
    this.#gpus = r.gpus;
    this.#o.onReadings?.(r.gpus);
    this.#updateGuard();
  }

  #updateGuard(): void {
    const limit = this.#o.temperatureLimit;
    if (limit === undefined) return;
    const temps = this.#gpus.filter((g) => g.temperatureC !== null);
    if (temps.length === 0) return;
    const hottest = temps.reduce((a, b) => (b.temperatureC! > a.temperatureC! ? b : a));
    const t = hottest.temperatureC!;
    // Hysteresis: once paused, stay paused until the card is down to the resume temperature.
    const tooHot = this.#hot !== null ? t > this.resumeAt! : t > limit;
    this.#hot = tooHot ? `GPU ${hottest.index} at ${t}°C is above --temperature-limit ${limit}°C (resumes at ${this.resumeAt}°C)` : null;
  }

  /** The miner's search guard: a reason while too hot, else null. */
  pauseReason(): string | null {
    return this.#hot;
  }

  /** For the hashrate line: "GPU 0 62°C 301/700 W fan 40% …", or null without readings. */
  line(): string | null {
    if (this.#gpus.length === 0) return null;
    return this.#gpus.map((g) => `GPU ${g.index} ${formatReading(g)}`).join(' | ');
  }

  /** Polls now and then every pollSeconds until stop(). */
  async start(): Promise<void> {
    await this.poll();
    if (this.#missing) return;
    this.#timer = setInterval(() => void this.poll(), (this.#o.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
