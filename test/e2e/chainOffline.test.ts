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
import { sealProof } from '../../src/miner/flowProofs.js';
import { FlowTree, treeHeight } from '../../src/core/flowTree.js';
import { paddedChunks, splitNodes } from '../../src/core/fileRoot.js';
import { SealedStore } from '../../src/store/sealedStore.js';
import type { FlowSubmission } from '../../src/types.js';
import { EpochRangeCache } from '../../src/miner/sealer.js';
import { ZERO_HASHES, recoverMerkleRoot, hashPair } from '../../src/core/merkle.js';
import { isMinerError } from '../../src/errors.js';
import { equalBytes, fromHex, toHex } from '../../src/bytes.js';
import { UINT64_MAX } from '../../src/spec.js';
import { REPO_ROOT, TEST_MINE_PARAMS } from '../helpers/chain.js';
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

/**
 * Files submitted to a reference flow (core FlowTree with every leaf), with their Submit events:
 * whole loads, a 100-sector file (a partial load), and a small file after it.
 */
function flowWithEvents(): { ref: FlowTree; files: { data: Uint8Array; sub: FlowSubmission }[] } {
  const ref = new FlowTree();
  const files = [262144, 262144, 100 * 256 - 17, 262144, 5000].map((size, k) => {
    const data = randomBytes(size);
    const heights = splitNodes(paddedChunks(size));
    const { startPos, length } = ref.submitFile(data);
    const nodes = nodeRootsFor(data, heights).map((root, i) => ({ root, height: heights[i]! }));
    return { data, sub: { txSeq: BigInt(k), startPos, lengthSectors: length, sizeBytes: BigInt(size), nodes, blockNumber: 0 } };
  });
  return { ref, files };
}

test('flow proofs: the store flow tree (fed by Submit events) proves every sampled seal against the current and older roots, also after a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'zg-proofs-'));
  const minerId = randomBytes(32);
  try {
    const { ref, files } = flowWithEvents();
    let store = await SealedStore.open(dir, { minerId });
    const lengths: bigint[] = [];
    let prevEnd = 0n;
    for (const { data, sub } of files) {
      // What the follower does: the event first, then the gap zeros and the data.
      const placed = await store.flowTree.addSubmission(sub);
      assert.deepEqual(placed, { startSector: sub.startPos, endSector: sub.startPos + sub.lengthSectors });
      assert.deepEqual(await store.flowTree.addSubmission(sub), placed, 'a repeated event is ignored');
      if (sub.startPos > prevEnd) await store.markKnownZero(prevEnd, sub.startPos);
      const sectors = BigInt(Math.ceil(data.length / 256));
      const padded = new Uint8Array(Number(sectors) * 256);
      padded.set(data);
      await store.writeFlowData(sub.startPos, padded);
      prevEnd = sub.startPos + sub.lengthSectors;
      if (sub.startPos + sectors < prevEnd) await store.markKnownZero(sub.startPos + sectors, prevEnd);
      lengths.push(prevEnd);
    }
    const check = async (): Promise<void> => {
      assert.equal(store.flowTree.length(), ref.length);
      for (const len of lengths) {
        const root = await store.flowTree.rootAt(len);
        assert.ok(equalBytes(root, ref.rootAt(len)), `root at ${len}`);
        const held = len / 16n; // seals wholly below len
        for (const seal of [1n, 63n, 64n, 130n, 200n, 250n, held - 1n].filter((x) => x < held)) {
          const raw = await store.readRawLoad(seal / 64n);
          const unsealed = raw.subarray(Number(seal % 64n) * 4096, Number(seal % 64n) * 4096 + 4096);
          const proof = await sealProof(store, store.flowTree, seal, len);
          assert.equal(proof.length, treeHeight(len) - 4);
          assert.ok(equalBytes(recoverMerkleRoot(unsealed, seal * 16n, proof), root), `seal ${seal} at length ${len}`);
        }
      }
    };
    await check();
    await store.close();
    store = await SealedStore.open(dir, { minerId });
    await check();
    // An event that skips a txSeq, or one the tree would place elsewhere, is refused.
    const last = files[files.length - 1]!.sub;
    await assert.rejects(store.flowTree.addSubmission({ ...last, txSeq: last.txSeq + 2n }), /arrived before txSeq/);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
