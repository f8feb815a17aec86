/**
 * `zg-miner selftest`: checks every case of every vector file in a folder. One check per case (and
 * per rs reconstruct trial); each failing field prints `FAIL <case> <field>: expected <x>, got <y>`.
 * Kinds with backend kernels (pora, pora-edge, unseal) run through the given backend, rs through the
 * given erasure coder; the others on the CPU reference.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SECTORS_PER_LOAD_N, SECTORS_PER_SEAL_N } from '../spec.js';
import { equalBytes, toHex } from '../bytes.js';
import type { PoraBackend, PoraEvaluation } from '../backend/backend.js';
import { numShards, rangeDigest, recallChunkOffset } from '../core/recallRange.js';
import { recoverMerkleRoot, sealRoot } from '../core/merkle.js';
import { pora } from '../verify/verifyAnswer.js';
import {
  CaseFieldError,
  jsonArray,
  jsonObject,
  kindOfFile,
  parseMerkleCase,
  parsePoraCase,
  parseUnsealCase,
  type PoraVectorCase,
  type VectorKind,
} from './vectorCase.js';
import { checkFileRootCase } from './fileRootCheck.js';
import { checkRsEncode, checkRsTrial, parseRsCase, type RsVectorCase } from './rsCheck.js';
import type { ErasureCoder } from '../ec/coder.js';
import { isExpectedError } from '../errors.js';

export interface SelftestCounts {
  passed: number;
  failed: number;
  skipped: number;
  /**
   * Passed checks the backend had no part in, judged by the CPU reference: pora-edge revert cases
   * (the contract's verdict, decided by verify/'s pora()) and the kinds without a backend kernel.
   */
  passedOnCpu: string[];
}

const zero = (): SelftestCounts => ({ passed: 0, failed: 0, skipped: 0, passedOnCpu: [] });

/** Collects the failures of one check; the check passes when none were recorded. */
class Check {
  readonly failures: string[] = [];
  readonly name: string;
  /** True when only the CPU reference decided this check. */
  onCpu: boolean;
  constructor(name: string, onCpu = false) {
    this.name = name;
    this.onCpu = onCpu;
  }
  expect(field: string, expected: string, got: string): void {
    if (expected !== got) this.failures.push(`FAIL ${this.name} ${field}: expected ${expected}, got ${got}`);
  }
  fail(field: string, message: string): void {
    this.failures.push(`FAIL ${this.name} ${field}: ${message}`);
  }
}

type Out = (line: string) => void;

function expectedString(c: PoraVectorCase, key: string, check: Check): string | null {
  const v = c.expected[key];
  if (v === undefined) return null;
  if (typeof v !== 'string') {
    check.fail(`expected.${key}`, `malformed: expected a string, got ${typeof v}`);
    return null;
  }
  return v.toLowerCase();
}

/** Compares the intermediates the vectors list with what the backend computed. */
function checkPoraIntermediates(c: PoraVectorCase, ev: PoraEvaluation, check: Check): void {
  const cmp = (key: string, got: string): void => {
    const exp = expectedString(c, key, check);
    if (exp !== null) check.expect(key, exp, got);
  };
  cmp('rangeDigest', toHex(rangeDigest(c.range)));
  cmp('padSeed', toHex(ev.padSeed));
  cmp('padDigest', toHex(ev.padDigest));
  cmp('recallSeed', toHex(ev.recallSeed));
  if (c.range.mineLength / SECTORS_PER_LOAD_N > 0n) {
    const chunk = c.range.startPosition + recallChunkOffset(c.range, ev.recallSeed) * SECTORS_PER_LOAD_N;
    cmp('recallChunkPosition', chunk.toString());
    cmp('recallPosition', (chunk + c.sealOffset * SECTORS_PER_SEAL_N).toString());
  }
  cmp('numShards', numShards(c.range).toString());
  cmp('poraOutput', toHex(ev.quality));
}

function caseFailure(check: Check, e: unknown, raw: unknown): void {
  if (e instanceof CaseFieldError && e.message === 'missing') {
    check.fail(e.field, 'missing (malformed case)');
  } else if (e instanceof CaseFieldError) {
    let got = '';
    try {
      const v = e.field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k.replace(/\[\d+\]$/, '')], raw);
      got = v === undefined ? 'nothing' : typeof v === 'string' ? `"${v.length > 24 ? v.slice(0, 24) + '…' : v}"` : JSON.stringify(v)?.slice(0, 40) ?? typeof v;
    } catch {
      got = 'an unreadable value';
    }
    check.fail(e.field, `${e.message}, got ${got} (malformed case)`);
  } else throw e;
}

async function runPoraKind(file: string, cases: unknown[], edge: boolean, backend: PoraBackend, out: Out): Promise<SelftestCounts> {
  const counts = zero();
  const checks = cases.map((_, i) => new Check(`${file}#${i}`));
  const parsed: (PoraVectorCase | null)[] = cases.map((raw, i) => {
    try {
      return parsePoraCase(raw);
    } catch (e) {
      caseFailure(checks[i]!, e, raw);
      return null;
    }
  });
  // Never dispatch a case whose recall chunk divides by zero; the host decides those with pora().
  const dispatch = parsed.flatMap((c, i) => (c !== null && c.range.mineLength / SECTORS_PER_LOAD_N > 0n ? [i] : []));
  const evals = await backend.evaluate(dispatch.map((i) => parsed[i]!));
  const evalOf = new Map(dispatch.map((i, k) => [i, evals[k]!]));

  parsed.forEach((c, i) => {
    const check = checks[i]!;
    if (c === null) return;
    const ev = evalOf.get(i);
    const revert = c.expected['revert'];
    if (!edge || revert === undefined) {
      if (ev === undefined) check.fail('poraOutput', 'no evaluation: mineLength / 1024 is 0 but the case expects an output');
      else checkPoraIntermediates(c, ev, check);
    }
    if (edge && revert !== undefined) check.onCpu = true;
    if (edge) {
      const verdict = pora({ ...c, contextDigest: new Uint8Array(32), sealedContextDigest: new Uint8Array(32), merkleProof: [] }, c.subtaskDigest);
      if (revert !== undefined) {
        check.expect('revert', String(revert), verdict.ok ? `accepted (quality ${toHex(verdict.quality)})` : verdict.reason);
      } else if (!verdict.ok) {
        check.expect('poraOutput', String(c.expected['poraOutput']), `revert "${verdict.reason}"`);
      } else if (ev !== undefined && !equalBytes(ev.quality, verdict.quality)) {
        check.expect('backend.poraOutput', toHex(verdict.quality), toHex(ev.quality));
      }
    }
  });
  for (const ch of checks) tally(ch, counts, out);
  return counts;
}

function tally(check: Check, counts: SelftestCounts, out: Out): void {
  if (check.failures.length === 0) {
    counts.passed++;
    if (check.onCpu) counts.passedOnCpu.push(check.name);
  } else {
    counts.failed++;
    for (const f of check.failures) out(f);
  }
}

async function runUnsealKind(file: string, cases: unknown[], backend: PoraBackend, out: Out): Promise<SelftestCounts> {
  const counts = zero();
  const checks = cases.map((_, i) => new Check(`${file}#${i}`));
  const parsed = cases.map((raw, i) => {
    try {
      return parseUnsealCase(raw);
    } catch (e) {
      caseFailure(checks[i]!, e, raw);
      return null;
    }
  });
  const ok = parsed.flatMap((c, i) => (c === null ? [] : [i]));
  const results = await backend.seal(
    ok.map((i) => {
      const c = parsed[i]!;
      return { minerId: c.minerId, sealContextDigest: c.sealedContextDigest, startSector: c.recallPosition, data: c.sealedData };
    }),
    'unseal'
  );
  ok.forEach((i, k) => checks[i]!.expect('unsealedData', toHex(parsed[i]!.unsealedData), toHex(results[k]!)));
  for (const ch of checks) tally(ch, counts, out);
  return counts;
}

function runMerkleKind(file: string, cases: unknown[], out: Out): SelftestCounts {
  const counts = zero();
  cases.forEach((raw, i) => {
    const check = new Check(`${file}#${i}`, true);
    try {
      const c = parseMerkleCase(raw);
      check.expect('sealRoot', toHex(c.sealRoot), toHex(sealRoot(c.unsealedData)));
      check.expect('recoveredRoot', toHex(c.recoveredRoot), toHex(recoverMerkleRoot(c.unsealedData, c.recallPosition, c.merkleProof)));
    } catch (e) {
      caseFailure(check, e, raw);
    }
    tally(check, counts, out);
  });
  return counts;
}

function runFileRootKind(file: string, cases: unknown[], out: Out): SelftestCounts {
  const counts = zero();
  cases.forEach((raw, i) => {
    const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const check = new Check(`${file}#${typeof o['id'] === 'string' ? o['id'] : i}`, true);
    try {
      for (const [field, expected, got] of checkFileRootCase(raw)) check.expect(field, expected, got);
    } catch (e) {
      caseFailure(check, e, raw);
    }
    tally(check, counts, out);
  });
  return counts;
}

/** rs-: one check per case (data, parity) and one per reconstruct trial, through `coder`. */
async function runRsKind(file: string, cases: unknown[], coder: ErasureCoder, out: Out): Promise<SelftestCounts> {
  const counts = zero();
  for (const [i, raw] of cases.entries()) {
    const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const name = `${file}#${typeof o['id'] === 'string' ? o['id'] : i}`;
    const check = new Check(name);
    const trials = Array.isArray(o['reconstruct']) ? o['reconstruct'].length : 0;
    let c: RsVectorCase;
    try {
      c = parseRsCase(raw);
    } catch (e) {
      caseFailure(check, e, raw);
      tally(check, counts, out);
      // Its trials cannot run either: each counts as failed.
      for (let t = 0; t < trials; t++) {
        const tc = new Check(`${name}/reconstruct#${t}`);
        tc.fail('case', 'malformed (see the case)');
        tally(tc, counts, out);
      }
      continue;
    }
    let shards: Uint8Array[] = [];
    try {
      const r = await checkRsEncode(c, coder);
      shards = r.shards;
      for (const [f, e, g] of r.diffs) check.expect(f, e, g);
    } catch (e) {
      expectedFailure(check, e);
    }
    tally(check, counts, out);
    for (const [t, trial] of c.trials.entries()) {
      // A trial with nothing erased, or too many, never reaches the coder: the host decides it.
      const tc = new Check(`${name}/reconstruct#${t}`, !trial.ok || trial.erased.length === 0);
      try {
        for (const [f, e, g] of await checkRsTrial(c, trial, shards, coder)) tc.expect(f, e, g);
      } catch (e) {
        expectedFailure(tc, e);
      }
      tally(tc, counts, out);
    }
  }
  return counts;
}

/** An expected error (bad parameters in a case) fails that check; anything else is a bug. */
function expectedFailure(check: Check, e: unknown): void {
  if (!isExpectedError(e)) throw e;
  check.fail('error', e.message);
}

async function runFile(dir: string, file: string, kind: VectorKind, backend: PoraBackend, coder: ErasureCoder, out: Out): Promise<SelftestCounts> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, file), 'utf8'));
  } catch (e) {
    out(`FAIL ${file}: cannot read or parse the file as JSON (${(e as Error).message.split('\n')[0]})`);
    return { ...zero(), failed: 1 };
  }
  let cases: unknown[];
  try {
    cases = jsonArray(jsonObject(json, '(file)')['cases'], 'cases');
  } catch {
    out(`FAIL ${file}: no "cases" array at the top level (format: shared/vectors/README.md)`);
    return { ...zero(), failed: 1 };
  }
  switch (kind) {
    case 'pora-edge':
      return runPoraKind(file, cases, true, backend, out);
    case 'pora':
      return runPoraKind(file, cases, false, backend, out);
    case 'unseal':
      return runUnsealKind(file, cases, backend, out);
    case 'merkle':
      return runMerkleKind(file, cases, out);
    case 'file-root':
      return runFileRootKind(file, cases, out);
    case 'rs':
      return runRsKind(file, cases, coder, out);
  }
}

/** Runs every `*.json` in `dir`; `out` receives the FAIL lines (the caller prints the summary). */
export async function runSelftest(dir: string, backend: PoraBackend, coder: ErasureCoder, out: Out): Promise<SelftestCounts> {
  const total = zero();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  for (const file of files) {
    const kind = kindOfFile(file);
    let counts: SelftestCounts;
    if (kind === null) {
      out(`FAIL ${file}: the file name names no vector kind (prefixes: pora-edge-, pora-, unseal-, merkle-, rs-, file-root-)`);
      counts = { ...zero(), failed: 1 };
    } else {
      counts = await runFile(dir, file, kind, backend, coder, out);
    }
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
    total.passedOnCpu.push(...counts.passedOnCpu);
  }
  return total;
}

/**
 * The last line. On the CPU backend every check is a CPU check; on another backend the passes the
 * backend had no part in are counted apart, so they are never read as that backend's passes.
 */
export function summaryLine(c: SelftestCounts, backend: PoraBackend['info']['kind'] = 'cpu'): string {
  if (backend === 'cpu' || c.passedOnCpu.length === 0) return `selftest: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
  return `selftest: ${c.passed - c.passedOnCpu.length} passed on ${backend}, ${c.passedOnCpu.length} passed on the CPU reference, ${c.failed} failed, ${c.skipped} skipped`;
}

/** Which passes the CPU reference decided, one line per file: `on the CPU reference: file#1 #4 …`. */
export function cpuJudgedLines(c: SelftestCounts): string[] {
  const byFile = new Map<string, string[]>();
  for (const name of c.passedOnCpu) {
    const at = name.indexOf('#');
    const file = name.slice(0, at);
    (byFile.get(file) ?? byFile.set(file, []).get(file)!).push(name.slice(at));
  }
  const why = (file: string): string =>
    file.startsWith('pora-edge-')
      ? 'revert: decided by the contract check'
      : file.startsWith('rs-')
        ? 'nothing erased, or too few shards: decided before any kernel runs'
        : 'no backend kernel';
  return [...byFile].map(([file, ids]) => `on the CPU reference (${why(file)}): ${file} ${ids.join(' ')}`);
}
