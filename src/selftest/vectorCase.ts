/**
 * Typed parsing of golden-vector files (format: shared/vectors/README.md), the one parser for both
 * `zg-miner selftest` and the test suites. Kinds come from the file name's prefix, longest first.
 * Parse errors are CaseFieldError naming the field inside the case.
 */
import { fromHex, parseUint } from '../bytes.js';
import type { RecallRange } from '../types.js';

export const VECTOR_KINDS = ['pora-edge', 'pora', 'unseal', 'merkle', 'rs', 'file-root'] as const;
export type VectorKind = (typeof VECTOR_KINDS)[number];

export function kindOfFile(fileName: string): VectorKind | null {
  for (const k of VECTOR_KINDS) if (fileName.startsWith(`${k}-`)) return k;
  return null;
}

/** A field that could not be parsed: `field` is the dotted path inside the case. */
export class CaseFieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export type JsonObject = Record<string, unknown>;

export function jsonObject(v: unknown, field: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CaseFieldError(field, 'expected an object');
  return v as JsonObject;
}

export function jsonArray(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new CaseFieldError(field, 'expected an array');
  return v;
}

export function getField(o: JsonObject, key: string, prefix = ''): unknown {
  const v = o[key];
  if (v === undefined) throw new CaseFieldError(prefix + key, 'missing');
  return v;
}

export function hexField(o: JsonObject, key: string, length?: number, prefix = ''): Uint8Array {
  const v = getField(o, key, prefix);
  try {
    return fromHex(v, length, prefix + key);
  } catch {
    throw new CaseFieldError(prefix + key, `expected 0x-prefixed hex${length === undefined ? '' : ` of ${length} bytes`}`);
  }
}

export function uintField(o: JsonObject, key: string, bits = 256, prefix = ''): bigint {
  const v = getField(o, key, prefix);
  try {
    return parseUint(v, prefix + key, bits);
  } catch {
    throw new CaseFieldError(prefix + key, `expected an unsigned ${bits}-bit integer as a decimal string`);
  }
}

export function numberField(o: JsonObject, key: string, prefix = ''): number {
  const v = getField(o, key, prefix);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CaseFieldError(prefix + key, 'expected a non-negative integer');
  return v;
}

export function stringField(o: JsonObject, key: string, prefix = ''): string {
  const v = getField(o, key, prefix);
  if (typeof v !== 'string') throw new CaseFieldError(prefix + key, 'expected a string');
  return v;
}

export function rangeField(o: JsonObject, key: string): RecallRange {
  const r = jsonObject(getField(o, key), key);
  const p = `${key}.`;
  return {
    startPosition: uintField(r, 'startPosition', 256, p),
    mineLength: uintField(r, 'mineLength', 256, p),
    shardId: uintField(r, 'shardId', 64, p),
    shardMask: uintField(r, 'shardMask', 64, p),
  };
}

/** The inputs of a pora / pora-edge case. */
export interface PoraInputs {
  minerId: Uint8Array;
  nonce: Uint8Array;
  subtaskDigest: Uint8Array;
  range: RecallRange;
  sealOffset: bigint;
  sealedData: Uint8Array;
  recallPosition: bigint;
}

export interface PoraVectorCase extends PoraInputs {
  /**
   * Expected values present in the file, still as hex/decimal strings keyed by field: selftest
   * compares whichever are there and reports a malformed one as that field's failure.
   */
  expected: JsonObject;
}

/** Every intermediate a pora case lists (README: pora section), typed. */
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

export function parsePoraCase(c: unknown): PoraVectorCase {
  const o = jsonObject(c, '(case)');
  return {
    minerId: hexField(o, 'minerId', 32),
    nonce: hexField(o, 'nonce', 32),
    subtaskDigest: hexField(o, 'subtaskDigest', 32),
    range: rangeField(o, 'range'),
    sealOffset: uintField(o, 'sealOffset'),
    sealedData: hexField(o, 'sealedData', 4096),
    recallPosition: uintField(o, 'recallPosition'),
    expected: jsonObject(getField(o, 'expected'), 'expected'),
  };
}

/** A pora case's `expected` with every field required and typed. */
export function parsePoraExpected(e: JsonObject, prefix = 'expected.'): PoraExpected {
  return {
    rangeDigest: hexField(e, 'rangeDigest', 32, prefix),
    padSeed: hexField(e, 'padSeed', 64, prefix),
    padDigest: hexField(e, 'padDigest', 64, prefix),
    recallSeed: hexField(e, 'recallSeed', 32, prefix),
    recallChunkPosition: uintField(e, 'recallChunkPosition', 256, prefix),
    recallPosition: uintField(e, 'recallPosition', 256, prefix),
    numShards: uintField(e, 'numShards', 256, prefix),
    poraOutput: hexField(e, 'poraOutput', 32, prefix),
  };
}

export const PORA_EDGE_KINDS = ['accepted-boundary', 'accepted-large-sealOffset', 'revert'] as const;
export type PoraEdgeKind = (typeof PORA_EDGE_KINDS)[number];

export interface PoraEdgeVectorCase extends PoraInputs {
  kind: PoraEdgeKind;
  note: string;
  expected: { revert: string } | PoraExpected;
}

/** A pora-edge case: a revert case expects the contract's reason, the others every intermediate. */
export function parsePoraEdgeCase(c: unknown): PoraEdgeVectorCase {
  const { expected, ...inputs } = parsePoraCase(c);
  const o = c as JsonObject;
  const kind = stringField(o, 'kind');
  if (!(PORA_EDGE_KINDS as readonly string[]).includes(kind)) throw new CaseFieldError('kind', `unknown kind "${kind}" (known: ${PORA_EDGE_KINDS.join(', ')})`);
  return {
    ...inputs,
    kind: kind as PoraEdgeKind,
    note: typeof o['note'] === 'string' ? o['note'] : '',
    expected: kind === 'revert' ? { revert: stringField(expected, 'revert', 'expected.') } : parsePoraExpected(expected),
  };
}

export interface UnsealVectorCase {
  minerId: Uint8Array;
  sealedContextDigest: Uint8Array;
  recallPosition: bigint;
  sealedData: Uint8Array;
  unsealedData: Uint8Array;
}

export function parseUnsealCase(c: unknown): UnsealVectorCase {
  const o = jsonObject(c, '(case)');
  const e = jsonObject(getField(o, 'expected'), 'expected');
  return {
    minerId: hexField(o, 'minerId', 32),
    sealedContextDigest: hexField(o, 'sealedContextDigest', 32),
    recallPosition: uintField(o, 'recallPosition'),
    sealedData: hexField(o, 'sealedData', 4096),
    unsealedData: hexField(e, 'unsealedData', 4096, 'expected.'),
  };
}

export interface MerkleVectorCase {
  unsealedData: Uint8Array;
  recallPosition: bigint;
  merkleProof: Uint8Array[];
  sealRoot: Uint8Array;
  recoveredRoot: Uint8Array;
}

export function parseMerkleCase(c: unknown): MerkleVectorCase {
  const o = jsonObject(c, '(case)');
  const e = jsonObject(getField(o, 'expected'), 'expected');
  const proof = jsonArray(getField(o, 'merkleProof'), 'merkleProof');
  return {
    unsealedData: hexField(o, 'unsealedData', 4096),
    recallPosition: uintField(o, 'recallPosition'),
    merkleProof: proof.map((p, i) => {
      try {
        return fromHex(p, 32);
      } catch {
        throw new CaseFieldError(`merkleProof[${i}]`, 'expected 0x-prefixed hex of 32 bytes');
      }
    }),
    sealRoot: hexField(e, 'sealRoot', 32, 'expected.'),
    recoveredRoot: hexField(e, 'recoveredRoot', 32, 'expected.'),
  };
}

/** File bytes from a file-root `data` spec: byte i = (mul*i + add) mod 256 ('affine') or every byte = value ('fill'). */
export function fileRootData(spec: JsonObject): Uint8Array {
  const kind = getField(spec, 'kind', 'data.');
  const length = Number(uintField(spec, 'length', 53, 'data.'));
  const out = new Uint8Array(length);
  if (kind === 'affine') {
    const mul = Number(uintField(spec, 'mul', 32, 'data.'));
    const add = Number(uintField(spec, 'add', 32, 'data.'));
    for (let i = 0; i < length; i++) out[i] = (mul * (i % 256) + add) & 0xff;
  } else if (kind === 'fill') {
    out.fill(Number(uintField(spec, 'value', 8, 'data.')));
  } else throw new CaseFieldError('data.kind', 'expected "affine" or "fill"');
  return out;
}

export interface FileRootVectorCase {
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

export function parseFileRootCase(c: unknown): FileRootVectorCase {
  const o = jsonObject(c, '(case)');
  return {
    id: stringField(o, 'id'),
    data: fileRootData(jsonObject(getField(o, 'data'), 'data')),
    size: numberField(o, 'size'),
    numChunks: numberField(o, 'numChunks'),
    paddedChunks: numberField(o, 'paddedChunks'),
    numSegmentsPadded: numberField(o, 'numSegmentsPadded'),
    dataRoot: hexField(o, 'dataRoot', 32),
    submissionNodes: jsonArray(getField(o, 'submissionNodes'), 'submissionNodes').map((n, k) => {
      const p = `submissionNodes[${k}].`;
      const node = jsonObject(n, p.slice(0, -1));
      return { root: hexField(node, 'root', 32, p), height: numberField(node, 'height', p) };
    }),
    uploadSegmentProofs: jsonArray(getField(o, 'uploadSegmentProofs'), 'uploadSegmentProofs').map((x, k) => {
      const p = `uploadSegmentProofs[${k}].`;
      const proof = jsonObject(x, p.slice(0, -1));
      return {
        index: numberField(proof, 'index', p),
        lemma: jsonArray(getField(proof, 'lemma', p), `${p}lemma`).map((h, j) => {
          try {
            return fromHex(h, 32);
          } catch {
            throw new CaseFieldError(`${p}lemma[${j}]`, 'expected 0x-prefixed hex of 32 bytes');
          }
        }),
        path: jsonArray(getField(proof, 'path', p), `${p}path`).map((b, j) => {
          if (typeof b !== 'boolean') throw new CaseFieldError(`${p}path[${j}]`, 'expected a boolean');
          return b;
        }),
      };
    }),
  };
}
