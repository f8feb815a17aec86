/**
 * Files ⇄ shard folders for `zg-miner ec`: encode a file into k + m shard files and a manifest,
 * verify a folder against its manifest, and reconstruct the file (and the lost shard files) from
 * any k intact shards. Files larger than memory stream in column chunks: chunk [a, b) of every
 * shard is an independent codeword, so only (k + m) chunks are held at once. Results are written
 * to temporary names and renamed into place only after their SHA-256 matched.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MinerError } from '../errors.js';
import type { ErasureCoder } from '../ec/coder.js';
import { parityMatrix, reconstructPlan, TooFewShardsError, type RsParams } from '../ec/reedSolomon.js';
import { CODE_NAME, MANIFEST_FORMAT, MANIFEST_NAME, manifestJson, parseManifest, shardFileName, shardSizeFor, type EcManifest } from '../ec/manifest.js';

export type Progress = (done: number, total: number) => void;

/** Bytes per shard per step (callers may pass a smaller `chunk`, as the streaming tests do): (k + m) of them stay under 256 MiB, each at most 8 MiB. */
function chunkBytes(shards: number, shardSize: number): number {
  const c = Math.floor((256 << 20) / shards / 4096) * 4096;
  return Math.max(1, Math.min(shardSize, Math.max(64 << 10, Math.min(8 << 20, c))));
}

function sharedBuffers(n: number, bytes: number): Uint8Array[] {
  return Array.from({ length: n }, () => new Uint8Array(new SharedArrayBuffer(bytes)));
}

function hex(h: Hash): string {
  return '0x' + h.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return hex(h);
}

/** Reads exactly `len` bytes at `pos` (zeros past the end of the file). */
async function readAt(fh: FileHandle, buf: Uint8Array, len: number, pos: number): Promise<void> {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  buf.fill(0, got, len);
}

async function writeAll(fh: FileHandle, buf: Uint8Array, len: number, pos: number): Promise<void> {
  let done = 0;
  while (done < len) done += (await fh.write(buf, done, len - done, pos + done)).bytesWritten;
}

const tmpName = (name: string): string => `.${name}.partial`;

/**
 * Encodes `file` into `outDir`: shard files `<name>.<i>` and manifest.json.
 * @throws {MinerError} BAD_INPUT for an empty or unreadable file, or a folder that already holds a manifest.
 */
export async function encodeFile(coder: ErasureCoder, file: string, outDir: string, p: RsParams, progress?: Progress, chunk?: number): Promise<EcManifest> {
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) throw new MinerError('BAD_INPUT', `${file}: not a readable file`);
  if (st.size === 0) throw new MinerError('BAD_INPUT', `${file} is empty: there is nothing to encode`);
  await mkdir(outDir, { recursive: true });
  if (await stat(join(outDir, MANIFEST_NAME)).catch(() => null))
    throw new MinerError('BAD_INPUT', `${join(outDir, MANIFEST_NAME)} exists: encode into an empty folder (or delete the old shards)`);
  const name = basename(file);
  const S = shardSizeFor(st.size, p.k);
  const n = p.k + p.m;
  const C = chunk ?? chunkBytes(n, S);
  const bufs = sharedBuffers(n, C);
  const hashes = Array.from({ length: n }, () => createHash('sha256'));
  const fileHash = sha256File(file); // a second sequential reader: the shard order is not the file's order
  const src = await open(file, 'r');
  const outs: FileHandle[] = [];
  const pm = parityMatrix(p);
  try {
    for (let i = 0; i < n; i++) outs.push(await open(join(outDir, tmpName(shardFileName(name, i))), 'w'));
    for (let a = 0; a < S; a += C) {
      const len = Math.min(C, S - a);
      for (let i = 0; i < p.k; i++) await readAt(src, bufs[i]!, len, i * S + a);
      const views = bufs.map((b) => b.subarray(0, len));
      await coder.apply(pm, [{ inputs: views.slice(0, p.k), outputs: views.slice(p.k) }]);
      await Promise.all(views.map((v, i) => writeAll(outs[i]!, v, len, a)));
      views.forEach((v, i) => hashes[i]!.update(v));
      progress?.(Math.min(st.size, (a + len) * p.k), st.size);
    }
    await Promise.all(outs.map((o) => o.sync()));
  } finally {
    await src.close();
    await Promise.all(outs.map((o) => o.close()));
  }
  const manifest: EcManifest = {
    format: MANIFEST_FORMAT,
    code: CODE_NAME,
    k: p.k,
    m: p.m,
    shardSize: S,
    fileName: name,
    fileSize: st.size,
    fileSha256: await fileHash,
    shards: hashes.map((h, i) => ({ index: i, file: shardFileName(name, i), sha256: hex(h) })),
  };
  for (const s of manifest.shards) await rename(join(outDir, tmpName(s.file)), join(outDir, s.file));
  const tmp = join(outDir, tmpName(MANIFEST_NAME));
  await writeFile(tmp, manifestJson(manifest));
  await rename(tmp, join(outDir, MANIFEST_NAME));
  return manifest;
}

export type ShardStatus = 'ok' | 'missing' | 'corrupted';

export interface ShardCheck {
  index: number;
  file: string;
  status: ShardStatus;
  /** Why it is corrupted (size or digest). */
  detail: string;
}

export interface FolderReport {
  manifest: EcManifest;
  shards: ShardCheck[];
  bad: number[];
}

export async function readManifest(dir: string): Promise<EcManifest> {
  const path = join(dir, MANIFEST_NAME);
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) throw new MinerError('BAD_INPUT', `${path}: no manifest (is ${dir} a folder written by zg-miner ec encode?)`);
  try {
    return parseManifest(text);
  } catch (e) {
    if (e instanceof MinerError) throw new MinerError('BAD_INPUT', `${path}: ${e.message}`);
    throw e;
  }
}

/** Checks every shard file's size and SHA-256 against the manifest. */
export async function verifyFolder(dir: string, progress?: Progress): Promise<FolderReport> {
  const manifest = await readManifest(dir);
  const total = manifest.shardSize * manifest.shards.length;
  const shards: ShardCheck[] = [];
  for (const s of manifest.shards) {
    const path = join(dir, s.file);
    const st = await stat(path).catch(() => null);
    let status: ShardStatus = 'ok';
    let detail = '';
    if (!st?.isFile()) status = 'missing';
    else if (st.size !== manifest.shardSize) {
      status = 'corrupted';
      detail = `${st.size} bytes, the manifest says ${manifest.shardSize}`;
    } else {
      const got = await sha256File(path);
      if (got !== s.sha256) {
        status = 'corrupted';
        detail = `SHA-256 ${got}, the manifest says ${s.sha256}`;
      }
    }
    shards.push({ index: s.index, file: s.file, status, detail });
    progress?.((s.index + 1) * manifest.shardSize, total);
  }
  return { manifest, shards, bad: shards.filter((s) => s.status !== 'ok').map((s) => s.index) };
}

export interface ReconstructResult {
  report: FolderReport;
  restored: number[];
}

/**
 * Writes the file to `outFile` and restores every missing or corrupted shard file in `dir`.
 * @throws {TooFewShardsError} with more than m bad shards; {MinerError} BAD_INPUT when the result
 * disagrees with the manifest's digests (nothing is written then).
 */
export async function reconstructFolder(coder: ErasureCoder, dir: string, outFile: string, progress?: Progress, chunk?: number): Promise<ReconstructResult> {
  const report = await verifyFolder(dir);
  const mf = report.manifest;
  const p = { k: mf.k, m: mf.m };
  const bad = report.bad;
  if (bad.length > mf.m)
    throw new MinerError('BAD_INPUT', `${bad.length} of ${mf.k + mf.m} shards are missing or corrupted (${bad.join(', ')}); at most ${mf.m} can be rebuilt`, {
      cause: new TooFewShardsError(mf.k + mf.m - bad.length, mf.k),
    });
  const plan = reconstructPlan(p, report.shards.map((s) => s.status === 'ok'), bad);
  const S = mf.shardSize;
  const C = chunk ?? chunkBytes(plan.inputs.length + bad.length, S);
  const inBufs = sharedBuffers(plan.inputs.length, C);
  const outBufs = sharedBuffers(bad.length, C);
  const hashes = bad.map(() => createHash('sha256'));
  const tmpOut = join(dirname(outFile), tmpName(basename(outFile)));
  const ins: FileHandle[] = [];
  const outs: FileHandle[] = [];
  let target: FileHandle | null = null;
  let ok = false;
  try {
    for (const i of plan.inputs) ins.push(await open(join(dir, mf.shards[i]!.file), 'r'));
    for (const i of bad) outs.push(await open(join(dir, tmpName(mf.shards[i]!.file)), 'w'));
    target = await open(tmpOut, 'w');
    for (let a = 0; a < S; a += C) {
      const len = Math.min(C, S - a);
      await Promise.all(ins.map((fh, j) => readAt(fh, inBufs[j]!, len, a)));
      const inViews = inBufs.map((b) => b.subarray(0, len));
      const outViews = outBufs.map((b) => b.subarray(0, len));
      if (bad.length > 0) await coder.apply(plan.matrix, [{ inputs: inViews, outputs: outViews }]);
      await Promise.all(outViews.map((v, j) => writeAll(outs[j]!, v, len, a)));
      outViews.forEach((v, j) => hashes[j]!.update(v));
      // Data shard i fills file bytes [i·S + a, i·S + a + len), cut at the file's end.
      for (let i = 0; i < mf.k; i++) {
        const at = i * S + a;
        const n = Math.min(len, mf.fileSize - at);
        if (n <= 0) continue;
        const j = plan.inputs.indexOf(i);
        const view = j >= 0 ? inViews[j]! : outViews[bad.indexOf(i)]!;
        await writeAll(target, view, n, at);
      }
      progress?.(Math.min(mf.fileSize, (a + len) * mf.k), mf.fileSize);
    }
    await target.sync();
    await Promise.all(outs.map((o) => o.sync()));
    ok = true;
  } finally {
    await Promise.all([...ins, ...outs].map((f) => f.close()));
    await target?.close();
    if (!ok) await cleanup(dir, mf, bad, tmpOut);
  }
  const fileSha = await sha256File(tmpOut);
  const wrong = bad.filter((_, j) => hex(hashes[j]!) !== mf.shards[bad[j]!]!.sha256);
  if (fileSha !== mf.fileSha256 || wrong.length > 0) {
    await cleanup(dir, mf, bad, tmpOut);
    throw new MinerError(
      'BAD_INPUT',
      fileSha !== mf.fileSha256
        ? `the rebuilt file's SHA-256 is ${fileSha}, the manifest says ${mf.fileSha256}: the manifest and the shards disagree; nothing was written`
        : `rebuilt shard(s) ${wrong.join(', ')} differ from the manifest's digests: the manifest and the shards disagree; nothing was written`
    );
  }
  for (const i of bad) await rename(join(dir, tmpName(mf.shards[i]!.file)), join(dir, mf.shards[i]!.file));
  await rename(tmpOut, outFile);
  return { report, restored: bad };
}

async function cleanup(dir: string, mf: EcManifest, bad: number[], tmpOut: string): Promise<void> {
  await Promise.all([tmpOut, ...bad.map((i) => join(dir, tmpName(mf.shards[i]!.file)))].map((f) => rm(f, { force: true })));
}
