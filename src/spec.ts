/**
 * Protocol constants of 0G Storage PoRA, mirrored from `ZgsSpec.sol` / the node's `zgs_spec`
 * (spec/protocol.md §1). Units are in the names: positions and lengths count 256-byte sectors.
 */

export const BYTES_PER_SECTOR = 256;
export const BYTES_PER_UNIT = 32;
export const BYTES_PER_BHASH = 64;
export const BYTES_PER_SEAL = 4096;
export const BYTES_PER_PAD = 16384;
export const BYTES_PER_LOAD = 262144;
export const BYTES_PER_SEGMENT = 262144;

export const UNITS_PER_SECTOR = 8;
export const UNITS_PER_SEAL = 128;
export const SECTORS_PER_SEAL = 16;
export const SECTORS_PER_LOAD = 1024;
export const SECTORS_PER_SEGMENT = 1024;
export const SEALS_PER_LOAD = 64;
export const PADS_PER_LOAD = 16;
export const SEALS_PER_PAD = 4;
export const BHASHES_PER_SEAL = 64;
export const BHASHES_PER_PAD = 256;

/** The load and seal sizes as bigint (`n` as in `1024n`), for sector positions beyond 2^53. */
export const SECTORS_PER_LOAD_N = BigInt(SECTORS_PER_LOAD);
export const SECTORS_PER_SEAL_N = BigInt(SECTORS_PER_SEAL);
export const SEALS_PER_LOAD_N = BigInt(SEALS_PER_LOAD);
export const BYTES_PER_SECTOR_N = BigInt(BYTES_PER_SECTOR);

/** 2^25 sectors = 8 GiB: the pricing chunk, and the alignment of a mining range start. */
export const SECTORS_PER_PRICE = 1n << 25n;
/** 2^35 sectors = 8 TiB: the longest unsharded mining range. */
export const MAX_MINING_LENGTH = 1n << 35n;

export const PORA_VERSION = 1n;
export const UINT256_MAX = (1n << 256n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;
/** The ABI error a Solidity ≥0.8 checked operation raises, as verdict reasons: overflow, division by zero. */
export const PANIC_OVERFLOW = 'Panic(0x11)';
export const PANIC_DIVISION_BY_ZERO = 'Panic(0x12)';

/** keccak256 of the empty string. */
export const EMPTY_HASH_HEX = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';
/** The only account `computeWorkerContext` accepts as `msg.sender` (used through eth_call). */
export const COMPUTE_WORKER_CONTEXT_CALLER = '0x000000000000000000000000000000000000000A';

/** Settings bits of the PoraMine constructor. */
export const NO_DATA_SEAL = 0x1n;
export const NO_DATA_PROOF = 0x2n;
export const FIXED_DIFFICULTY = 0x4n;

/** Flow tree depth limit (FlowTreeLib) and ZERO_HASHES table size. */
export const FLOW_MAX_DEPTH = 64;
