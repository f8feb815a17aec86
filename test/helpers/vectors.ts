/**
 * Finds the golden vectors in `../shared/vectors` (relative to the repo root, not the cwd;
 * `ZG_VECTORS_DIR` overrides) and loads them through the one vector parser, selftest's
 * (src/selftest/vectorCase.ts): hex becomes bytes and decimal strings become bigint, so tests
 * compare real values; a malformed file fails loudly with the case's name and the field.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CaseFieldError,
  jsonArray,
  jsonObject,
  kindOfFile,
  parseFileRootCase,
  parseMerkleCase,
  parsePoraCase,
  parsePoraEdgeCase,
  parsePoraExpected,
  parseUnsealCase,
  type FileRootVectorCase,
  type PoraEdgeKind,
  type PoraEdgeVectorCase,
  type PoraExpected,
  type PoraInputs,
  type VectorKind,
} from '../../src/selftest/vectorCase.js';

/** The repository root: the nearest ancestor of this file holding zg-miner's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'zg-miner') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('vectors: cannot find the zg-miner repository root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/**
 * The vector folders: `$ZG_VECTORS_DIR` (several joined with the path delimiter, e.g. the public
 * set and an acceptance set), else `<repo>/../shared/vectors`; a worktree nested deeper
 * (`<root>/wt/<name>`) finds the same folder further up.
 */
export function vectorsDirs(): string[] {
  const env = process.env['ZG_VECTORS_DIR'];
  if (env !== undefined && env !== '')
    return env
      .split(delimiter)
      .filter((d) => d !== '')
      .map((d) => resolve(d));
  let dir = dirname(repoRoot());
  for (;;) {
    const candidate = join(dir, 'shared', 'vectors');
    if (existsSync(candidate)) return [candidate];
    const up = dirname(dir);
    if (up === dir) throw new Error('vectors: no ../shared/vectors next to the repository; set ZG_VECTORS_DIR');
    dir = up;
  }
}

/** The first vector folder (the public set unless ZG_VECTORS_DIR names others first). */
export function vectorsDir(): string {
  return vectorsDirs()[0]!;
}

/** A named vector file, from the first folder that has it. */
export function vectorFile(name: string): string {
  const dirs = vectorsDirs();
  const found = dirs.map((d) => join(d, name)).find((f) => existsSync(f));
  if (found === undefined) throw new Error(`vectors: ${name} not found in ${dirs.join(', ')}; set ZG_VECTORS_DIR`);
  return found;
}

/** What `zg-miner selftest` must count for a folder: one check per case, plus one per rs reconstruct trial; nothing skipped. */
export function expectedSelftestCounts(dir: string): { passed: number; skipped: number } {
  let passed = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const cases = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { cases: { reconstruct?: unknown[] }[] }).cases;
    if (f.startsWith('rs-')) passed += cases.reduce((n, c) => n + 1 + (c.reconstruct?.length ?? 0), 0);
    else passed += cases.length;
  }
  return { passed, skipped: 0 };
}

/**
 * The checks `selftest` on a GPU must count as decided by the CPU reference: pora-edge revert
 * cases (no kernel output is compared), every merkle and file-root case (no GPU kernel), and the
 * rs reconstruct trials that never reach the coder (nothing erased, or more than m erased).
 */
export function expectedCpuJudged(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const cases = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { cases: { kind?: string; reconstruct?: { ok: boolean; erased: unknown[] }[] }[] }).cases;
    if (f.startsWith('pora-edge-')) n += cases.filter((c) => c.kind === 'revert').length;
    else if (f.startsWith('rs-')) n += cases.reduce((k, c) => k + (c.reconstruct ?? []).filter((t) => !t.ok || t.erased.length === 0).length, 0);
    else if (f.startsWith('merkle-') || f.startsWith('file-root-')) n += cases.length;
  }
  return n;
}


/** Paths of a kind's files (longest-prefix rule of the vectors README: `pora-edge-` is not `pora-`). */
export function vectorFiles(kind: VectorKind): string[] {
  return vectorsDirs().flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json') && kindOfFile(f) === kind)
      .sort()
      .map((f) => join(dir, f))
  );
}

/** The rs- files (parsed by src/selftest/rsCheck.ts, the one rs parser). */
export function rsVectorFiles(): string[] {
  return vectorFiles('rs');
}
/** A named case: `name` is the README's `file#index` / `file#id`. */
export interface Named {
  name: string;
}

export type { PoraExpected, PoraInputs, PoraEdgeKind };

export interface PoraCase extends Named, PoraInputs {
  expected: PoraExpected;
}

export interface PoraEdgeCase extends Named, PoraEdgeVectorCase {}

export interface UnsealCase extends Named {
  minerId: Uint8Array;
  sealedContextDigest: Uint8Array;
  recallPosition: bigint;
  sealedData: Uint8Array;
  expected: { unsealedData: Uint8Array };
}

export interface MerkleCase extends Named {
  unsealedData: Uint8Array;
  recallPosition: bigint;
  merkleProof: Uint8Array[];
  expected: { sealRoot: Uint8Array; recoveredRoot: Uint8Array };
}

export interface FileRootCase extends Named, FileRootVectorCase {}

/**
 * Cases of every file of a kind, each parsed by the selftest's parser (src/selftest/vectorCase.ts);
 * `nameOf` names a case (default `file#index`). A malformed case fails loudly with its name and field.
 */
function loadKind<T>(kind: Exclude<VectorKind, 'rs'>, parse: (c: unknown) => T, nameOf: (raw: unknown, i: number) => string = (_, i) => String(i)): (T & Named)[] {
  const out: (T & Named)[] = [];
  for (const path of vectorFiles(kind)) {
    const file = basename(path);
    const top = jsonObject(JSON.parse(readFileSync(path, 'utf8')), file);
    jsonArray(top['cases'], `${file}.cases`).forEach((raw, i) => {
      const name = `${file}#${nameOf(raw, i)}`;
      try {
        out.push({ name, ...parse(raw) });
      } catch (e) {
        if (e instanceof CaseFieldError) throw new Error(`vectors: ${name}.${e.field}: ${e.message}`, { cause: e });
        throw e;
      }
    });
  }
  return out;
}

export function loadPoraCases(): PoraCase[] {
  return loadKind('pora', (c) => {
    const { expected, ...inputs } = parsePoraCase(c);
    return { ...inputs, expected: parsePoraExpected(expected) };
  });
}

export function loadPoraEdgeCases(): PoraEdgeCase[] {
  return loadKind('pora-edge', parsePoraEdgeCase);
}

export function loadUnsealCases(): UnsealCase[] {
  return loadKind('unseal', (c) => {
    const { unsealedData, ...inputs } = parseUnsealCase(c);
    return { ...inputs, expected: { unsealedData } };
  });
}

export function loadMerkleCases(): MerkleCase[] {
  return loadKind('merkle', (c) => {
    const { sealRoot, recoveredRoot, ...inputs } = parseMerkleCase(c);
    return { ...inputs, expected: { sealRoot, recoveredRoot } };
  });
}

export function loadFileRootCases(): FileRootCase[] {
  return loadKind('file-root', parseFileRootCase, (raw, i) => {
    const id = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['id'] : undefined;
    return typeof id === 'string' ? id : String(i);
  });
}
