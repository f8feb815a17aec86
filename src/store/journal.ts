/**
 * The sealed store's metadata journal: an append-only file of fixed 64-byte records, each with its
 * own CRC-32, so a record torn by a crash is detected and dropped on the next open.
 *
 * Record layout (little-endian):
 *   [0]      type      (see RecordType)
 *   [1..8)   zero
 *   [8..16)  a         u64 (a sector, or a load index; the format version in the header)
 *   [16..24) b         u64 (an end sector, or a 64-bit seal mask; "ZGSEALST" in the header)
 *   [24..56) digest    32 bytes (seal context digest; the miner id in the header)
 *   [56..60) zero
 *   [60..64) crc32 of bytes [0..60)
 *
 * Only the tail can be torn: every append is followed by fdatasync before anything depends on it.
 * A bad record followed by a good one is real corruption and stops the open.
 */
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { MinerError } from '../errors.js';

export const RECORD_BYTES = 64;
/**
 * 3: format 2 plus FORGET records (sealedStore.ts). 2: compact table + checkpoint.bin +
 * contexts.bin; its journal is replayed as is and rotated to format 3 on open. 1: journal only
 * (migrated on open). A format-3 header keeps older builds, which would drop a FORGET record as
 * a torn tail, from opening the store.
 */
export const FORMAT_VERSION = 3n;
export const FORMAT_V2 = 2n;
export const FORMAT_V1 = 1n;
/** The bytes "ZGSEALST" read as a little-endian u64: marks a file as ours. */
const HEADER_MAGIC = Buffer.from('ZGSEALST', 'latin1').readBigUInt64LE(0);

export const RecordType = {
  /** First record: format version and the miner id the store is sealed for. */
  HEADER: 0x48,
  /** Sectors [a, b) hold durable raw data. */
  KNOWN: 0x01,
  /** Sectors [a, b) are known to be zero (gaps, padding); raw bytes there are ignored. */
  ZERO: 0x02,
  /** Seals in mask b of load a are sealed, with context digest `digest`. */
  SEALED: 0x03,
  /** Seals in mask b of load a are no longer sealed (they are about to be rewritten). */
  UNSEALED: 0x04,
  /** roots.bin holds the 64 seal roots of complete load a. */
  ROOTS: 0x05,
  /** Second record of a format-2/3 journal: its epoch a (checkpoint.bin says which epochs it holds). */
  EPOCH: 0x06,
  /**
   * Load a is forgotten (format 3): its raw data failed its check against the flow's load root,
   * so its sectors other than known zeros are unknown again, its seals and roots retracted.
   */
  FORGET: 0x07,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export interface JournalRecord {
  type: RecordType;
  a: bigint;
  b: bigint;
  digest: Uint8Array | null;
}

const ZERO32 = new Uint8Array(32);

export function encodeRecord(r: JournalRecord, out: Uint8Array = new Uint8Array(RECORD_BYTES), at = 0): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset + at, RECORD_BYTES);
  out.fill(0, at, at + RECORD_BYTES);
  dv.setUint8(0, r.type);
  dv.setBigUint64(8, r.a, true);
  dv.setBigUint64(16, r.b, true);
  out.set(r.digest ?? ZERO32, at + 24);
  dv.setUint32(60, crc32(out.subarray(at, at + 60)), true);
  return out;
}

/** Decodes one record; null if its checksum or type is wrong (a torn or foreign record). */
export function decodeRecord(buf: Uint8Array, at: number): JournalRecord | null {
  const rec = buf.subarray(at, at + RECORD_BYTES);
  if (rec.length < RECORD_BYTES) return null;
  const dv = new DataView(rec.buffer, rec.byteOffset, RECORD_BYTES);
  if (dv.getUint32(60, true) !== crc32(rec.subarray(0, 60))) return null;
  const type = rec[0] as RecordType;
  if (!Object.values(RecordType).includes(type)) return null;
  const digest = rec.slice(24, 56);
  return { type, a: dv.getBigUint64(8, true), b: dv.getBigUint64(16, true), digest };
}

export function headerRecord(minerId: Uint8Array, version: bigint = FORMAT_VERSION): JournalRecord {
  return { type: RecordType.HEADER, a: version, b: HEADER_MAGIC, digest: minerId };
}

export function isHeader(r: JournalRecord | null): r is JournalRecord {
  return r !== null && r.type === RecordType.HEADER && r.b === HEADER_MAGIC;
}

/**
 * Splits a journal image into its valid records and the byte length to keep (torn tail dropped).
 * @throws MinerError STORE_ERROR when a bad record is followed by good ones (not a torn append).
 */
export function scanJournal(buf: Uint8Array, file: string): { records: JournalRecord[]; validBytes: number } {
  const records: JournalRecord[] = [];
  let at = 0;
  for (; at + RECORD_BYTES <= buf.length; at += RECORD_BYTES) {
    const r = decodeRecord(buf, at);
    if (r === null) break;
    records.push(r);
  }
  for (let later = at + RECORD_BYTES; later + RECORD_BYTES <= buf.length; later += RECORD_BYTES) {
    if (decodeRecord(buf, later) !== null) {
      throw new MinerError(
        'STORE_ERROR',
        `${file}: corrupt record at byte ${at} followed by valid ones; restore the data dir from a backup or delete it to resync`
      );
    }
  }
  return { records, validBytes: at };
}

/** Bytes read per step of a streamed replay (a multiple of RECORD_BYTES). */
const CHUNK = RECORD_BYTES * 16384;

/**
 * Streams the records of the journal file `fh` (of `size` bytes) to `onRecord` in bounded chunks,
 * never holding the whole file; returns the byte length to keep (a torn tail is dropped).
 * @throws MinerError STORE_ERROR when a bad record is followed by good ones (not a torn append).
 */
export async function streamJournal(fh: FileHandle, size: number, file: string, onRecord: (r: JournalRecord) => void): Promise<number> {
  const buf = new Uint8Array(CHUNK);
  let badAt = -1;
  for (let pos = 0; pos + RECORD_BYTES <= size; pos += CHUNK) {
    const want = Math.min(CHUNK, size - pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    for (let at = 0; at + RECORD_BYTES <= got; at += RECORD_BYTES) {
      const r = decodeRecord(buf, at);
      if (badAt < 0) {
        if (r === null) badAt = pos + at;
        else onRecord(r);
      } else if (r !== null) {
        throw new MinerError(
          'STORE_ERROR',
          `${file}: corrupt record at byte ${badAt} followed by valid ones; restore the data dir from a backup or delete it to resync`
        );
      }
    }
  }
  return badAt >= 0 ? badAt : size - (size % RECORD_BYTES);
}
