/**
 * checkpoint.bin: the sealed store's load table (loadTable.ts) as of the end of journal epoch E,
 * so an open reads one compact file and replays only the journal written since (epoch E+1).
 *
 * Layout (little-endian), written to checkpoint.bin.tmp, fdatasync'ed, then renamed into place:
 *   [0..8)    magic "ZGSTCKPT"
 *   [8..16)   format version (2)
 *   [16..24)  epoch E (the journal epochs ≤ E it includes)
 *   [24..32)  loads n
 *   [32..40)  partly known loads p
 *   [40..48)  loads with a zero-sector bitmap z
 *   [48..80)  miner id
 *   [80..84)  zero; [84..88) crc32 of the whole file after byte 88 (chained over the sections)
 *   then: flags n bytes, sealed masks 8n bytes (u32 lo, u32 hi per load),
 *         p × (u64 load, 128-byte known bitmap), z × (u64 load, 128-byte zero bitmap).
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { MinerError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import { exists, fsyncDir, writeAll } from './fileOps.js';
import type { LoadTableImage } from './loadTable.js';

const MAGIC = Buffer.from('ZGSTCKPT', 'latin1').readBigUInt64LE(0);
const VERSION = 2n;
const HEADER = 88;
const BITMAP = 128;
const ENTRY = 8 + BITMAP;
/** Bytes per read/write step (bounded memory besides the table itself). */
const STEP = 4 << 20;

export interface Checkpoint {
  epoch: bigint;
  image: LoadTableImage;
}

function entries(m: Map<number, Uint8Array>): Uint8Array {
  const out = Buffer.alloc(m.size * ENTRY);
  let k = 0;
  for (const [L, bits] of m) {
    out.writeBigUInt64LE(BigInt(L), k * ENTRY);
    out.set(bits, k * ENTRY + 8);
    k++;
  }
  return out;
}

/** Writes the table as of the end of journal epoch `epoch`; durable (file and rename) when it resolves. */
export async function writeCheckpoint(dir: string, minerId: Uint8Array, epoch: bigint, image: LoadTableImage): Promise<void> {
  const tmp = join(dir, 'checkpoint.bin.tmp');
  const sealedBytes = new Uint8Array(image.sealed.buffer, image.sealed.byteOffset, image.loads * 8);
  const sections = [image.flags.subarray(0, image.loads), sealedBytes, entries(image.partial), entries(image.zeroMaps)];
  let crc = 0;
  const h = await open(tmp, 'w', 0o644);
  try {
    let pos = HEADER;
    for (const s of sections) {
      for (let o = 0; o < s.length; o += STEP) {
        const part = s.subarray(o, Math.min(s.length, o + STEP));
        crc = crc32(part, crc);
        await writeAll(h, part, pos);
        pos += part.length;
      }
    }
    const head = Buffer.alloc(HEADER);
    head.writeBigUInt64LE(MAGIC, 0);
    head.writeBigUInt64LE(VERSION, 8);
    head.writeBigUInt64LE(epoch, 16);
    head.writeBigUInt64LE(BigInt(image.loads), 24);
    head.writeBigUInt64LE(BigInt(image.partial.size), 32);
    head.writeBigUInt64LE(BigInt(image.zeroMaps.size), 40);
    head.set(minerId, 48);
    head.writeUInt32LE(crc >>> 0, 84);
    await writeAll(h, head, 0);
    await h.datasync();
  } finally {
    await h.close();
  }
  await rename(tmp, join(dir, 'checkpoint.bin'));
  fsyncDir(dir);
}

/** Reads checkpoint.bin (null if there is none) in bounded steps straight into the table's arrays. */
export async function readCheckpoint(dir: string, minerId: Uint8Array): Promise<Checkpoint | null> {
  const path = join(dir, 'checkpoint.bin');
  if (!(await exists(path))) return null;
  const bad = (why: string): MinerError =>
    new MinerError('STORE_ERROR', `${path}: ${why}; restore the data dir from a backup or delete it to resync`);
  const h = await open(path, 'r');
  try {
    const size = (await h.stat()).size;
    const head = Buffer.alloc(HEADER);
    await h.read(head, 0, HEADER, 0);
    if (size < HEADER || head.readBigUInt64LE(0) !== MAGIC || head.readBigUInt64LE(8) !== VERSION) throw bad('not a format-2 checkpoint');
    if (!equalBytes(head.subarray(48, 80), minerId))
      throw new MinerError('STORE_ERROR', `${dir}: data dir is sealed for miner id ${toHex(head.subarray(48, 80))}, not ${toHex(minerId)}; use another --data-dir`);
    const n = Number(head.readBigUInt64LE(24));
    const p = Number(head.readBigUInt64LE(32));
    const z = Number(head.readBigUInt64LE(40));
    if (size !== HEADER + n * 9 + (p + z) * ENTRY) throw bad(`is ${size} bytes, its header says ${HEADER + n * 9 + (p + z) * ENTRY}`);
    // Capacity with headroom, so the table does not copy on its first growth.
    const cap = Math.max(1024, n + (n >> 3));
    const flags = new Uint8Array(cap);
    const sealed = new Uint32Array(2 * cap);
    const targets = [flags.subarray(0, n), new Uint8Array(sealed.buffer, 0, n * 8), new Uint8Array((p + z) * ENTRY)];
    let crc = 0;
    let pos = HEADER;
    for (const t of targets) {
      for (let o = 0; o < t.length; ) {
        const want = Math.min(STEP, t.length - o);
        const { bytesRead } = await h.read(t, o, want, pos);
        if (bytesRead === 0) throw bad('is short');
        crc = crc32(t.subarray(o, o + bytesRead), crc);
        o += bytesRead;
        pos += bytesRead;
      }
    }
    if ((crc >>> 0) !== head.readUInt32LE(84)) throw bad('checksum mismatch');
    const side = Buffer.from(targets[2]!.buffer, targets[2]!.byteOffset, targets[2]!.length);
    const partial = new Map<number, Uint8Array>();
    const zeroMaps = new Map<number, Uint8Array>();
    for (let k = 0; k < p + z; k++) {
      const L = Number(side.readBigUInt64LE(k * ENTRY));
      (k < p ? partial : zeroMaps).set(L, Uint8Array.from(side.subarray(k * ENTRY + 8, (k + 1) * ENTRY)));
    }
    return { epoch: head.readBigUInt64LE(16), image: { loads: n, flags, sealed, partial, zeroMaps } };
  } finally {
    await h.close();
  }
}
