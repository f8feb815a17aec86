/**
 * The mining service against the real contracts on anvil (PoraMine settings 0: seal check,
 * data proof and difficulty adjustment on): follow the flow, seal, mine with the reference
 * backend, and for crafted bad answers compare verifyAnswer's reason (view read from chain) with
 * the revert reason of a staticCall of the real submit().
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startTestChain, advanceEpoch, MemoryStore, type TestChain } from '../helpers/chain.js';
import { bindMinerChain } from '../../src/chain/minerChain.js';
import { submitAnswer, type SubmitPolicy } from '../../src/chain/submitter.js';
import { readVerifyView } from '../../src/chain/verifyView.js';
import { DirDataSource } from '../../src/miner/dataSource.js';
import { FlowFollower, type FlowFollowerOptions } from '../../src/miner/flowFollower.js';
import type { MinerChain } from '../../src/miner/ports.js';
import { Sealer } from '../../src/miner/sealer.js';
import { sealProof } from '../../src/miner/flowProofs.js';
import { PersistedFlowTree } from '../../src/store/persistedFlowTree.js';
import { hashFile } from '../../src/store/loadHash.js';
import { Miner, type MinerOptions } from '../../src/miner/miner.js';
import { createReferenceBackend } from '../../src/backend/referenceBackend.js';
import { verifyAnswer } from '../../src/verify/verifyAnswer.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { recallChunkOffset, recallInBound, recallLoadStart, qualityBound, targetScaleX64, meetsTarget } from '../../src/core/recallRange.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { keccak256 } from '../../src/core/hash.js';
import { fromHex, bytesToBigInt, equalBytes } from '../../src/bytes.js';
import { EMPTY_HASH_HEX, UINT64_MAX } from '../../src/spec.js';
import type { PoraAnswer } from '../../src/types.js';

const FILES = 3;
let chain: TestChain;
let dir: string;
let minerId: Uint8Array;
const store = new MemoryStore();
let tree: PersistedFlowTree;
const quiet = { info: (l: string) => { if (process.env.ZG_DEBUG) process.stderr.write(`# ${l}\n`); }, warn: (l: string) => process.stderr.write(`# ${l}\n`) };

before(async () => {
  chain = await startTestChain();
  dir = mkdtempSync(join(tmpdir(), 'zg-chain-e2e-'));
  tree = await PersistedFlowTree.open(join(dir, 'tree'));
  store.flowTree = tree;
  minerId = await chain.client.requestMinerId(7n);
  const source = new DirDataSource(join(dir, 'files'));
  for (let i = 0; i < FILES; i++) {
    const data = randomBytes(262144);
    const sub = await chain.uploadLoad(data);
    await source.put(sub.txSeq, data);
  }
  // Data submitted in epoch e-1 gets its sealing digest when epoch e is made.
  await advanceEpoch(chain);
}, { timeout: 120_000 });

after(async () => {
  await tree?.close();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function followerOptions(minerChain: MinerChain): FlowFollowerOptions {
  return {
    chain: minerChain,
    store,
    flowTree: tree,
    hashFile,
    source: new DirDataSource(join(dir, 'files')),
    stateFile: join(dir, 'follower.json'),
    fromBlock: chain.deployment.flowDeployBlock,
    log: quiet,
  };
}

function services(submitImpl?: (a: PoraAnswer) => Promise<{ result: 'stale'; reason: string }>, policy?: SubmitPolicy) {
  const bound = bindMinerChain(chain.client, policy);
  const minerChain = submitImpl ? { ...bound, submit: submitImpl } : bound;
  const backend = createReferenceBackend();
  const follower = new FlowFollower(followerOptions(minerChain));
  const sealer = new Sealer({ chain: minerChain, store, backend, minerId, log: quiet });
  return { minerChain, backend, follower, sealer };
}

/** A Miner over `services()` with the test's fast timings, single shard and quiet log. */
function testMiner(s: ReturnType<typeof services>, extra: Pick<MinerOptions, 'onSubmission'> = {}): Miner {
  return new Miner({
    chain: s.minerChain,
    store,
    backend: s.backend,
    source: new DirDataSource(join(dir, 'files')),
    flowTree: tree,
    minerId,
    log: quiet,
    shardId: 0n,
    shardMask: UINT64_MAX,
    iterBatchSize: 16,
    contextQuerySeconds: 0.5,
    cpuPercentage: 100,
    syncSeconds: 0.5,
    follower: s.follower,
    sealer: s.sealer,
    ...extra,
  });
}

let captured: PoraAnswer | null = null;

test('follows the flow, seals every complete load with its epoch digest, and finds an answer', { timeout: 120_000 }, async () => {
  const s = services(async (a) => {
    captured ??= a;
    return { result: 'stale', reason: 'held back by the test' };
  });
  const miner = testMiner(s);
  miner.start();
  const t0 = Date.now();
  while (!captured && Date.now() - t0 < 100_000) await new Promise((r) => setTimeout(r, 200));
  await miner.stop();
  assert.ok(captured, 'no hit within 100 s');
  // Loads 0..FILES are complete (load 0 = placeholder + gap zeros) and fully sealed.
  assert.deepEqual(store.completeLoads(), [0n, 1n, 2n, 3n]);
  for (const l of store.completeLoads()) assert.equal(store.sealedMask(l), (1n << 64n) - 1n);
  assert.notEqual(captured.recallPosition, 0n);
  assert.deepEqual(readdirSync(join(dir, 'files')), [], 'an imported file is removed once its data is stored');
  // A restart that reads every event again (its state file lost) finds their data stored: nothing
  // pending although the files are gone; an idle poll then leaves the state file alone.
  const again = new FlowFollower({ ...followerOptions(bindMinerChain(chain.client)), stateFile: join(dir, 'follower-again.json') });
  await again.poll();
  assert.equal(again.pendingCount, 0);
  const written = statSync(join(dir, 'follower-again.json')).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  await again.poll();
  assert.equal(statSync(join(dir, 'follower-again.json')).mtimeMs, written, 'an idle poll does not rewrite the state file');
});

test('verifyAnswer reason equals the staticCall revert reason of the real submit() for crafted answers', { timeout: 120_000 }, async () => {
  assert.ok(captured);
  const good = captured;
  const client = chain.client;
  const check = async (name: string, a: PoraAnswer, expected: string | null): Promise<void> => {
    const onChain = await client.staticSubmit(a);
    const verdict = verifyAnswer(a, await readVerifyView(client, a));
    const local = verdict.ok ? null : verdict.reason;
    assert.equal(local, onChain, `${name}: verifier says ${local}, chain says ${onChain}`);
    assert.equal(onChain, expected, `${name}: chain reason`);
  };
  const flipWord = Uint8Array.from(good.sealedData);
  flipWord[100]! ^= 1;
  const zeroProof = good.merkleProof.map((p, i) => (i === 0 ? new Uint8Array(32) : p));
  const unregistered = keccak256(new TextEncoder().encode('nobody'));
  await check('accepted answer', good, null);
  await check('wrong contextDigest', { ...good, contextDigest: keccak256(new Uint8Array(1)) }, 'Inconsistent mining digest');
  await check('zero miner id', { ...good, minerId: new Uint8Array(32) }, 'MinerId cannot be zero');
  await check('unregistered miner id', { ...good, minerId: unregistered }, 'MinerId does not registered');
  await check('sealedContextDigest = EMPTY_HASH', { ...good, sealedContextDigest: fromHex(EMPTY_HASH_HEX) }, 'Invalid sealed context digest');
  await check('unknown sealedContextDigest', { ...good, sealedContextDigest: keccak256(new Uint8Array(2)) }, 'Invalid sealed context digest');
  await check('zeroed proof element', { ...good, merkleProof: zeroProof }, 'Inconsistent merkle root');
  await check('missing proof element', { ...good, merkleProof: good.merkleProof.slice(0, -1) }, 'Inconsistent merkle root');
  await check('flipped sealed word', { ...good, sealedData: flipWord }, 'Inconsistent merkle root');
  // The next seal may lie in a later epoch range (its seal context differs): then the contract stops at
  // the sealed-context check before it reaches the proof.
  const nextSeal = good.recallPosition + 16n;
  const sameRange = equalBytes((await client.queryContextAtPosition(nextSeal + 15n)).digest, good.sealedContextDigest);
  await check('recallPosition + 16', { ...good, recallPosition: nextSeal }, sameRange ? 'Inconsistent merkle root' : 'Invalid sealed context digest');
  await check('mineLength - 1024', { ...good, range: { ...good.range, mineLength: good.range.mineLength - 1024n } }, 'Mining range too short');
  await check('mineLength + 1024', { ...good, range: { ...good.range, mineLength: good.range.mineLength + 1024n } }, 'Mining range overflow');
  await check('start 1', { ...good, range: { ...good.range, startPosition: 1n } }, 'Start position is not aligned');
  await check('shardId with a full mask', { ...good, range: { ...good.range, shardId: 1n } }, 'Masked bits should be zero');
  await check('64 shards (maxShards 32)', { ...good, range: { ...good.range, shardMask: UINT64_MAX ^ 63n } }, 'Exceeding the allowed number of shards');

  // An answer that is right in every respect but its quality: a nonce whose recalled seal misses the target.
  const wc = await client.computeWorkerContext(minerId);
  const bound = qualityBound(wc.poraTarget, targetScaleX64(good.range, wc.context.flowLength));
  let weak: PoraAnswer | null = null;
  for (let k = 0; k < 200 && !weak; k++) {
    const nonce = randomBytes(32);
    const padSeed = computePadSeed(minerId, nonce, wc.subtaskDigest, good.range);
    const { pad, recallSeed } = computeScratchPad(padSeed);
    const off = recallChunkOffset(good.range, recallSeed);
    if (!recallInBound(good.range, off)) continue;
    const loadStart = recallLoadStart(good.range, off);
    const sealOffset = loadStart === 0n ? 1 : 0;
    const sealed = await store.readSealedSeal(loadStart / 1024n, sealOffset);
    if (meetsTarget(poraOutput(sealOffset, padSeed, mixSeal(sealed, pad, sealOffset)), bound)) continue;
    const recallPosition = loadStart + BigInt(sealOffset * 16);
    weak = {
      ...good,
      nonce,
      recallPosition,
      sealOffset: BigInt(sealOffset),
      sealedContextDigest: await s2(recallPosition),
      sealedData: sealed,
      merkleProof: await sealProof(store, tree, recallPosition / 16n, wc.context.flowLength),
    };
  }
  assert.ok(weak, 'no below-target nonce found');
  await check('quality above target', weak, 'Do not reach target quality');
  assert.ok(bytesToBigInt(good.nonce) >= 0n);

  // Then the good answer for real, and its replay.
  const first = await submitAnswer(client, good);
  assert.equal(first.result, 'accepted', `submit: ${first.result} ${first.reason ?? ''}`);
  const replay = await submitAnswer(client, good);
  assert.deepEqual([replay.result, replay.reason], ['reverted', 'Answer has been submitted']);
});

async function s2(recallPosition: bigint): Promise<Uint8Array> {
  return (await chain.client.queryContextAtPosition(recallPosition + 15n)).digest;
}

test('the mining service submits and gets accepted answers on its own, bumping a too-low gas price', { timeout: 120_000 }, async () => {
  // Start below the base fee: the send is refused and the price is raised ×2 per retry.
  const baseFee = (await chain.client.provider.getBlock('latest'))!.baseFeePerGas!;
  const bumps: bigint[] = [];
  const policy: SubmitPolicy = {
    initialGasPrice: baseFee / 4n,
    gasIncreaseFactor: 20,
    maxRetries: 6,
    intervalSecs: 0,
    onBump: (p) => bumps.push(p),
  };
  const s = services(undefined, policy);
  const accepted: PoraAnswer[] = [];
  const miner = testMiner(s, {
    onSubmission: (o, a) => {
      if (o.result === 'accepted') accepted.push(a);
    },
  });
  miner.start();
  const t0 = Date.now();
  while (accepted.length < 1 && Date.now() - t0 < 100_000) await new Promise((r) => setTimeout(r, 200));
  await miner.stop();
  assert.ok(accepted.length >= 1, `no accepted answer: ${JSON.stringify(miner.counts)}`);
  assert.equal(miner.counts.error, 0);
  assert.ok(baseFee >= 4n, `base fee ${baseFee}`);
  assert.ok(bumps.length >= 2 && bumps[0] === (baseFee / 4n) * 2n, `bumps ${bumps.join(',')} from ${baseFee / 4n}`);
});
