/**
 * A complete, valid answer built from the spec's worked example (§10.2): a 4096-sector flow whose
 * sector p is 0x5a bytes with byte0 = p & 0xff, byte1 = p >> 8; seal 75 (recallPosition 1200,
 * sealOffset 11 of load 1) sealed under keccak("sealContext").
 */
import { keccak256 } from '../../src/core/hash.js';
import { hashPair } from '../../src/core/merkle.js';
import { seal } from '../../src/core/seal.js';
import { fromHex } from '../../src/bytes.js';
import type { PoraAnswer, VerifyView } from '../../src/types.js';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const UINT256_MAX = (1n << 256n) - 1n;
export const FULL_MASK = (1n << 64n) - 1n;

export function exampleSector(p: number): Uint8Array {
  const s = new Uint8Array(256).fill(0x5a);
  s[0] = p & 0xff;
  s[1] = (p >> 8) & 0xff;
  return s;
}

/** All levels of the example flow tree; level 0 = leaves (leaf 0 is the 0x00… placeholder). */
function exampleLevels(): Uint8Array[][] {
  const leaves: Uint8Array[] = [new Uint8Array(32)];
  for (let p = 1; p < 4096; p++) leaves.push(keccak256(exampleSector(p)));
  const levels = [leaves];
  while (levels[levels.length - 1]!.length > 1) {
    const prev = levels[levels.length - 1]!;
    const next: Uint8Array[] = [];
    for (let i = 0; i < prev.length; i += 2) next.push(hashPair(prev[i]!, prev[i + 1]!));
    levels.push(next);
  }
  return levels;
}

let cached: { answer: PoraAnswer; view: VerifyView; unsealed: Uint8Array } | null = null;

export const EXPECTED_QUALITY = '0xba13fdaa9e9872c9052658fcd95676c150d7708cba5105e3b90043a87d78b58b';
export const EXPECTED_FLOW_ROOT = '0x9b80e9da73558970ef6320a63b09e7fab4ba9569459dcad2777fe108707e631e';

export function validExample(): { answer: PoraAnswer; view: VerifyView; unsealed: Uint8Array } {
  if (cached === null) {
    const levels = exampleLevels();
    const recallPosition = 1200n;
    const unsealed = new Uint8Array(4096);
    for (let j = 0; j < 16; j++) unsealed.set(exampleSector(1200 + j), 256 * j);
    const minerId = keccak256(utf8('minerId'));
    const sealedContextDigest = keccak256(utf8('sealContext'));
    const sealIndex = 1200 / 16;
    const merkleProof: Uint8Array[] = [];
    for (let level = 4; level < 12; level++) merkleProof.push(levels[level]![(sealIndex >> (level - 4)) ^ 1]!);
    const contextDigest = keccak256(utf8('context'));
    const answer: PoraAnswer = {
      contextDigest,
      nonce: keccak256(utf8('nonce')),
      minerId,
      range: { startPosition: 0n, mineLength: 4096n, shardId: 0n, shardMask: FULL_MASK },
      recallPosition,
      sealOffset: 11n,
      sealedContextDigest,
      sealedData: seal(unsealed, minerId, sealedContextDigest, recallPosition),
      merkleProof,
    };
    const view: VerifyView = {
      context: { digest: contextDigest, flowRoot: levels[12]![0]!, flowLength: 4096n },
      poraTarget: UINT256_MAX,
      subtaskDigest: fromHex('0xff925f433105bad3d7eeef6be752ad2bb3b331eb7efbd3e2e9cd9ab3d326a586', 32),
      maxShards: 32n,
      sealDataEnabled: true,
      dataProofEnabled: true,
      sealedContextRange: { start: 0n, end: 4096n },
      minerRegistered: true,
    };
    cached = { answer, view, unsealed };
  }
  // Deep-enough copies so each test can mutate freely.
  const { answer, view, unsealed } = cached;
  return {
    answer: { ...answer, range: { ...answer.range }, sealedData: Uint8Array.from(answer.sealedData), merkleProof: answer.merkleProof.map((p) => Uint8Array.from(p)) },
    view: { ...view, context: { ...view.context } },
    unsealed,
  };
}
