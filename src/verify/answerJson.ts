/**
 * The JSON form of `{answer, view}` read by `zg-miner verify`: uints as decimal strings (0x hex
 * accepted), bytes as 0x hex, `sealedData` 4096 bytes. Every error names the field, so a bad file
 * gets one clear line.
 */
import { BYTES_PER_SEAL } from '../spec.js';
import type { PoraAnswer, RecallRange, VerifyView } from '../types.js';
import { fromHex, parseUint, toHex } from '../bytes.js';
import { MinerError } from '../errors.js';

type Json = unknown;

function fieldError(path: string, msg: string): MinerError {
  return new MinerError('BAD_INPUT', `${path}: ${msg}`, { meta: { field: path } });
}

function obj(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fieldError(path, `expected an object, got ${describe(v)}`);
  return v as Record<string, Json>;
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 20 ? v.slice(0, 20) + '…' : v}"`;
  return typeof v;
}

function req(o: Record<string, Json>, key: string, path: string): Json {
  if (!(key in o) || o[key] === undefined) throw fieldError(`${path}.${key}`, 'missing');
  return o[key];
}

function uint(o: Record<string, Json>, key: string, path: string, bits = 256): bigint {
  const v = req(o, key, path);
  try {
    return parseUint(v, `${path}.${key}`, bits);
  } catch (e) {
    throw fieldError(`${path}.${key}`, `expected an unsigned ${bits}-bit integer as a decimal string, got ${describe(v)}`);
  }
}

function bytes(o: Record<string, Json>, key: string, path: string, length: number): Uint8Array {
  return hexValue(req(o, key, path), `${path}.${key}`, length);
}

function hexValue(v: Json, path: string, length: number): Uint8Array {
  try {
    return fromHex(v, length, path);
  } catch {
    throw fieldError(path, `expected 0x-prefixed hex of ${length} bytes, got ${describe(v)}${typeof v === 'string' && /^0x[0-9a-fA-F]*$/.test(v) ? ` (${(v.length - 2) / 2} bytes)` : ''}`);
  }
}

function bool(o: Record<string, Json>, key: string, path: string): boolean {
  const v = req(o, key, path);
  if (typeof v !== 'boolean') throw fieldError(`${path}.${key}`, `expected true or false, got ${describe(v)}`);
  return v;
}

export function parseRange(v: Json, path: string): RecallRange {
  const o = obj(v, path);
  return {
    startPosition: uint(o, 'startPosition', path),
    mineLength: uint(o, 'mineLength', path),
    shardId: uint(o, 'shardId', path, 64),
    shardMask: uint(o, 'shardMask', path, 64),
  };
}

export function parseAnswer(v: Json, path = 'answer'): PoraAnswer {
  const o = obj(v, path);
  const proof = req(o, 'merkleProof', path);
  if (!Array.isArray(proof)) throw fieldError(`${path}.merkleProof`, `expected an array of 0x hex bytes32, got ${describe(proof)}`);
  return {
    contextDigest: bytes(o, 'contextDigest', path, 32),
    nonce: bytes(o, 'nonce', path, 32),
    minerId: bytes(o, 'minerId', path, 32),
    range: parseRange(req(o, 'range', path), `${path}.range`),
    recallPosition: uint(o, 'recallPosition', path),
    sealOffset: uint(o, 'sealOffset', path),
    sealedContextDigest: bytes(o, 'sealedContextDigest', path, 32),
    sealedData: bytes(o, 'sealedData', path, BYTES_PER_SEAL),
    merkleProof: proof.map((p, i) => hexValue(p, `${path}.merkleProof[${i}]`, 32)),
  };
}

export function parseView(v: Json, path = 'view'): VerifyView {
  const o = obj(v, path);
  const ctx = obj(req(o, 'context', path), `${path}.context`);
  const rangeJson = req(o, 'sealedContextRange', path);
  let sealedContextRange: VerifyView['sealedContextRange'] = null;
  if (rangeJson !== null) {
    const r = obj(rangeJson, `${path}.sealedContextRange`);
    sealedContextRange = {
      start: uint(r, 'start', `${path}.sealedContextRange`, 128),
      end: uint(r, 'end', `${path}.sealedContextRange`, 128),
    };
  }
  const view: VerifyView = {
    context: {
      digest: bytes(ctx, 'digest', `${path}.context`, 32),
      flowRoot: bytes(ctx, 'flowRoot', `${path}.context`, 32),
      flowLength: uint(ctx, 'flowLength', `${path}.context`),
    },
    poraTarget: uint(o, 'poraTarget', path),
    subtaskDigest: bytes(o, 'subtaskDigest', path, 32),
    maxShards: uint(o, 'maxShards', path, 64),
    sealDataEnabled: bool(o, 'sealDataEnabled', path),
    dataProofEnabled: bool(o, 'dataProofEnabled', path),
    sealedContextRange,
  };
  if ('minerRegistered' in o && o['minerRegistered'] !== undefined && o['minerRegistered'] !== null)
    view.minerRegistered = bool(o, 'minerRegistered', path);
  return view;
}

/** Parses the text of an answer file `{answer, view}`. */
export function parseAnswerFile(text: string, fileName: string): { answer: PoraAnswer; view: VerifyView } {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MinerError('BAD_INPUT', `${fileName}: not valid JSON (${(e as Error).message})`);
  }
  try {
    const o = obj(json, '(top level)');
    return { answer: parseAnswer(req(o, 'answer', '(top level)'), 'answer'), view: parseView(req(o, 'view', '(top level)'), 'view') };
  } catch (e) {
    if (e instanceof MinerError) throw new MinerError('BAD_INPUT', `${fileName}: ${e.message}`, { meta: e.meta });
    throw e;
  }
}

/** The JSON form of an answer (inverse of parseAnswer), as the miner writes answers it found. */
export function answerToJson(a: PoraAnswer): Record<string, unknown> {
  return {
    contextDigest: toHex(a.contextDigest),
    nonce: toHex(a.nonce),
    minerId: toHex(a.minerId),
    range: {
      startPosition: a.range.startPosition.toString(),
      mineLength: a.range.mineLength.toString(),
      shardId: a.range.shardId.toString(),
      shardMask: a.range.shardMask.toString(),
    },
    recallPosition: a.recallPosition.toString(),
    sealOffset: a.sealOffset.toString(),
    sealedContextDigest: toHex(a.sealedContextDigest),
    sealedData: toHex(a.sealedData),
    merkleProof: a.merkleProof.map(toHex),
  };
}

export function viewToJson(v: VerifyView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    context: { digest: toHex(v.context.digest), flowRoot: toHex(v.context.flowRoot), flowLength: v.context.flowLength.toString() },
    poraTarget: v.poraTarget.toString(),
    subtaskDigest: toHex(v.subtaskDigest),
    maxShards: v.maxShards.toString(),
    sealDataEnabled: v.sealDataEnabled,
    dataProofEnabled: v.dataProofEnabled,
    sealedContextRange: v.sealedContextRange === null ? null : { start: v.sealedContextRange.start.toString(), end: v.sealedContextRange.end.toString() },
  };
  if (v.minerRegistered !== undefined) out['minerRegistered'] = v.minerRegistered;
  return out;
}
