/**
 * One input of `zg-miner verify`, from text to the line it prints: exactly what a single verify
 * prints (`valid quality=0x…` / `invalid: <reason>`), its warnings, and its exit code. An input
 * that cannot be read or parsed gets `error: <message>` so batch output stays one line per input.
 */
import { toHex } from '../bytes.js';
import { isExpectedError } from '../errors.js';
import { parseAnswerFile } from '../verify/answerJson.js';
import { verifyAnswer } from '../verify/verifyAnswer.js';
import type { PoraHashes } from '../verify/hashes.js';

export interface BatchItem {
  /** File name, or `-:<line>` for a line of stdin. */
  label: string;
  /** The JSON text, or null when reading failed (then `readError` says why). */
  text: string | null;
  readError?: string;
}

/** Exit codes: 0 valid, 2 invalid, 1 input error; a batch exits with the worst (1 > 2 > 0). */
export type ItemCode = 0 | 1 | 2;

export interface ItemResult {
  line: string;
  warnings: string[];
  code: ItemCode;
  /** For code 1: the one-line error (also the stdout line after `error: `). */
  error?: string;
}

export function verifyItem(item: BatchItem, hashes?: PoraHashes): ItemResult {
  if (item.text === null) return errorResult(item.readError ?? `${item.label}: cannot read`);
  let parsed: ReturnType<typeof parseAnswerFile>;
  try {
    parsed = parseAnswerFile(item.text, item.label);
  } catch (e) {
    if (!isExpectedError(e)) throw e;
    return errorResult(e.message.split('\n')[0]!);
  }
  const r = verifyAnswer(parsed.answer, parsed.view, hashes);
  return r.ok
    ? { line: `valid quality=${toHex(r.quality)}`, warnings: r.warnings, code: 0 }
    : { line: `invalid: ${r.reason}`, warnings: r.warnings, code: 2 };
}

function errorResult(message: string): ItemResult {
  return { line: `error: ${message}`, warnings: [], code: 1, error: message };
}

/** The batch's exit code: any input error → 1, else any invalid → 2, else 0. */
export function worstCode(a: ItemCode, b: ItemCode): ItemCode {
  if (a === 1 || b === 1) return 1;
  if (a === 2 || b === 2) return 2;
  return 0;
}
