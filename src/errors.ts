/**
 * Error conventions. Expected failures (bad input, usage, operational trouble) are `MinerError`
 * or `UsageError` and print as one line; anything else is a bug and prints its stack.
 * An invalid proof is not an error: the verifier returns `{ok:false, reason}`.
 */

export const MinerErrorCode = {
  BAD_INPUT: 'BAD_INPUT',
  BAD_CONFIG: 'BAD_CONFIG',
  GPU_UNAVAILABLE: 'GPU_UNAVAILABLE',
  GPU_VALIDATION: 'GPU_VALIDATION',
  GPU_DEVICE_LOST: 'GPU_DEVICE_LOST',
  CHAIN_ERROR: 'CHAIN_ERROR',
  CHAIN_SUBMIT_REVERTED: 'CHAIN_SUBMIT_REVERTED',
  STORE_ERROR: 'STORE_ERROR',
  PEER_DATA_INVALID: 'PEER_DATA_INVALID',
  TIMEOUT: 'TIMEOUT',
  /** The mining service stopped by itself (a loop failed): the process exits non-zero. */
  MINING_STOPPED: 'MINING_STOPPED',
  /** Ctrl+C / SIGTERM arrived while the work was under way (e.g. during devnet setup). */
  INTERRUPTED: 'INTERRUPTED',
} as const;
export type MinerErrorCode = (typeof MinerErrorCode)[keyof typeof MinerErrorCode];

export class MinerError extends Error {
  readonly code: MinerErrorCode;
  readonly meta: Record<string, string | number | boolean | null>;
  constructor(
    code: MinerErrorCode,
    message: string,
    opts: { cause?: unknown; meta?: Record<string, string | number | boolean | null> } = {}
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MinerError';
    this.code = code;
    this.meta = opts.meta ?? {};
  }
  /** Plain object that survives structured clone (worker_threads). */
  toObject(): { code: MinerErrorCode; message: string; meta: MinerError['meta'] } {
    return { code: this.code, message: this.message, meta: this.meta };
  }
}

/** Wrong command-line usage: printed without a stack (lodestar's YargsError). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isMinerError(e: unknown, code?: MinerErrorCode): e is MinerError {
  return e instanceof MinerError && (code === undefined || e.code === code);
}

/** True for errors that should print as one line without a stack trace. */
export function isExpectedError(e: unknown): e is Error {
  return e instanceof MinerError || e instanceof UsageError;
}
