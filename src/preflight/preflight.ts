/**
 * Checks of everything that can fail locally, run before the first transaction (a registration
 * costs gas; a failure after it used to lose the id). Each part of the service that needs
 * something (the data dir, a listen address, devices, the contracts) adds one named check to the
 * list; `runPreflight` runs them all and refuses with one line naming every failure.
 */
import { MinerError } from '../errors.js';

export interface PreflightCheck {
  /** What is checked, for the failure line ("metrics address 127.0.0.1:9464"). */
  what: string;
  /** Resolves when it is fine; throws (one-line message) when it is not. */
  run(): Promise<void> | void;
}

/**
 * Runs every check in order (each one even after a failure, so the operator sees all problems
 * at once).
 * @throws {MinerError} BAD_CONFIG `<what>: <why>; <what>: <why>` when any failed.
 */
export async function runPreflight(checks: readonly PreflightCheck[]): Promise<void> {
  const failures: string[] = [];
  for (const c of checks) {
    try {
      await c.run();
    } catch (e) {
      const msg = ((e as Error).message ?? String(e)).split('\n')[0]!;
      failures.push(msg.includes(c.what) ? msg : `${c.what}: ${msg}`);
    }
  }
  if (failures.length > 0) throw new MinerError('BAD_CONFIG', `not started (nothing was sent to the chain): ${failures.join('; ')}`);
}
