/**
 * Mutation sweep: the offline verifier (verifyAnswer with the view read from chain) against a
 * staticCall of the real PoraMine.submit() at the same block, for a seeded sweep of answers that
 * mutate every PoraAnswer field alone and in combinations (edge values, proof length and order,
 * shard mask/id pairs, sealOffset ≥ 64, overflowing positions).
 *
 * Two mines share one flow: the upstream set's PoraMine (settings 0: seal check and data proof on)
 * and a second PoraMine with settings 3 (both off), whose submit() reaches pora() for any data, so
 * the recall checks and their arithmetic are compared too. The only reasons the verifier may not
 * give are the documented live-state ones (verify/verifyAnswer.ts); every other verdict and reason
 * must be equal. ZG_SWEEP_SEED picks another seed; ZG_SWEEP_COMBOS the number of combinations.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestChain, MemoryStore, REPO_ROOT, TEST_MINE_PARAMS, type TestChain } from '../helpers/chain.js';
import { Prng } from '../helpers/random.js';
import { ChainClient } from '../../src/chain/chainClient.js';
import { loadContracts, defaultContractsPath } from '../../src/chain/contracts.js';
import { deployStandaloneMine } from '../../src/chain/deploy.js';
import { bindMinerChain } from '../../src/chain/minerChain.js';
import { readVerifyView } from '../../src/chain/verifyView.js';
import { DirDataSource } from '../../src/miner/dataSource.js';
import { FlowFollower } from '../../src/miner/flowFollower.js';
import { Sealer } from '../../src/miner/sealer.js';
import { sealProof } from '../../src/miner/flowProofs.js';
import { PersistedFlowTree } from '../../src/store/persistedFlowTree.js';
import { createReferenceBackend } from '../../src/backend/referenceBackend.js';
import { verifyAnswer } from '../../src/verify/verifyAnswer.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { chooseRange, meetsTarget, qualityBound, recallChunkOffset, recallInBound, targetScaleX64 } from '../../src/core/recallRange.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { keccak256 } from '../../src/core/hash.js';
import { fromHex } from '../../src/bytes.js';
import { EMPTY_HASH_HEX, UINT256_MAX, UINT64_MAX } from '../../src/spec.js';
import type { PoraAnswer } from '../../src/types.js';

const SEED = process.env['ZG_SWEEP_SEED'] ?? 'zg-verifier-sweep-1';
const COMBOS = Number(process.env['ZG_SWEEP_COMBOS'] ?? 110);
/** Reasons that depend on chain state no offline view holds (documented in verify/verifyAnswer.ts). */
const LIVE_STATE = new Set(['Earlier than expected subtask start block.', 'Mine deadline exceed', 'Epoch has enough submissions', 'Answer has been submitted']);

const prng = new Prng(SEED);
let chain: TestChain;
let dir: string;
const store = new MemoryStore();
let tree: PersistedFlowTree;

interface Mine {
  name: string;
  client: ChainClient;
  minerId: Uint8Array;
  /** A second registered id of the same mine. */
  otherId: Uint8Array;
  sealed: boolean;
  good?: PoraAnswer;
}
let mines: Mine[] = [];

before(async () => {
  chain = await startTestChain();
  dir = mkdtempSync(join(tmpdir(), 'zg-sweep-'));
  tree = await PersistedFlowTree.open(join(dir, 'tree'));
  store.flowTree = tree;
  const d = chain.deployment;
  const mine2 = await deployStandaloneMine(chain.anvil.rpcUrl, chain.anvil.keys[2]!, loadContracts(defaultContractsPath(REPO_ROOT)), d.flow, TEST_MINE_PARAMS, 3n);
  const client2 = new ChainClient({ rpcUrl: chain.anvil.rpcUrl, mineAddress: mine2, flowAddress: d.flow, minerKey: chain.minerKey, pollingMs: 100 });
  mines = [
    { name: 'PoraMine(0)', client: chain.client, minerId: await chain.client.requestMinerId(7n), otherId: await chain.client.requestMinerId(9n), sealed: true },
    { name: 'PoraMine(3)', client: client2, minerId: await client2.requestMinerId(7n), otherId: await client2.requestMinerId(9n), sealed: false },
  ];
  const source = new DirDataSource(join(dir, 'files'));
  for (let i = 0; i < 3; i++) {
    const data = prng.bytes(262144);
    const sub = await chain.uploadLoad(data);
    await source.put(sub.txSeq, data);
  }
  await chain.dev.advanceEpoch();
  const minerChain = bindMinerChain(chain.client);
  const quiet = { info: () => undefined, warn: (l: string) => process.stderr.write(`# ${l}\n`) };
  const follower = new FlowFollower({ chain: minerChain, store, flowTree: tree, source, stateFile: join(dir, 'follower.json'), fromBlock: d.flowDeployBlock, log: quiet });
  await follower.poll();
  const sealer = new Sealer({ chain: minerChain, store, backend: createReferenceBackend(), minerId: mines[0]!.minerId, log: quiet });
  await sealer.sealPending();
  for (const m of mines) m.good = await findAnswer(m);
}, { timeout: 120_000 });

after(async () => {
  mines[1]?.client.destroy();
  await tree?.close();
  await chain?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A nonce whose recalled seal meets the target, as a complete answer for `m` (the reference miner's search). */
async function findAnswer(m: Mine): Promise<PoraAnswer> {
  const wc = await m.client.computeWorkerContext(m.minerId);
  const range = chooseRange(wc.context.flowLength, UINT64_MAX, 0n);
  const bound = qualityBound(wc.poraTarget, targetScaleX64(range, wc.context.flowLength));
  const loads = new Set(store.completeLoads());
  for (let k = 0; k < 20_000; k++) {
    const nonce = prng.bytes(32);
    const padSeed = computePadSeed(m.minerId, nonce, wc.subtaskDigest, range);
    const { pad, recallSeed } = computeScratchPad(padSeed);
    const off = recallChunkOffset(range, recallSeed);
    if (!recallInBound(range, off) || !loads.has(off)) continue;
    const sealOffset = off === 0n ? prng.range(1, 63) : prng.int(64);
    const recallPosition = off * 1024n + BigInt(sealOffset * 16);
    const sealedData = m.sealed ? await store.readSealedSeal(off, sealOffset) : (await store.readRawLoad(off)).slice(sealOffset * 4096, sealOffset * 4096 + 4096);
    if (!meetsTarget(poraOutput(sealOffset, padSeed, mixSeal(sealedData, pad, sealOffset)), bound)) continue;
    return {
      contextDigest: wc.context.digest,
      nonce,
      minerId: m.minerId,
      range,
      recallPosition,
      sealOffset: BigInt(sealOffset),
      sealedContextDigest: store.contexts.get(`${off}:${sealOffset}`)!,
      sealedData,
      merkleProof: m.sealed ? await sealProof(store, tree, recallPosition / 16n, wc.context.flowLength) : [],
    };
  }
  throw new Error(`${m.name}: no answer meeting the target in 20000 nonces`);
}

// ---- the mutation catalog ------------------------------------------------------------------

type Mutation = [name: string, apply: (a: PoraAnswer, m: Mine) => PoraAnswer];
const EDGE256 = [0n, 1n, UINT64_MAX, 1n << 252n, UINT256_MAX];
const EDGE64 = [0n, 1n, 2n, UINT64_MAX, UINT64_MAX - 1n];
const ALIGNED_MAX = UINT256_MAX - (UINT256_MAX % (1n << 25n));
const EMPTY = fromHex(EMPTY_HASH_HEX, 32);
const word = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const withRange = (a: PoraAnswer, r: Partial<PoraAnswer['range']>): PoraAnswer => ({ ...a, range: { ...a.range, ...r } });
/** Arithmetic mutations wrap like uint256, so every mutated answer still ABI-encodes. */
const u256 = (x: bigint): bigint => ((x % (UINT256_MAX + 1n)) + UINT256_MAX + 1n) % (UINT256_MAX + 1n);

/** recallPosition as pora() expects it for the answer as it stands (when it fits in 256 bits). */
function realign(a: PoraAnswer, subtaskDigest: Uint8Array): PoraAnswer {
  if (a.range.mineLength / 1024n === 0n) return a;
  const { recallSeed } = computeScratchPad(computePadSeed(a.minerId, a.nonce, subtaskDigest, a.range));
  const p = a.range.startPosition + recallChunkOffset(a.range, recallSeed) * 1024n + a.sealOffset * 16n;
  return p <= UINT256_MAX ? { ...a, recallPosition: p } : a;
}

function catalog(subtaskDigest: Uint8Array): Mutation[] {
  const out: Mutation[] = [];
  const b32: [string, (a: PoraAnswer) => Uint8Array][] = [
    ['zero', () => new Uint8Array(32)],
    ['ones', () => word(0xff)],
    ['EMPTY_HASH', () => EMPTY],
    ['random', () => prng.bytes(32)],
    ['keccak(nonce)', (a) => keccak256(a.nonce)],
  ];
  for (const f of ['contextDigest', 'nonce', 'minerId', 'sealedContextDigest'] as const)
    for (const [n, v] of b32) out.push([`${f}=${n}`, (a) => ({ ...a, [f]: v(a) })]);
  out.push(['minerId=other registered id', (a, m) => ({ ...a, minerId: m.otherId })]);
  out.push(['minerId=the other mine\'s id', (a, m) => ({ ...a, minerId: mines.find((x) => x !== m)!.minerId })]);
  out.push(['sealedContextDigest=contextDigest', (a) => ({ ...a, sealedContextDigest: a.contextDigest })]);
  for (const v of [...EDGE256, ALIGNED_MAX, 1n << 25n, 1n << 64n]) out.push([`startPosition=${hex(v)}`, (a) => withRange(a, { startPosition: v })]);
  for (const v of [...EDGE256, 1024n, 2047n, 1n << 35n])
    out.push([`mineLength=${hex(v)}`, (a) => withRange(a, { mineLength: v })]);
  out.push(['mineLength±1024', (a) => withRange(a, { mineLength: u256(a.range.mineLength + (prng.int(2) === 0 ? 1024n : -1024n)) })]);
  for (const v of EDGE64) out.push([`shardId=${hex(v)}`, (a) => withRange(a, { shardId: v })]);
  for (const v of [...EDGE64, UINT64_MAX ^ 1n, UINT64_MAX ^ 63n, UINT64_MAX << 32n & UINT64_MAX])
    out.push([`shardMask=${hex(v)}`, (a) => withRange(a, { shardMask: v })]);
  // Shard mask/id pairs: valid pairs of 2..32 shards, ids past the loads (out of bound, and the "<=" edge), masked bits set.
  for (const [mask, id] of [[1n, 1n], [3n, 2n], [7n, 3n], [7n, 4n], [7n, 5n], [7n, 7n], [31n, 17n], [31n, 31n], [63n, 0n], [1n, 2n], [3n, 4n]] as const)
    out.push([`shards mask=~${mask} id=${id}`, (a) => withRange(a, { shardMask: UINT64_MAX ^ mask, shardId: id })]);
  for (const v of [...EDGE256, UINT256_MAX - 15n, UINT256_MAX - 16n, 4096n, 4080n])
    out.push([`recallPosition=${hex(v)}`, (a) => ({ ...a, recallPosition: v })]);
  for (const d of [16n, -16n, 1n, 1024n, -1024n]) out.push([`recallPosition${d > 0 ? '+' : ''}${d}`, (a) => ({ ...a, recallPosition: u256(a.recallPosition + d) })]);
  for (const v of [...EDGE256, 2n, 3n, 63n, 64n, 65n, 75n, 127n, (1n << 252n) - 1n, UINT256_MAX >> 4n])
    out.push([`sealOffset=${hex(v)}`, (a) => ({ ...a, sealOffset: v })]);
  out.push(['sealOffset+64', (a) => ({ ...a, sealOffset: u256(a.sealOffset + 64n) })]);
  out.push(['sealOffset+1', (a) => ({ ...a, sealOffset: u256(a.sealOffset + 1n) })]);
  out.push(['sealedData flip one byte', (a) => { const s = Uint8Array.from(a.sealedData); s[prng.int(4096)]! ^= 1 << prng.int(8); return { ...a, sealedData: s }; }]);
  out.push(['sealedData zero', (a) => ({ ...a, sealedData: new Uint8Array(4096) })]);
  out.push(['sealedData random', (a) => ({ ...a, sealedData: prng.bytes(4096) })]);
  out.push(['proof empty', (a) => ({ ...a, merkleProof: [] })]);
  out.push(['proof drop last', (a) => ({ ...a, merkleProof: a.merkleProof.slice(0, -1) })]);
  out.push(['proof drop first', (a) => ({ ...a, merkleProof: a.merkleProof.slice(1) })]);
  out.push(['proof extra zero word', (a) => ({ ...a, merkleProof: [...a.merkleProof, new Uint8Array(32)] })]);
  out.push(['proof extra random word', (a) => ({ ...a, merkleProof: [...a.merkleProof, prng.bytes(32)] })]);
  out.push(['proof reversed', (a) => ({ ...a, merkleProof: [...a.merkleProof].reverse() })]);
  out.push(['proof swap two', (a) => {
    const p = [...a.merkleProof];
    if (p.length >= 2) { const i = prng.int(p.length - 1); [p[i], p[i + 1]] = [p[i + 1]!, p[i]!]; }
    return { ...a, merkleProof: p };
  }]);
  out.push(['proof one word random', (a) => ({ ...a, merkleProof: a.merkleProof.map((w, i, all) => (i === all.length - 1 ? prng.bytes(32) : w)) })]);
  out.push(['proof of 64 words', (a) => ({ ...a, merkleProof: Array.from({ length: 64 }, () => prng.bytes(32)) })]);
  out.push(['realign recallPosition', (a) => realign(a, subtaskDigest)]);
  return out;
}

// ---- the sweep -----------------------------------------------------------------------------

test('mutation sweep: verifyAnswer gives the verdict and reason of a staticCall of the real submit()', { timeout: 180_000 }, async (t) => {
  const block0 = await chain.client.provider.getBlockNumber();
  const disagreements: string[] = [];
  const reasons = new Map<string, number>();
  let compared = 0;
  let live = 0;
  for (const m of mines) {
    const good = m.good!;
    const wc = await m.client.computeWorkerContext(m.minerId);
    const muts = catalog(wc.subtaskDigest);
    const cases: [string, PoraAnswer][] = [['unchanged', good]];
    for (const [name, f] of muts) cases.push([name, f(good, m)]);
    // Combinations of 2 or 3, half of them realigned so the recall checks see the other faults.
    for (let i = 0; i < COMBOS; i++) {
      const picks = Array.from({ length: prng.range(2, 3) }, () => muts[prng.int(muts.length)]!);
      if (prng.int(2) === 0) picks.push(muts[muts.length - 1]!);
      cases.push([picks.map((p) => p[0]).join(' + '), picks.reduce((a, [, f]) => f(a, m), good)]);
    }
    for (const [name, a] of cases) {
      const onChain = await m.client.staticSubmit(a);
      const verdict = verifyAnswer(a, await readVerifyView(m.client, a));
      const local = verdict.ok ? null : verdict.reason;
      compared++;
      const key = `${m.name}: ${onChain ?? 'valid'}`;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
      if (onChain !== null && LIVE_STATE.has(onChain)) {
        live++;
        continue;
      }
      if (local !== onChain) disagreements.push(`${m.name} [${name}]: verifier ${local ?? 'valid'}, chain ${onChain ?? 'valid'}`);
    }
  }
  assert.equal(await chain.client.provider.getBlockNumber(), block0, 'the sweep ran at one block');
  t.diagnostic(`${compared} answers, ${live} live-state verdicts, ${disagreements.length} disagreements`);
  for (const [k, n] of [...reasons].sort()) t.diagnostic(`${n} × ${k}`);
  assert.deepEqual(disagreements, []);
  assert.equal(live, 0, 'no answer met a live-state reason at this block');
  // The sweep reaches every stage of submit() on both mines.
  for (const r of [
    'PoraMine(0): valid',
    'PoraMine(0): Inconsistent merkle root',
    'PoraMine(0): Invalid sealed context digest',
    'PoraMine(0): Panic(0x11)',
    'PoraMine(3): valid',
    'PoraMine(3): Incorrect recall position',
    'PoraMine(3): Recall position out of bound',
    'PoraMine(3): Do not reach target quality',
    'PoraMine(3): Panic(0x11)',
    'PoraMine(3): Start position is not aligned',
    'PoraMine(3): Mining range overflow',
    'PoraMine(3): Mining range too short',
    'PoraMine(3): Masked bits should be zero',
    'PoraMine(3): Exceeding the allowed number of shards',
    'PoraMine(3): MinerId does not registered',
    'PoraMine(3): MinerId cannot be zero',
    'PoraMine(3): Inconsistent mining digest',
  ])
    assert.ok(reasons.has(r), `the sweep never reached "${r}"`);
});

test('the two overflow orders of issue 10, on the deployed code', { timeout: 60_000 }, async () => {
  for (const m of mines) {
    const good = m.good!;
    // Unaligned start whose start + mineLength overflows: the alignment require comes first.
    const a = withRange(good, { startPosition: 1n, mineLength: UINT256_MAX });
    assert.equal(await m.client.staticSubmit(a), 'Start position is not aligned');
    assert.equal(reasonOf(a, await readVerifyView(m.client, a)), 'Start position is not aligned');
    // Recalled load past the range (shard 5 of 8 over 4 loads) and sealOffset × 16 overflowing: the multiplication comes first.
    const b = { ...withRange(good, { shardMask: UINT64_MAX ^ 7n, shardId: 5n }), sealOffset: 1n << 252n };
    assert.equal(await m.client.staticSubmit(b), 'Panic(0x11)');
    assert.equal(reasonOf(b, await readVerifyView(m.client, b)), 'Panic(0x11)');
    const c = { ...b, sealOffset: good.sealOffset };
    assert.equal(await m.client.staticSubmit(c), 'Recall position out of bound');
    assert.equal(reasonOf(c, await readVerifyView(m.client, c)), 'Recall position out of bound');
  }
});

function reasonOf(a: PoraAnswer, view: Parameters<typeof verifyAnswer>[1]): string | null {
  const r = verifyAnswer(a, view);
  return r.ok ? null : r.reason;
}
