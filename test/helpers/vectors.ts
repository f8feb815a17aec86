/**
 * One typed loader for the golden vectors in `../shared/vectors` (relative to the repo root, not
 * the cwd; `ZG_VECTORS_DIR` overrides). Hex becomes bytes and decimal strings become bigint, so
 * tests compare real values; a malformed file fails loudly with the field's name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, parseUint } from '../../src/bytes.js';
import type { RecallRange } from '../../src/types.js';

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

export type VectorKind = 'pora' | 'pora-edge' | 'unseal' | 'merkle' | 'rs' | 'file-root';

/** Paths of a kind's files (longest-prefix rule of the vectors README: `pora-edge-` is not `pora-`). */
export function vectorFiles(kind: VectorKind): string[] {
  const kinds: VectorKind[] = ['pora-edge', 'pora', 'unseal', 'merkle', 'rs', 'file-root'];
  return vectorsDirs().flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .filter((f) => kinds.find((k) => f.startsWith(k + '-')) === kind)
      .sort()
      .map((f) => join(dir, f))
  );
}

/** The rs- files (parsed by src/selftest/rsCheck.ts, the one rs parser). */
export function rsVectorFiles(): string[] {
  return vectorFiles('rs');
}

type Json = Record<string, unknown>;

function obj(v: unknown, label: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${label}: expected an object`);
  return v as Json;
}
function arr(v: unknown, label: string): unknown[] {
  if (!Array.isArray(v)) throw new TypeError(`${label}: expected an array`);
  return v;
}
function str(v: unknown, label: string): string {
  if (typeof v !== 'string') throw new TypeError(`${label}: expected a string`);
  return v;
}
const hex = (c: Json, k: string, label: string, len?: number): Uint8Array => fromHex(c[k], len, `${label}.${k}`);
const uint = (c: Json, k: string, label: string): bigint => parseUint(c[k], `${label}.${k}`);

function loadFile(path: string): { file: string; cases: unknown[]; top: Json } {
  const file = basename(path);
  const top = obj(JSON.parse(readFileSync(path, 'utf8')), file);
  return { file, top, cases: arr(top['cases'], `${file}.cases`) };
}

/** A named case: `name` is the README's `file#index` / `file#id`. */
export interface Named {
  name: string;
}

export interface PoraInputs {
  minerId: Uint8Array;
  nonce: Uint8Array;
  subtaskDigest: Uint8Array;
  range: RecallRange;
  sealOffset: bigint;
  sealedData: Uint8Array;
  recallPosition: bigint;
}

export interface PoraExpected {
  rangeDigest: Uint8Array;
  padSeed: Uint8Array;
  padDigest: Uint8Array;
  recallSeed: Uint8Array;
  recallChunkPosition: bigint;
  recallPosition: bigint;
  numShards: bigint;
  poraOutput: Uint8Array;
}

export interface PoraCase extends Named, PoraInputs {
  expected: PoraExpected;
}

export type PoraEdgeKind = 'accepted-boundary' | 'accepted-large-sealOffset' | 'revert';

export interface PoraEdgeCase extends Named, PoraInputs {
  kind: PoraEdgeKind;
  note: string;
  expected: { revert: string } | PoraExpected;
}

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

export interface FileRootCase extends Named {
  id: string;
  /** The case's file bytes, generated from its `data` spec. */
  data: Uint8Array;
  size: number;
  numChunks: number;
  paddedChunks: number;
  numSegmentsPadded: number;
  dataRoot: Uint8Array;
  submissionNodes: { root: Uint8Array; height: number }[];
  uploadSegmentProofs: { index: number; lemma: Uint8Array[]; path: boolean[] }[];
}

function poraInputs(c: Json, label: string): PoraInputs {
  const r = obj(c['range'], `${label}.range`);
  return {
    minerId: hex(c, 'minerId', label, 32),
    nonce: hex(c, 'nonce', label, 32),
    subtaskDigest: hex(c, 'subtaskDigest', label, 32),
    range: {
      startPosition: uint(r, 'startPosition', `${label}.range`),
      mineLength: uint(r, 'mineLength', `${label}.range`),
      shardId: uint(r, 'shardId', `${label}.range`),
      shardMask: uint(r, 'shardMask', `${label}.range`),
    },
    sealOffset: uint(c, 'sealOffset', label),
    sealedData: hex(c, 'sealedData', label, 4096),
    recallPosition: uint(c, 'recallPosition', label),
  };
}

function poraExpected(e: Json, label: string): PoraExpected {
  return {
    rangeDigest: hex(e, 'rangeDigest', label, 32),
    padSeed: hex(e, 'padSeed', label, 64),
    padDigest: hex(e, 'padDigest', label, 64),
    recallSeed: hex(e, 'recallSeed', label, 32),
    recallChunkPosition: uint(e, 'recallChunkPosition', label),
    recallPosition: uint(e, 'recallPosition', label),
    numShards: uint(e, 'numShards', label),
    poraOutput: hex(e, 'poraOutput', label, 32),
  };
}

/** Cases of every file of a contract kind, each parsed by `parse(caseObject, name)`. */
function loadContractKind<T>(kind: VectorKind, parse: (c: Json, name: string) => T): T[] {
  const out: T[] = [];
  for (const path of vectorFiles(kind)) {
    const { file, cases } = loadFile(path);
    cases.forEach((raw, i) => {
      const name = `${file}#${i}`;
      out.push(parse(obj(raw, name), name));
    });
  }
  return out;
}

export function loadPoraCases(): PoraCase[] {
  return loadContractKind('pora', (c, name) => ({
    name,
    ...poraInputs(c, name),
    expected: poraExpected(obj(c['expected'], `${name}.expected`), `${name}.expected`),
  }));
}

export function loadPoraEdgeCases(): PoraEdgeCase[] {
  return loadContractKind('pora-edge', (c, name) => {
    const kind = str(c['kind'], `${name}.kind`);
    if (kind !== 'accepted-boundary' && kind !== 'accepted-large-sealOffset' && kind !== 'revert')
      throw new RangeError(`${name}.kind: unknown kind "${kind}"`);
    const e = obj(c['expected'], `${name}.expected`);
    return {
      name,
      ...poraInputs(c, name),
      kind,
      note: typeof c['note'] === 'string' ? c['note'] : '',
      expected: kind === 'revert' ? { revert: str(e['revert'], `${name}.expected.revert`) } : poraExpected(e, `${name}.expected`),
    };
  });
}

export function loadUnsealCases(): UnsealCase[] {
  return loadContractKind('unseal', (c, name) => ({
    name,
    minerId: hex(c, 'minerId', name, 32),
    sealedContextDigest: hex(c, 'sealedContextDigest', name, 32),
    recallPosition: uint(c, 'recallPosition', name),
    sealedData: hex(c, 'sealedData', name, 4096),
    expected: { unsealedData: hex(obj(c['expected'], `${name}.expected`), 'unsealedData', `${name}.expected`, 4096) },
  }));
}

export function loadMerkleCases(): MerkleCase[] {
  return loadContractKind('merkle', (c, name) => {
    const e = obj(c['expected'], `${name}.expected`);
    return {
      name,
      unsealedData: hex(c, 'unsealedData', name, 4096),
      recallPosition: uint(c, 'recallPosition', name),
      merkleProof: arr(c['merkleProof'], `${name}.merkleProof`).map((p, i) => fromHex(p, 32, `${name}.merkleProof[${i}]`)),
      expected: { sealRoot: hex(e, 'sealRoot', `${name}.expected`, 32), recoveredRoot: hex(e, 'recoveredRoot', `${name}.expected`, 32) },
    };
  });
}

function num(v: unknown, label: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`${label}: expected a non-negative integer`);
  return v;
}

/** File bytes from a file-root `data` spec: affine `(mul*i + add) mod 256` or a constant fill. */
export function fileRootData(spec: Json, label: string): Uint8Array {
  const length = num(spec['length'], `${label}.length`);
  const out = new Uint8Array(length);
  if (spec['kind'] === 'affine') {
    const mul = num(spec['mul'], `${label}.mul`);
    const add = num(spec['add'], `${label}.add`);
    for (let i = 0; i < length; i++) out[i] = (((mul % 256) * (i % 256)) + add) % 256;
  } else if (spec['kind'] === 'fill') out.fill(num(spec['value'], `${label}.value`));
  else throw new RangeError(`${label}.kind: unknown data kind ${String(spec['kind'])}`);
  return out;
}

export function loadFileRootCases(): FileRootCase[] {
  const out: FileRootCase[] = [];
  for (const path of vectorFiles('file-root')) {
    const { file, cases } = loadFile(path);
    for (const [i, raw] of cases.entries()) {
      const c = obj(raw, `${file}#${i}`);
      const id = str(c['id'], `${file}#${i}.id`);
      const name = `${file}#${id}`;
      out.push({
        name,
        id,
        data: fileRootData(obj(c['data'], `${name}.data`), `${name}.data`),
        size: num(c['size'], `${name}.size`),
        numChunks: num(c['numChunks'], `${name}.numChunks`),
        paddedChunks: num(c['paddedChunks'], `${name}.paddedChunks`),
        numSegmentsPadded: num(c['numSegmentsPadded'], `${name}.numSegmentsPadded`),
        dataRoot: hex(c, 'dataRoot', name, 32),
        submissionNodes: arr(c['submissionNodes'], `${name}.submissionNodes`).map((n, k) => {
          const node = obj(n, `${name}.submissionNodes[${k}]`);
          return { root: hex(node, 'root', `${name}.submissionNodes[${k}]`, 32), height: num(node['height'], `${name}.submissionNodes[${k}].height`) };
        }),
        uploadSegmentProofs: arr(c['uploadSegmentProofs'], `${name}.uploadSegmentProofs`).map((p, k) => {
          const label = `${name}.uploadSegmentProofs[${k}]`;
          const proof = obj(p, label);
          return {
            index: num(proof['index'], `${label}.index`),
            lemma: arr(proof['lemma'], `${label}.lemma`).map((x, j) => fromHex(x, 32, `${label}.lemma[${j}]`)),
            path: arr(proof['path'], `${label}.path`).map((b, j) => {
              if (typeof b !== 'boolean') throw new TypeError(`${label}.path[${j}]: expected a boolean`);
              return b;
            }),
          };
        }),
      });
    }
  }
  return out;
}
