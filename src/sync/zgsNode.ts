/**
 * The storage node's public `zgs_*` JSON-RPC (spec §9.1), answered from this miner's verified
 * store: what the official SDK's Uploader/Downloader and other zg-miners call. Shapes follow the
 * node (positional params, hashes as 0x hex, segments as base64, Transaction/FileInfo objects).
 *
 * Uploads: a file's info exists (not finalized) as soon as its Submit event is followed, before
 * any data. Segments arrive in any order and concurrently; each is checked against the chain's
 * data root of its transaction with the SDK's segment proof (the last one re-padded with zero
 * sectors first, and the proof's path must be the one of its index, so data cannot be placed at
 * another index), then written to the store at once. When every segment this shard holds is
 * stored the file is finalized; the store, the follower and the sealer then treat it like synced
 * data. Only transactions seen on chain are accepted, and the bytes being checked at once are
 * bounded (the SDK retries on "too many data writing").
 */
import { BYTES_PER_SECTOR, SECTORS_PER_LOAD, SECTORS_PER_SEGMENT, SECTORS_PER_SEAL, SECTORS_PER_LOAD_N } from '../spec.js';
import { equalBytes, toHex } from '../bytes.js';
import { hashPair, siblingPath } from '../core/merkle.js';
import { treeHeight } from '../core/flowTree.js';
import { numChunks, paddedChunks, paddedSectorLeaves, promotingLevels, promotingProof } from '../core/fileRoot.js';
import type { Bytes32 } from '../types.js';
import { sectorLeaves } from '../store/loadHash.js';
import { RawBinary, RawJson, RpcFault, RPC_SERVER_BUSY, boolParam, describe, hashParam, invalidParams, uintParam } from './jsonRpc.js';
import type { RpcHandler } from './rpcServer.js';
import type { TxIndex, TxRecord } from './txIndex.js';
import { decodeSegment, encodeBase64Arrays, encodeByteArrays, encodeSegment } from './wire.js';

const LOAD = SECTORS_PER_LOAD_N;
/** Most loads one binary zgs_getDataByNodeIndex answer carries (4 MiB). */
export const MAX_BINARY_LOADS = 16;

/** The flow tree as this node knows it (a read-only view of miner/ports.ts FlowTreePort). */
export interface FlowTreeReader {
  length(): bigint;
  rootAt(flowLength: bigint): Promise<Bytes32>;
  node(level: number, index: bigint): Promise<Bytes32 | null>;
  proof(level: number, index: bigint, flowLength: bigint): Promise<Bytes32[]>;
}

/** What the RPC reads and writes in the sealed store. */
export interface ZgsStore {
  rangeKnown(start: bigint, end: bigint): boolean;
  isLoadComplete(loadIndex: bigint): boolean;
  readRawLoad(loadIndex: bigint): Promise<Uint8Array>;
  /** Stores raw sectors the caller has verified against the chain (uploads). */
  writeFlowData(startSector: bigint, data: Uint8Array): Promise<void>;
  markKnownZero(startSector: bigint, endSector: bigint): Promise<void>;
  /** Changes when the store forgets a load whose raw data failed its check (it was complete, now it is missing). */
  readonly forgets?: number;
}

export interface LoadRootsOut {
  loadRoot: Bytes32;
  sealRoots: Bytes32[];
}

export interface ZgsNodeOptions {
  chainId: bigint;
  flowAddress: string;
  shardId: bigint;
  numShard: bigint;
  txs: TxIndex;
  tree: FlowTreeReader;
  store: ZgsStore;
  /** Roots of a 256 KiB load (the wasm hashLoad; leaf-0 rule for load 0). */
  hashLoad(loadIndex: bigint, load: Uint8Array): LoadRootsOut;
  /** The last block whose Submit events are applied. */
  logSyncHeight(): number;
  connectedPeers?(): number;
  /** Bytes of upload segments being checked at once (default 64 MiB). */
  maxPendingUploadBytes?: number;
  onFinalized?(tx: TxRecord): void;
}

const ZERO_BLOCK_HASH = `0x${'00'.repeat(32)}`;
const hex = (b: Uint8Array): string => toHex(b);

/** The node's `Transaction` shape. */
function txJson(t: TxRecord): object {
  return {
    streamIds: [],
    data: [],
    dataMerkleRoot: hex(t.dataRoot),
    merkleNodes: t.nodes.map((n) => [n.height + 1, hex(n.root)]),
    startEntryIndex: t.startPos,
    size: t.sizeBytes,
    seq: t.txSeq,
  };
}

interface SegmentIn {
  root: Uint8Array;
  data: Uint8Array;
  index: number;
  lemma: Uint8Array[];
  path: boolean[];
  fileSize: bigint;
}

function parseSegment(v: unknown, what: string): SegmentIn {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidParams(`${what}: expected a SegmentWithProof object, got ${describe(v)}`);
  const s = v as Record<string, unknown>;
  const root = hashParam(s['root'], `${what}.root`);
  let data: Uint8Array | null;
  try {
    data = decodeSegment('upload', s['data']);
  } catch {
    throw invalidParams(`${what}.data: expected base64`);
  }
  if (data === null || data.length === 0) throw invalidParams(`${what}.data: empty`);
  const index = Number(uintParam(s['index'], `${what}.index`, 1n << 40n));
  const fileSize = uintParam(s['fileSize'], `${what}.fileSize`, 1n << 50n);
  const proof = s['proof'] as { lemma?: unknown; path?: unknown } | null;
  if (proof === null || typeof proof !== 'object' || !Array.isArray(proof.lemma) || !Array.isArray(proof.path) || proof.lemma.length > 64 || proof.path.length > 64)
    throw invalidParams(`${what}.proof: expected {lemma: [hash…], path: [bool…]}`);
  const lemma = proof.lemma.map((x, i) => hashParam(x, `${what}.proof.lemma[${i}]`));
  const path = proof.path.map((x, i) => boolParam(x, `${what}.proof.path[${i}]`));
  return { root, data, index, lemma, path, fileSize };
}

/** The path a promoting (SDK) tree gives leaf `index` of `n` leaves: true = left child; promoted levels have no entry. */
function expectedPath(index: number, n: number): boolean[] {
  const path: boolean[] = [];
  let idx = index;
  let size = n;
  while (size > 1) {
    if (idx % 2 === 1) path.push(false);
    else if (idx + 1 < size) path.push(true);
    idx = Math.floor(idx / 2);
    size = Math.ceil(size / 2);
  }
  return path;
}

/** Flow-position facts of a transaction. */
function geometry(t: TxRecord): { chunks: number; padded: number; dataSegments: number; paddedSegments: number } {
  const size = Number(t.sizeBytes);
  const chunks = numChunks(size);
  const padded = paddedChunks(size);
  return { chunks, padded, dataSegments: Math.ceil(chunks / SECTORS_PER_SEGMENT), paddedSegments: Math.ceil(padded / SECTORS_PER_SEGMENT) };
}

export class ZgsNode {
  private readonly o: ZgsNodeOptions;
  private pendingBytes = 0;
  private readonly maxPending: number;
  /** Data segments received per not-yet-finalized transaction (for uploadedSegNum). */
  private readonly received = new Map<bigint, Set<number>>();
  private readonly finalized = new Set<bigint>();
  /** The store's `forgets` when `finalized` was last valid. */
  private forgetsSeen = 0;
  /** flowLength by root for the roots this node committed after each transaction (getSectorProof). */
  private readonly rootLengths = new Map<string, bigint>();

  constructor(o: ZgsNodeOptions) {
    this.o = o;
    this.maxPending = o.maxPendingUploadBytes ?? 64 * 1024 * 1024;
  }

  private holds(load: bigint): boolean {
    return load % this.o.numShard === this.o.shardId;
  }

  /** Flow segment (= load) of segment `i` of a transaction: files that cross a load boundary start on one (spec §6.3 pad). */
  private segmentLoad(t: TxRecord, i: number): bigint {
    return t.startPos / LOAD + BigInt(i);
  }

  /** True when every data sector of `t` that this shard holds is stored. */
  isFinalized(t: TxRecord): boolean {
    // A forgotten load makes files that were finalized incomplete again: ask the store afresh.
    const forgets = this.o.store.forgets ?? 0;
    if (forgets !== this.forgetsSeen) {
      this.forgetsSeen = forgets;
      this.finalized.clear();
    }
    if (this.finalized.has(t.txSeq)) return true;
    const g = geometry(t);
    const end = t.startPos + BigInt(g.chunks);
    for (let l = t.startPos / LOAD; l * LOAD < end; l++) {
      if (!this.holds(l)) continue;
      const from = l * LOAD > t.startPos ? l * LOAD : t.startPos;
      const to = (l + 1n) * LOAD < end ? (l + 1n) * LOAD : end;
      if (!this.o.store.rangeKnown(from, to)) return false;
    }
    this.finalized.add(t.txSeq);
    this.received.delete(t.txSeq);
    return true;
  }

  private fileInfo(t: TxRecord | null): object | null {
    if (t === null) return null;
    const fin = this.isFinalized(t);
    return {
      tx: txJson(t),
      finalized: fin,
      isCached: false,
      uploadedSegNum: fin ? geometry(t).dataSegments : (this.received.get(t.txSeq)?.size ?? 0),
      pruned: false,
    };
  }

  /** The transaction for a data root: the first finalized one, else the first. */
  private byRoot(root: Uint8Array): TxRecord | null {
    const list = this.o.txs.byDataRoot(root);
    return list.find((t) => this.isFinalized(t)) ?? list[0] ?? null;
  }

  private txBySeq(v: unknown): TxRecord | null {
    return this.o.txs.bySeqNo(uintParam(v, 'txSeq'));
  }

  /** Flow sectors [from, to) as bytes (unknown ones are zeros: callers check `rangeKnown` first). */
  private async readSectors(from: bigint, to: bigint): Promise<Uint8Array> {
    const out = new Uint8Array(Number(to - from) * BYTES_PER_SECTOR);
    for (let l = from / LOAD; l * LOAD < to; l++) {
      const load = await this.o.store.readRawLoad(l);
      const a = l * LOAD > from ? l * LOAD : from;
      const b = (l + 1n) * LOAD < to ? (l + 1n) * LOAD : to;
      out.set(load.subarray(Number(a - l * LOAD) * BYTES_PER_SECTOR, Number(b - l * LOAD) * BYTES_PER_SECTOR), Number(a - from) * BYTES_PER_SECTOR);
    }
    return out;
  }

  /** Tx-relative sectors [start, end) of `t` as a base64 Segment, or null when not all stored here. */
  private async download(t: TxRecord | null, startV: unknown, endV: unknown): Promise<string | null> {
    if (t === null) return null;
    const start = uintParam(startV, 'startIndex');
    const end = uintParam(endV, 'endIndex');
    const { chunks } = geometry(t);
    if (end <= start || end > BigInt(chunks)) throw invalidParams(`sector range [${start}, ${end}) is not inside the file's ${chunks} sectors`);
    if (end - start > 2n * LOAD) throw invalidParams(`at most ${2 * SECTORS_PER_LOAD} sectors per call`);
    const from = t.startPos + start;
    const to = t.startPos + end;
    if (!this.o.store.rangeKnown(from, to)) return null;
    return encodeSegment(await this.readSectors(from, to));
  }

  private async downloadWithProof(t: TxRecord | null, indexV: unknown): Promise<object | null> {
    if (t === null) return null;
    const index = Number(uintParam(indexV, 'segmentIndex', 1n << 40n));
    const g = geometry(t);
    if (index >= g.dataSegments) throw invalidParams(`segment ${index} is past the file's ${g.dataSegments} segment(s)`);
    const dataEnd = t.startPos + BigInt(g.chunks);
    if (!this.o.store.rangeKnown(t.startPos, dataEnd)) return null;
    // The file proof needs every segment root of the padded file, so the whole file is read.
    const file = await this.readSectors(t.startPos, t.startPos + BigInt(g.padded));
    const leaves = paddedSectorLeaves(file.subarray(0, g.chunks * BYTES_PER_SECTOR), g.padded);
    const segRoots: Uint8Array[] = [];
    for (let s = 0; s < g.padded; s += SECTORS_PER_SEGMENT) {
      const lv = promotingLevels(leaves.slice(s, Math.min(s + SECTORS_PER_SEGMENT, g.padded)));
      segRoots.push(lv[lv.length - 1]![0]!);
    }
    const proof = promotingProof(promotingLevels(segRoots), index);
    const segEnd = Math.min((index + 1) * SECTORS_PER_SEGMENT, g.chunks);
    return {
      root: hex(t.dataRoot),
      data: encodeSegment(file.subarray(index * SECTORS_PER_SEGMENT * BYTES_PER_SECTOR, segEnd * BYTES_PER_SECTOR)),
      index,
      proof: { lemma: proof.lemma.map(hex), path: proof.path },
      fileSize: t.sizeBytes,
    };
  }

  /** Checks one uploaded segment against the chain's data root and stores it. */
  private async uploadOne(seg: SegmentIn, t: TxRecord): Promise<void> {
    if (!equalBytes(seg.root, t.dataRoot)) throw invalidParams(`segment root ${hex(seg.root)} is not the data root ${hex(t.dataRoot)} of tx ${t.txSeq}`);
    if (seg.fileSize !== t.sizeBytes) throw invalidParams(`fileSize ${seg.fileSize} differs from tx ${t.txSeq}'s ${t.sizeBytes}`);
    const g = geometry(t);
    if (seg.index >= g.dataSegments) throw invalidParams(`segment ${seg.index} is past the file's ${g.dataSegments} data segment(s)`);
    const first = seg.index * SECTORS_PER_SEGMENT;
    const sectors = Math.min(SECTORS_PER_SEGMENT, g.chunks - first);
    if (seg.data.length > sectors * BYTES_PER_SECTOR || seg.data.length <= (sectors - 1) * BYTES_PER_SECTOR)
      throw invalidParams(`segment ${seg.index}: ${seg.data.length} bytes, expected ${sectors} sectors`);
    if (!this.holds(this.segmentLoad(t, seg.index))) throw invalidParams(`segment ${seg.index} of tx ${t.txSeq} is not in shard ${this.o.shardId}/${this.o.numShard}`);
    // The last segment is re-padded with zero sectors up to the flow padding, as the uploader hashed it.
    const rootSectors = Math.min(SECTORS_PER_SEGMENT, g.padded - first);
    const lv = promotingLevels(paddedSectorLeaves(seg.data, rootSectors));
    let h = lv[lv.length - 1]![0]!;
    const want = expectedPath(seg.index, g.paddedSegments);
    const okShape =
      seg.path.length === want.length &&
      seg.path.every((b, i) => b === want[i]) &&
      (g.paddedSegments === 1 ? seg.lemma.length === 1 : seg.lemma.length === want.length + 2);
    if (!okShape) throw invalidParams(`segment ${seg.index}: its proof is not a proof of segment ${seg.index} of ${g.paddedSegments}`);
    const leafOk = g.paddedSegments === 1 || equalBytes(seg.lemma[0]!, h);
    for (let k = 0; k < seg.path.length; k++) h = seg.path[k] ? hashPair(h, seg.lemma[k + 1]!) : hashPair(seg.lemma[k + 1]!, h);
    if (!leafOk || !equalBytes(h, t.dataRoot) || !equalBytes(seg.lemma[seg.lemma.length - 1]!, t.dataRoot))
      throw invalidParams(`segment ${seg.index}: data and proof do not lead to the data root ${hex(t.dataRoot)}`);
    const whole = new Uint8Array(sectors * BYTES_PER_SECTOR);
    whole.set(seg.data);
    await this.o.store.writeFlowData(t.startPos + BigInt(first), whole);
    let got = this.received.get(t.txSeq);
    if (!got) this.received.set(t.txSeq, (got = new Set()));
    got.add(seg.index);
  }

  private async upload(segsV: unknown, txSeqV: unknown | undefined): Promise<null> {
    const list = Array.isArray(segsV) ? segsV : [segsV];
    if (list.length === 0 || list.length > 64) throw invalidParams(`expected 1 to 64 segments, got ${list.length}`);
    const segs = list.map((s, i) => parseSegment(s, `segment[${i}]`));
    let t: TxRecord | null;
    if (txSeqV !== undefined) t = this.txBySeq(txSeqV);
    else t = this.o.txs.byDataRoot(segs[0]!.root).find((x) => !this.isFinalized(x)) ?? this.byRoot(segs[0]!.root);
    if (t === null) throw invalidParams('no such transaction on chain (yet): submit it with Flow.submit and wait for it to be followed');
    if (this.isFinalized(t)) throw invalidParams('already uploaded and finalized');
    const bytes = segs.reduce((a, s) => a + s.data.length, 0);
    if (this.pendingBytes + bytes > this.maxPending) throw new RpcFault(RPC_SERVER_BUSY, 'too many data writing: try again shortly');
    this.pendingBytes += bytes;
    try {
      for (const s of segs) await this.uploadOne(s, t);
    } finally {
      this.pendingBytes -= bytes;
    }
    const g = geometry(t);
    const got = this.received.get(t.txSeq);
    let all = true;
    for (let i = 0; i < g.dataSegments; i++)
      if (this.holds(this.segmentLoad(t, i)) && !got?.has(i)) {
        all = false;
        break;
      }
    // Segments stored before a restart are not in `received`: the store knows them.
    if (all || this.isFinalized(t)) {
      // Zero sectors from the file's end to the end of its last node are part of it (spec §6.3).
      const dataEnd = t.startPos + BigInt(g.chunks);
      const end = t.startPos + t.lengthSectors;
      if (dataEnd < end) await this.o.store.markKnownZero(dataEnd, end);
      if (this.isFinalized(t)) this.o.onFinalized?.(t);
    }
    return null;
  }

  /** The flow length whose root is `root` among the lengths after each transaction, or null. */
  private async lengthOfRoot(root: Uint8Array): Promise<bigint | null> {
    const key = hex(root);
    const hit = this.rootLengths.get(key);
    if (hit !== undefined) return hit;
    const len = this.o.tree.length();
    if (equalBytes(await this.o.tree.rootAt(len), root)) return len;
    // Newest first: a miner asks about recent contexts.
    for (const e of this.o.txs.recentEnds(4096)) {
      if (e > len) continue;
      const r = await this.o.tree.rootAt(e);
      this.rootLengths.set(hex(r), e);
      if (equalBytes(r, root)) return e;
    }
    return null;
  }

  /** `zgs_getSectorProof`: lemma [leaf, sib_0 … sib_{H-1}, root] and path (true = left child). */
  private async sectorProof(sectorV: unknown, rootV: unknown): Promise<object> {
    const sector = uintParam(sectorV, 'sectorIndex');
    let len: bigint | null;
    if (rootV === null || rootV === undefined) len = this.o.tree.length();
    else len = await this.lengthOfRoot(hashParam(rootV, 'flowRoot'));
    if (len === null) throw invalidParams(`flow root ${String(rootV)} is not a root this node has committed`);
    if (sector >= len) throw invalidParams(`sector ${sector} is past the flow length ${len}`);
    const load = sector / LOAD;
    const loadEnd = (load + 1n) * LOAD;
    const known = this.o.store.rangeKnown(load * LOAD, loadEnd < len ? loadEnd : len);
    if (!known) throw invalidParams(`sector ${sector}: load ${load} is not stored here`);
    const raw = Uint8Array.from(await this.o.store.readRawLoad(load));
    if (loadEnd > len) raw.fill(0, Number(len - load * LOAD) * BYTES_PER_SECTOR); // what the tree held then
    const { sealRoots } = this.o.hashLoad(load, raw);
    const inLoad = Number(sector - load * LOAD);
    const seal = Math.floor(inLoad / SECTORS_PER_SEAL);
    // Levels 0..3 inside the seal (its 16 leaves hashed in wasm, as the store does), then 4..9 from the seal roots.
    const sealBytes = SECTORS_PER_SEAL * BYTES_PER_SECTOR;
    const hashed = sectorLeaves(raw.subarray(seal * sealBytes, (seal + 1) * sealBytes));
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < SECTORS_PER_SEAL; i++) leaves.push(load === 0n && seal === 0 && i === 0 ? new Uint8Array(32) : hashed.subarray(i * 32, i * 32 + 32));
    const lemma: Uint8Array[] = [leaves[inLoad % SECTORS_PER_SEAL]!];
    const sibs = [...siblingPath(leaves, inLoad % SECTORS_PER_SEAL), ...siblingPath(sealRoots, seal)];
    const height = len < 1n ? 0 : treeHeight(len);
    if (height < 10) throw invalidParams(`flow length ${len} is below one load`);
    sibs.push(...(await this.o.tree.proof(10, load, len)));
    const root = await this.o.tree.rootAt(len);
    lemma.push(...sibs, root);
    const path: boolean[] = [];
    for (let k = 0; k < height; k++) path.push(((sector >> BigInt(k)) & 1n) === 0n);
    return { lemma: lemma.map(hex), path };
  }

  /**
   * Known pieces of load L (one whole load when complete), or null when none is stored. Encoding
   * (zg-miner extensions, a node has neither): nothing = byte numbers; "base64" = base64 strings;
   * "binary" = a complete load as the raw HTTP body (pieces of an incomplete one as base64), with
   * an optional count: L and the complete loads held right after it, up to count, back to back
   * (in a JSON-RPC batch, where a body cannot be raw, L alone as base64).
   */
  private async dataByNodeIndex(loadV: unknown, encV: unknown, countV: unknown): Promise<RawJson | RawBinary | null> {
    const load = uintParam(loadV, 'loadIndex', 1n << 40n);
    if (encV !== undefined && encV !== 'base64' && encV !== 'binary') throw invalidParams(`encoding: expected "binary", "base64" or nothing, got ${describe(encV)}`);
    if (countV !== undefined && encV !== 'binary') throw invalidParams('count: only with the "binary" encoding');
    const count = countV === undefined ? 1 : Number(uintParam(countV, 'count', BigInt(MAX_BINARY_LOADS)));
    if (count < 1) throw invalidParams('count: at least 1');
    if (!this.holds(load)) return null;
    const start = load * LOAD;
    let pieces: Uint8Array[];
    if (this.o.store.isLoadComplete(load)) {
      const whole = await this.o.store.readRawLoad(load);
      if (encV === 'binary') {
        // Raw bytes of L and of the complete loads held right after it, up to `count` (one round trip for several).
        const parts = [whole];
        for (let l = load + 1n; parts.length < count && this.holds(l) && this.o.store.isLoadComplete(l); l++) parts.push(await this.o.store.readRawLoad(l));
        return new RawBinary(parts, () => new RawJson(encodeBase64Arrays([whole])));
      }
      pieces = [whole];
    } else {
      // Like the node: each known run without offsets (spec: only complete loads are usable).
      const raw = await this.o.store.readRawLoad(load);
      pieces = [];
      let runStart = -1;
      for (let s = 0; s <= SECTORS_PER_LOAD; s++) {
        const known = s < SECTORS_PER_LOAD && this.o.store.rangeKnown(start + BigInt(s), start + BigInt(s) + 1n);
        if (known && runStart < 0) runStart = s;
        if (!known && runStart >= 0) {
          pieces.push(raw.subarray(runStart * BYTES_PER_SECTOR, s * BYTES_PER_SECTOR));
          runStart = -1;
        }
      }
      if (pieces.length === 0) return null;
    }
    return new RawJson(encV === undefined ? encodeByteArrays(pieces) : encodeBase64Arrays(pieces));
  }

  methods(): Record<string, RpcHandler> {
    const o = this.o;
    return {
      zgs_getStatus: () => ({
        connectedPeers: o.connectedPeers?.() ?? 0,
        logSyncHeight: o.logSyncHeight(),
        logSyncBlock: ZERO_BLOCK_HASH,
        nextTxSeq: o.txs.nextTxSeq,
        networkIdentity: { chainId: o.chainId, flowAddress: o.flowAddress, p2pProtocolVersion: { major: 0, minor: 4, build: 0 } },
      }),
      zgs_getShardConfig: () => ({ shardId: Number(o.shardId), numShard: Number(o.numShard) }),
      zgs_getFlowContext: async () => {
        const len = o.tree.length();
        return [hex(await o.tree.rootAt(len)), len];
      },
      zgs_getFileInfo: (p) => {
        if (p[1] !== undefined && p[1] !== null) boolParam(p[1], 'needAvailable');
        return this.fileInfo(this.byRoot(hashParam(p[0], 'dataRoot')));
      },
      zgs_getFileInfoByTxSeq: (p) => this.fileInfo(this.txBySeq(p[0])),
      zgs_checkFileFinalized: (p) => {
        const t = typeof p[0] === 'string' && p[0].length === 66 ? this.byRoot(hashParam(p[0], 'root')) : this.txBySeq(p[0]);
        return t === null ? null : this.isFinalized(t);
      },
      zgs_uploadSegment: (p) => this.upload([p[0]], undefined),
      zgs_uploadSegments: (p) => this.upload(p[0], undefined),
      zgs_uploadSegmentByTxSeq: (p) => this.upload([p[0]], p[1] ?? invalidParamsThrow('txSeq: missing')),
      zgs_uploadSegmentsByTxSeq: (p) => this.upload(p[0], p[1] ?? invalidParamsThrow('txSeq: missing')),
      zgs_downloadSegment: (p) => this.download(this.byRoot(hashParam(p[0], 'dataRoot')), p[1], p[2]),
      zgs_downloadSegmentByTxSeq: (p) => this.download(this.txBySeq(p[0]), p[1], p[2]),
      zgs_downloadSegmentWithProof: (p) => this.downloadWithProof(this.byRoot(hashParam(p[0], 'dataRoot')), p[1]),
      zgs_downloadSegmentWithProofByTxSeq: (p) => this.downloadWithProof(this.txBySeq(p[0]), p[1]),
      zgs_getSectorProof: (p) => this.sectorProof(p[0], p[1]),
      zgs_getDataByNodeIndex: (p) => this.dataByNodeIndex(p[0], p[1], p[2]),
      zgs_getHashAtNodeIndex: async (p) => {
        const load = uintParam(p[0], 'loadIndex', 1n << 40n);
        if ((load + 1n) * LOAD > o.tree.length()) return null;
        const n = await o.tree.node(10, load);
        return n === null ? null : hex(n);
      },
    };
  }
}

function invalidParamsThrow(reason: string): never {
  throw invalidParams(reason);
}

