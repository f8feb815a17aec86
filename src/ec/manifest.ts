/**
 * The JSON manifest `zg-miner ec encode` writes beside the shards: the code's parameters, the
 * file's size and SHA-256, and each shard's file name and SHA-256. Shard files follow klauspost's
 * simple-encoder: `<file name>.<index>`, data shards hold bytes [i·S, (i+1)·S) of the file with
 * S = ceil(size / k), the last ones zero-padded, so klauspost-compatible tools read them as is.
 *
 * A manifest is untrusted input: parseManifest checks every field and their agreement, and the
 * reconstruct path checks the result against the recorded digests before writing anything.
 */
import { MinerError } from '../errors.js';
import { checkParams, type RsParams } from './reedSolomon.js';

export const MANIFEST_FORMAT = 'zg-miner-ec/1';
export const MANIFEST_NAME = 'manifest.json';

export interface ShardEntry {
  index: number;
  file: string;
  /** 0x + 64 hex digits. */
  sha256: string;
}

export interface EcManifest extends RsParams {
  format: typeof MANIFEST_FORMAT;
  code: string;
  shardSize: number;
  fileName: string;
  fileSize: number;
  fileSha256: string;
  shards: ShardEntry[];
}

export const CODE_NAME = 'Reed-Solomon GF(2^8) 0x11D, Vandermonde x inv(top k rows) (klauspost/reedsolomon New(k, m))';

/** klauspost Split(): bytes per shard for a file of `size` bytes over k data shards. */
export function shardSizeFor(size: number, k: number): number {
  return Math.ceil(size / k);
}

export function shardFileName(fileName: string, index: number): string {
  return `${fileName}.${index}`;
}

function bad(why: string): never {
  throw new MinerError('BAD_INPUT', `manifest: ${why}`);
}

function int(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`"${key}" must be a non-negative integer (got ${JSON.stringify(v)})`);
  return v;
}

function digest(v: unknown, what: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-f]{64}$/.test(v)) bad(`${what} must be 0x and 64 lowercase hex digits (got ${JSON.stringify(v)})`);
  return v;
}

/** A plain file name: no folders, nothing hidden behind `..`. */
function plainName(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '' || v === '.' || v === '..' || /[/\\\0]/.test(v)) bad(`${what} must be a plain file name (got ${JSON.stringify(v)})`);
  return v;
}

/** @throws {MinerError} BAD_INPUT naming the first field that is malformed or disagrees with the others. */
export function parseManifest(text: string): EcManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    bad(`not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('expected a JSON object');
  const o = raw as Record<string, unknown>;
  if (o['format'] !== MANIFEST_FORMAT) bad(`"format" must be "${MANIFEST_FORMAT}" (got ${JSON.stringify(o['format'])})`);
  const k = int(o, 'dataShards');
  const m = int(o, 'parityShards');
  try {
    checkParams({ k, m });
  } catch (e) {
    bad((e as Error).message);
  }
  const fileSize = int(o, 'fileSize');
  if (fileSize < 1) bad('"fileSize" must be at least 1');
  const shardSize = int(o, 'shardSize');
  if (shardSize !== shardSizeFor(fileSize, k)) bad(`"shardSize" ${shardSize} disagrees with fileSize ${fileSize} over ${k} data shards (expected ${shardSizeFor(fileSize, k)})`);
  const fileName = plainName(o['fileName'], '"fileName"');
  const fileSha256 = digest(o['fileSha256'], '"fileSha256"');
  const list = o['shards'];
  if (!Array.isArray(list) || list.length !== k + m) bad(`"shards" must list ${k + m} shards (got ${Array.isArray(list) ? list.length : typeof list})`);
  const names = new Set<string>();
  const shards = list.map((s, i): ShardEntry => {
    if (typeof s !== 'object' || s === null) bad(`shards[${i}] must be an object`);
    const e = s as Record<string, unknown>;
    if (e['index'] !== i) bad(`shards[${i}].index must be ${i} (got ${JSON.stringify(e['index'])})`);
    const file = plainName(e['file'], `shards[${i}].file`);
    if (file === MANIFEST_NAME || names.has(file)) bad(`shards[${i}].file "${file}" is used twice`);
    names.add(file);
    return { index: i, file, sha256: digest(e['sha256'], `shards[${i}].sha256`) };
  });
  return { format: MANIFEST_FORMAT, code: typeof o['code'] === 'string' ? o['code'] : CODE_NAME, k, m, shardSize, fileName, fileSize, fileSha256, shards };
}

/** The manifest as written: stable key order, parameters under their klauspost names. */
export function manifestJson(m: EcManifest): string {
  const { k, m: parity, ...rest } = m;
  return (
    JSON.stringify(
      {
        format: rest.format,
        code: rest.code,
        dataShards: k,
        parityShards: parity,
        shardSize: rest.shardSize,
        fileName: rest.fileName,
        fileSize: rest.fileSize,
        fileSha256: rest.fileSha256,
        shards: rest.shards,
      },
      null,
      2
    ) + '\n'
  );
}
