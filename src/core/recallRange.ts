/**
 * RecallRange (contracts/miner/RecallRange.sol, spec §3): digest, range checks, recall chunk and
 * the shard target scale. Every function is pure; positions are in sectors.
 */
import { MAX_MINING_LENGTH, PANIC_OVERFLOW, SECTORS_PER_PRICE, UINT256_MAX, UINT64_MAX, SECTORS_PER_LOAD_N } from '../spec.js';
import type { RecallRange } from '../types.js';
import { bytesToBigInt, concatBytes, u256be } from '../bytes.js';
import { keccak256 } from './hash.js';

/** keccak256(abi.encode(uint startPosition, uint mineLength, uint64 shardId, uint64 shardMask)). */
export function rangeDigest(range: RecallRange): Uint8Array {
  return keccak256(
    concatBytes(u256be(range.startPosition), u256be(range.mineLength), u256be(range.shardId), u256be(range.shardMask))
  );
}

/** Number of zero bits in the 64-bit shard mask. */
export function shardBits(shardMask: bigint): number {
  let neg = ~shardMask & UINT64_MAX;
  let n = 0;
  while (neg > 0n) {
    neg &= neg - 1n;
    n++;
  }
  return n;
}

/** 2^(zero bits of shardMask), as `RecallRangeLib.numShards`. */
export function numShards(range: Pick<RecallRange, 'shardMask'>): bigint {
  return 1n << BigInt(shardBits(range.shardMask));
}

/** The largest end a range may reach: the context's flow length rounded down to whole loads. */
export function maxEndPosition(flowLength: bigint): bigint {
  return (flowLength / SECTORS_PER_LOAD_N) * SECTORS_PER_LOAD_N;
}

/**
 * `RecallRangeLib.check(range, maxEnd)`: the first failing requirement's revert string, in the
 * contract's order, or null when the range is valid. The checked `startPosition + mineLength`
 * is evaluated after the alignment require, so its overflow panic (`Panic(0x11)`) comes second.
 * The other operations cannot overflow: 2^35 × numShards ≤ 2^99.
 */
export function checkRange(range: RecallRange, maxEnd: bigint): string | null {
  if (range.startPosition % SECTORS_PER_PRICE !== 0n) return 'Start position is not aligned';
  const end = range.startPosition + range.mineLength;
  if (end > UINT256_MAX) return PANIC_OVERFLOW;
  if (end > maxEnd) return 'Mining range overflow';
  const maxMineLength = MAX_MINING_LENGTH * numShards(range);
  if (range.mineLength > maxMineLength) return 'Mining range too long';
  const required = maxEnd < maxMineLength ? maxEnd : maxMineLength;
  if (range.mineLength < required) return 'Mining range too short';
  if ((range.shardId & range.shardMask) !== 0n) return 'Masked bits should be zero';
  return null;
}

/**
 * The load-chunk offset recalled by `recallSeed`: `(uint64(seed mod (mineLength/1024)) & shardMask) | shardId`.
 * @throws {RangeError} when `mineLength / 1024 == 0` (the contract panics with 0x12 there).
 */
export function recallChunkOffset(range: RecallRange, recallSeed: Uint8Array | bigint): bigint {
  const n = range.mineLength / SECTORS_PER_LOAD_N;
  if (n === 0n) throw new RangeError('recallChunkOffset: mineLength / 1024 is 0 (division by zero)');
  const seed = typeof recallSeed === 'bigint' ? recallSeed : bytesToBigInt(recallSeed);
  const origin = (seed % n) & UINT64_MAX;
  return (origin & range.shardMask) | range.shardId;
}

/** The contract's bound check (note `<=`: a load starting exactly at the range end passes). */
export function recallInBound(range: RecallRange, chunkOffset: bigint): boolean {
  return chunkOffset * SECTORS_PER_LOAD_N <= range.mineLength;
}

/** First sector of the recalled 256 KiB load. */
export function recallLoadStart(range: RecallRange, chunkOffset: bigint): bigint {
  return range.startPosition + chunkOffset * SECTORS_PER_LOAD_N;
}

/**
 * `targetScaleX64(range, flowLength)` = floor((min(flowLength, 2^35) << 64) / min(flowLength >> shardBits, 2^35)).
 * @throws {RangeError} when flowLength < numShards (the contract panics with 0x12).
 */
export function targetScaleX64(range: Pick<RecallRange, 'shardMask'>, flowLength: bigint): bigint {
  const noShard = flowLength < MAX_MINING_LENGTH ? flowLength : MAX_MINING_LENGTH;
  const perShard = flowLength / numShards(range);
  const sharded = perShard < MAX_MINING_LENGTH ? perShard : MAX_MINING_LENGTH;
  if (sharded === 0n) throw new RangeError('targetScaleX64: flowLength is below the number of shards (division by zero)');
  return (noShard << 64n) / sharded;
}

/** The largest quality accepted: `(poraTarget / scaleX64) << 64` (integer division first). */
export function qualityBound(poraTarget: bigint, scaleX64: bigint): bigint {
  return (poraTarget / scaleX64) << 64n;
}

/** Accept iff uint256(quality) <= bound. */
export function meetsTarget(quality: Uint8Array | bigint, bound: bigint): boolean {
  const q = typeof quality === 'bigint' ? quality : bytesToBigInt(quality);
  return q <= bound;
}

/**
 * The range the reference miner mines (spec §3.3, `MineRangeConfig::to_valid_range`): the whole
 * minable flow if it fits in 8 TiB × numShards, else that much starting at a 2^25-aligned start.
 */
export function chooseRange(flowLength: bigint, shardMask: bigint, shardId: bigint, configStart = 0n): RecallRange {
  const minable = maxEndPosition(flowLength);
  const cap = MAX_MINING_LENGTH * numShards({ shardMask });
  const mineLength = minable < cap ? minable : cap;
  let start = configStart < minable - mineLength ? configStart : minable - mineLength;
  start = (start / SECTORS_PER_PRICE) * SECTORS_PER_PRICE;
  return { startPosition: start, mineLength, shardId, shardMask };
}

/** Parses `shard_position = "<id>/<num>"` into mask and id (spec §3.2). */
export function shardFromPosition(position: string): { shardId: bigint; shardMask: bigint; numShards: bigint } {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(position);
  if (!m) throw new RangeError(`shard_position: expected "<shard_id>/<num_shard>", got "${position}"`);
  const id = BigInt(m[1]!);
  const num = BigInt(m[2]!);
  if (num === 0n || (num & (num - 1n)) !== 0n || num > 1n << 63n)
    throw new RangeError(`shard_position: num_shard must be a power of two, got ${num}`);
  if (id >= num) throw new RangeError(`shard_position: shard_id ${id} must be below num_shard ${num}`);
  return { shardId: id, shardMask: ~(num - 1n) & UINT64_MAX, numShards: num };
}
