/**
 * Typed parsing of golden-vector files (format: shared/vectors/README.md). Kinds come from the file
 * name's prefix, longest first. Parse errors name the case and the field.
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

export interface PoraVectorCase {
  minerId: Uint8Array;
  nonce: Uint8Array;
  subtaskDigest: Uint8Array;
  range: RecallRange;
  sealOffset: bigint;
  sealedData: Uint8Array;
  recallPosition: bigint;
  /** Expected values present in the file: hex/decimal strings keyed by field. */
  expected: JsonObject;
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
