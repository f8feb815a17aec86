/**
 * The chain/miner pieces that need no chain: contract loading, devnet parameter checks, the
 * submit calldata layout, file checks against submission nodes, flow proofs against older
 * lengths (brute-force tree), and the epoch-range lookup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadContracts, defaultContractsPath, DEVNET_CONTRACTS } from '../../src/chain/contracts.js';
import { checkMineParams } from '../../src/chain/deploy.js';
import { encodeSubmit } from '../../src/chain/chainClient.js';
import { checkFileAgainstNodes, nodeRootsFor } from '../../src/miner/dataSource.js';
import { FlowProofs, treeHeight } from '../../src/miner/flowProofs.js';
import { EpochRangeCache } from '../../src/miner/sealer.js';
import { ZERO_HASHES, completeRoot, sectorLeaves, recoverMerkleRoot, hashPair } from '../../src/core/merkle.js';
import { isMinerError } from '../../src/errors.js';
import { equalBytes, fromHex, toHex } from '../../src/bytes.js';
import { UINT64_MAX } from '../../src/spec.js';
import { MemoryStore, REPO_ROOT, TEST_MINE_PARAMS } from '../helpers/chain.js';
import type { MinerChain } from '../../src/miner/ports.js';

test('contracts: the shared bundle has the devnet set; a missing path is a one-line error naming --contracts', () => {
  const set = loadContracts(defaultContractsPath(REPO_ROOT));
  for (const n of DEVNET_CONTRACTS) assert.ok(set.get(n)?.bytecode.startsWith('0x60'), n);
  assert.throws(
    () => loadContracts('/nonexistent/artifacts.json'),
    (e: unknown) => isMinerError(e, 'BAD_INPUT') && !e.message.includes('\n') && e.message.includes('--contracts')
  );
});

test('contracts: a hardhat artifacts/ folder is read (debug and build-info files skipped)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-hh-'));
  try {
    const bundle = loadContracts(defaultContractsPath(REPO_ROOT));
    for (const name of DEVNET_CONTRACTS) {
      const d = join(dir, 'contracts', `${name}.sol`);
      mkdirSync(d, { recursive: true });
      const a = bundle.get(name)!;
      writeFileSync(join(d, `${name}.json`), JSON.stringify({ contractName: name, abi: a.abi, bytecode: a.bytecode }));
      writeFileSync(join(d, `${name}.dbg.json`), JSON.stringify({ buildInfo: 'x' }));
    }
    mkdirSync(join(dir, 'build-info'));
    writeFileSync(join(dir, 'build-info', 'x.json'), '{}');
    const set = loadContracts(dir);
    assert.deepEqual([...set.keys()].sort(), [...DEVNET_CONTRACTS].sort());
    rmSync(join(dir, 'contracts', 'PoraMine.sol'), { recursive: true });
    assert.throws(() => loadContracts(dir), /missing contract\(s\) PoraMine/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('devnet parameters: window/epoch relations are enforced', () => {
  checkMineParams(TEST_MINE_PARAMS, 100n);
  assert.throws(() => checkMineParams({ ...TEST_MINE_PARAMS, targetMineBlocks: 257n }, 1000n), /targetMineBlocks 257 exceeds 256/);
  assert.throws(() => checkMineParams({ ...TEST_MINE_PARAMS, nSubtasks: 2n }, 80n), /= 81 must be below blocksPerEpoch 80/);
});

test('submit calldata: selector 0xae722e82, 141 + k words, proof offset 0x1160', () => {
  const proof = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const sealedData = randomBytes(4096);
  const data = fromHex(
    encodeSubmit({
      contextDigest: randomBytes(32),
      nonce: randomBytes(32),
      minerId: randomBytes(32),
      range: { startPosition: 0n, mineLength: 4096n, shardId: 0n, shardMask: UINT64_MAX },
      recallPosition: 1200n,
      sealOffset: 11n,
      sealedContextDigest: randomBytes(32),
      sealedData,
      merkleProof: proof,
    })
  );
  assert.equal(toHex(data.subarray(0, 4)), '0xae722e82');
  assert.equal(data.length, 4 + 32 * (141 + proof.length));
  const word = (i: number): Uint8Array => data.subarray(4 + 32 * i, 4 + 32 * (i + 1));
  assert.equal(BigInt(toHex(word(0))), 0x20n);
  assert.equal(BigInt(toHex(word(8))), 1200n);
  assert.ok(equalBytes(data.subarray(4 + 32 * 11, 4 + 32 * 139), sealedData));
  assert.equal(BigInt(toHex(word(139))), 0x1160n);
  assert.equal(BigInt(toHex(word(140))), 3n);
  assert.ok(equalBytes(word(143), proof[2]!));
});

test('file check: node roots of the spec §10.1 examples; wrong size or bytes are named', () => {
  // 6 zero sectors → nodes (h2, h1) → data root keccak(Z2 ‖ Z1).
  const six = new Uint8Array(6 * 256);
  const roots = nodeRootsFor(six, [2, 1]);
  assert.ok(equalBytes(roots[0]!, ZERO_HASHES[2]!) && equalBytes(roots[1]!, ZERO_HASHES[1]!));
  assert.equal(toHex(hashPair(roots[0]!, roots[1]!)), '0x567c47a879794dd489a210dec17d31cc5919bc427d138d716a8107e025e2dbcb');
  const file = randomBytes(5000);
  const nodes = nodeRootsFor(file, [4, 2]).map((root, i) => ({ root, height: [4, 2][i]! }));
  assert.equal(checkFileAgainstNodes(file, 5000n, nodes), null);
  assert.match(checkFileAgainstNodes(file, 5001n, nodes)!, /5000 bytes, the transaction says 5001/);
  const bad = Uint8Array.from(file);
  bad[4500]! ^= 1;
  assert.match(checkFileAgainstNodes(bad, 5000n, nodes)!, /^node 1 \(height 2\) root/);
});

/** Brute force: the flow root at `len` over explicit leaves (leaf 0 = 0x00…00, zero sectors past len). */
function bruteRoot(store: MemoryStore, len: bigint): Uint8Array {
  const leaves: Uint8Array[] = [];
  for (let l = 0n; l * 1024n < len; l++) {
    const raw = store.raw.get(l)!;
    const ls = sectorLeaves(raw);
    for (let i = 0; i < 1024; i++) leaves.push(l * 1024n + BigInt(i) < len ? ls[i]! : ZERO_HASHES[0]!);
  }
  leaves[0] = new Uint8Array(32);
  while ((leaves.length & (leaves.length - 1)) !== 0 || leaves.length < 2 ** treeHeight(len)) leaves.push(ZERO_HASHES[0]!);
  return completeRoot(leaves.slice(0, 2 ** treeHeight(len)));
}

test('flow proofs: every sampled seal folds to the root at the current and at older, partial lengths', async () => {
  const store = new MemoryStore();
  await store.markKnownZero(0n, 1024n);
  for (let l = 1n; l <= 4n; l++) await store.writeFlowData(l * 1024n, randomBytes(262144));
  const proofs = new FlowProofs(store);
  for (const len of [2048n, 3072n + 100n, 4096n, 5120n]) {
    const root = await proofs.rootAt(len);
    assert.ok(equalBytes(root, bruteRoot(store, len)), `root at ${len}`);
    const mineable = (len / 1024n) * 1024n;
    for (const seal of [1n, 63n, 64n, 130n, mineable / 16n - 1n].filter((s) => s < mineable / 16n)) {
      const load = seal / 64n;
      const unsealed = store.raw.get(load)!.subarray(Number(seal % 64n) * 4096, Number(seal % 64n) * 4096 + 4096);
      const proof = await proofs.proofForSeal(seal, len);
      assert.equal(proof.length, treeHeight(len) - 4);
      assert.ok(equalBytes(recoverMerkleRoot(unsealed, seal * 16n, proof), root), `seal ${seal} at length ${len}`);
    }
  }
});

test('epoch ranges: the digest of the range holding a position, none past the recorded end', async () => {
  const d = (n: number): Uint8Array => new Uint8Array(32).fill(n);
  const ranges = [
    { start: 0n, end: 1024n, digest: d(1) },
    { start: 1024n, end: 1024n, digest: d(2) },
    { start: 1024n, end: 4096n, digest: d(3) },
  ];
  let calls = 0;
  const chain = { epochRangesFrom: async (i: number) => (calls++, ranges.slice(i)) } as unknown as MinerChain;
  const cache = new EpochRangeCache(chain);
  await cache.refresh();
  await cache.refresh();
  assert.equal(calls, 2);
  assert.equal(cache.recordedEnd, 4096n);
  assert.deepEqual(cache.digestAt(15n), d(1));
  assert.deepEqual(cache.digestAt(1023n), d(1));
  assert.deepEqual(cache.digestAt(1024n), d(3));
  assert.deepEqual(cache.digestAt(4095n), d(3));
  assert.equal(cache.digestAt(4096n), null);
});
