/**
 * Answers for `zg-miner bench verify`: distinct, valid, and checked in full (seal check and data
 * proof on, a 26-word Merkle path as on a 2^30-sector flow, every answer its own nonce, seal
 * offset, data and flow root), as the JSON lines `verify -` reads. Built with pora.wasm so a
 * corpus of a few hundred takes well under a second.
 */
import { keccak256 } from '../core/hash.js';
import { chooseRange, rangeDigest, recallChunkOffset } from '../core/recallRange.js';
import { answerToJson, viewToJson } from '../verify/answerJson.js';
import { SECTORS_PER_LOAD_N, SECTORS_PER_SEAL_N, UINT256_MAX, UINT64_MAX } from '../spec.js';
import type { PoraAnswer, VerifyView } from '../types.js';
import { WasmPora } from '../backend/wasmPora.js';

export const BENCH_FLOW_LENGTH = 1n << 30n;
export const BENCH_PROOF_WORDS = 26;

/** Deterministic bytes from a label: its keccak256 seeds an xorshift32 stream (cheap for 4 KiB). */
function stream(label: string, n: number): Uint8Array {
  const h = keccak256(new TextEncoder().encode(label));
  let x = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[o] = x & 0xff;
  }
  return out;
}

export function benchCorpus(count: number): string[] {
  const w = new WasmPora();
  const minerId = stream('minerId', 32);
  const subtaskDigest = stream('subtaskDigest', 32);
  const contextDigest = stream('contextDigest', 32);
  const sealedContextDigest = stream('sealedContextDigest', 32);
  const range = chooseRange(BENCH_FLOW_LENGTH, UINT64_MAX, 0n);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const nonce = stream(`nonce ${i}`, 32);
    w.setJob({ minerId, subtaskDigest, rangeDigest: rangeDigest(range), range, bound: 0n });
    w.setNonce(nonce);
    w.scratchPad(0);
    const chunk = recallChunkOffset(range, w.recallSeed(0));
    const sealOffset = BigInt(i % 64);
    const recallPosition = range.startPosition + chunk * SECTORS_PER_LOAD_N + sealOffset * SECTORS_PER_SEAL_N;
    const unsealed = stream(`data ${i}`, 4096);
    const merkleProof = Array.from({ length: BENCH_PROOF_WORDS }, (_, k) => stream(`proof ${i} ${k}`, 32));
    const answer: PoraAnswer = {
      contextDigest,
      nonce,
      minerId,
      range,
      recallPosition,
      sealOffset,
      sealedContextDigest,
      sealedData: w.sealOne(unsealed, minerId, sealedContextDigest, recallPosition, 'seal'),
      merkleProof,
    };
    const view: VerifyView = {
      context: { digest: contextDigest, flowRoot: w.merkleRoot(unsealed, recallPosition / SECTORS_PER_SEAL_N, merkleProof), flowLength: BENCH_FLOW_LENGTH },
      poraTarget: UINT256_MAX,
      subtaskDigest,
      maxShards: 1n,
      sealDataEnabled: true,
      dataProofEnabled: true,
      sealedContextRange: { start: 0n, end: BENCH_FLOW_LENGTH },
      minerRegistered: true,
    };
    lines.push(JSON.stringify({ answer: answerToJson(answer), view: viewToJson(view) }));
  }
  return lines;
}
