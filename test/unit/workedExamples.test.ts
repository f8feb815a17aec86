/**
 * The worked examples of spec §10.1 (small values) and §10.2 (a full PoRA answer, every step
 * EVM-verified), asserted through the core modules and the offline verifier.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToBigInt, concatBytes, fromHex, toHex, u256be } from '../../src/bytes.js';
import { EMPTY_HASH_HEX, UINT256_MAX, UINT64_MAX } from '../../src/spec.js';
import type { PoraAnswer, RecallRange, VerifyView } from '../../src/types.js';
import { blake2b512, keccak256 } from '../../src/core/hash.js';
import { ZERO_HASHES } from '../../src/core/merkle.js';
import { checkRange, rangeDigest, recallChunkOffset, recallLoadStart, targetScaleX64 } from '../../src/core/recallRange.js';
import { computePadSeed, computeScratchPad } from '../../src/core/scratchpad.js';
import { mixSeal, poraOutput } from '../../src/core/pora.js';
import { seal, sealSeed, unseal } from '../../src/core/seal.js';
import { batchNonce } from '../../src/core/nonce.js';
import { FlowTree } from '../../src/core/flowTree.js';
import { fileMerkle } from '../../src/core/fileRoot.js';
import { verifyAnswer } from '../../src/verify/verifyAnswer.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const kec = (s: string): Uint8Array => keccak256(utf8(s));
const zeros = (n: number): Uint8Array => new Uint8Array(n);

test('§10.1 hash constants and ZERO_HASHES', () => {
  assert.equal(toHex(keccak256(zeros(0))), EMPTY_HASH_HEX);
  assert.equal(toHex(ZERO_HASHES[0]!), '0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5');
  assert.equal(toHex(keccak256(zeros(256))), toHex(ZERO_HASHES[0]!));
  assert.equal(toHex(ZERO_HASHES[1]!), '0xf73e6947d7d1628b9976a6e40d7b278a8a16405e96324a68df45b12a51b7cfde');
  assert.equal(toHex(ZERO_HASHES[4]!), '0x09c7082879180d28c789c05fafe7030871c76cedbe82c948b165d6a1d66ac15b');
  assert.equal(toHex(ZERO_HASHES[10]!), '0xe68d02859bb6211cec64f52368b77d422de3b8eac34bf615942b814b643301b5');
  assert.equal(toHex(ZERO_HASHES[63]!), '0xb48a92d40b61dc995ceecee4cded6415050dcece448b1e0b5e5b6a0e6981f3ef');
  assert.equal(ZERO_HASHES.length, 64);
  assert.equal(toHex(keccak256(zeros(64))), '0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5');
  assert.equal(
    toHex(blake2b512(zeros(0))),
    '0x786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce'
  );
});

test('§10.1 pad seed, scratch pad and quality from zeros', () => {
  assert.equal(
    toHex(blake2b512(zeros(128))),
    '0x865939e120e6805438478841afb739ae4250cf372653078a065cdcfffca4caf798e6d462b65d658fc165782640eded70963449ae1500fb0f24981d7727e22c41'
  );
  const { pad, recallSeed } = computeScratchPad(zeros(64));
  assert.equal(
    toHex(pad.subarray(0, 64)),
    '0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb597c92adf8a3a4d220916a89b87a4e05eb2114733ecdcebc33348042b58dc1c3d'
  );
  assert.equal(toHex(recallSeed), '0x8c6522fa40f4a05714722a7cd425d85af48699c7fe6ee52ec4ae61dcd367cdf1');
  assert.equal(toHex(poraOutput(0, zeros(64), zeros(4096))), '0xd4b7a760b6dbeabef31e8f7974438de98b12d585bf88e5b546fdf9c5e53bcaf9');
  assert.equal(toHex(poraOutput(5n, zeros(64), zeros(4096))), '0x0bcccf93b7fbc56dda731868237f10d35cd56e3459a01e0cbd2038eb221a70ba');
});

test('§10.1 sealing zeros with minerId 0 and context 0', () => {
  assert.equal(toHex(sealSeed(zeros(32), zeros(32), 0n)), '0x46700b4d40ac5c35af2c22dda2787a91eb567b06c924a8fb8ae9a05b20c08c21');
  const sealed = seal(zeros(4096), zeros(32), zeros(32), 0n);
  assert.equal(
    toHex(sealed.subarray(0, 64)),
    '0x46700b4d40ac5c35af2c22dda2787a91eb567b06c924a8fb8ae9a05b20c08c21d5fd4d0eb2494be14301a4f3632965d5b5bff462c958f980f91470070fd13f52'
  );
  assert.equal(toHex(keccak256(sealed)), '0xbd7c326ebfdf56cb3a9f668c228859757fae4a890e9937bfe03ad9b98051b2fb');
  assert.equal(toHex(seal(zeros(4096), zeros(32), zeros(32), 16n).subarray(0, 32)), '0x5c7f4391210f5a9e4fde6b49757762c767ae858a5551e3aff6c0478b1cbb288a');
  assert.deepEqual(unseal(sealed, zeros(32), zeros(32), 0n), zeros(4096));
});

test('§10.1 miner id, context digest, file roots and batch nonces', () => {
  // minerId = keccak256(blockHash(n-1) ‖ sender (20 bytes) ‖ u64be(seed)) — 60-byte preimage.
  const parent = kec('parentblock');
  assert.equal(toHex(parent), '0x5675b97a511c3a15a880e55e0446895e7c5fe57fa9de32377f3379f969316c15');
  const minerId = keccak256(concatBytes(parent, fromHex('0x000000000000000000000000000000000000dead'), zeros(8)));
  assert.equal(toHex(minerId), '0x4af2b174f640983c2355bf90fde96d59eb7c6df809d4415cd2d6658ab4e4edc8');
  // digest = keccak256(blockDigest ‖ flowRoot ‖ u256be(flowLength)).
  const digest = keccak256(concatBytes(kec('block'), kec('root'), u256be(4096n)));
  assert.equal(toHex(digest), '0x7d44d3f7749248b678a9ad306488d0f87888e69f80402b460b2823261d534cda');
  assert.equal(toHex(fileMerkle(zeros(6 * 256)).dataRoot), '0x567c47a879794dd489a210dec17d31cc5919bc427d138d716a8107e025e2dbcb');
  assert.equal(toHex(fileMerkle(zeros(7 * 256)).dataRoot), '0x294253ab31cbf90dbbbef755a75ff1601da790e35c365f530e7c1a1ca904dcf8');
  const nonce = kec('nonce');
  assert.ok(toHex(nonce).startsWith('0x7ab15774'));
  assert.equal(toHex(batchNonce(nonce, 0n)), toHex(nonce));
  assert.ok(toHex(batchNonce(nonce, 1n)).startsWith('0x7bb15774'));
  assert.ok(toHex(batchNonce(nonce, 258n)).startsWith('0x78b05774'));
  assert.equal(toHex(batchNonce(nonce, 258n)).slice(10), toHex(nonce).slice(10));
});

// §10.2 inputs.
const minerId = kec('minerId');
const nonce = kec('nonce');
const contextDigest = kec('context');
const subtaskDigest = keccak256(concatBytes(contextDigest, kec('block')));
const sealedContextDigest = kec('sealContext');
const range: RecallRange = { startPosition: 0n, mineLength: 4096n, shardId: 0n, shardMask: UINT64_MAX };

/** Sector p (1 ≤ p < 4096) = 256 bytes of 0x5a except byte0 = p & 0xff, byte1 = (p >> 8) & 0xff. */
function exampleFlow(): Uint8Array {
  const data = new Uint8Array(4096 * 256).fill(0x5a);
  for (let p = 0; p < 4096; p++) {
    data[p * 256] = p & 0xff;
    data[p * 256 + 1] = (p >> 8) & 0xff;
  }
  return data;
}

test('§10.2 inputs and PoRA steps', () => {
  assert.equal(toHex(minerId), '0x5517d62e8aa9dc6224bace9cc2c47a56e0d15088a7db9d8fc396cae33d1b4cc9');
  assert.equal(toHex(nonce), '0x7ab1577440dd7bedf920cb6de2f9fc6bf7ba98c78c85a3fa1f8311aac95e1759');
  assert.equal(toHex(contextDigest), '0x64f9bfc6c8a8e72c83c941852776725a3442096beffe8cb17d26cd9ee0b1a0c7');
  assert.equal(toHex(kec('block')), '0x20b53acf0daefc8c6ad68c861fb3b543ca541abd101abc1edfcbf6606b838ef4');
  assert.equal(toHex(subtaskDigest), '0xff925f433105bad3d7eeef6be752ad2bb3b331eb7efbd3e2e9cd9ab3d326a586');
  assert.equal(toHex(rangeDigest(range)), '0x90e15e0831b8ea814f65621a6c35839ec6bc4ac81215e453b4de1d8a3711c7d1');
  const padSeed = computePadSeed(minerId, nonce, subtaskDigest, range);
  assert.equal(
    toHex(padSeed),
    '0x2cff5f19102ecb749097a999a9458428f901e201eba16f7af4268cdac00c0e20a4de4274832703ad10d91745a3a3825c751a15bb50a8c1c9a56f13dd3c43a512'
  );
  const { pad, padDigest, recallSeed } = computeScratchPad(padSeed);
  assert.equal(
    toHex(pad.subarray(0, 64)),
    '0x7f73c30ddb0aabfdc6ce7a93cd5238d0003cb927e85d5ad02df443b7120b04731520b5a22e5e6578a1d6308e8334951aa4f86cb06105b60db5a7f5ffb7e5a3c5'
  );
  assert.equal(
    toHex(pad.subarray(64, 128)),
    '0xeb8b7e6f408b31ec6331952787a6af034e47c8819543925f2a7559c7ed3c48b93094d7fcb1cdc19f09035b06b8c219551084d595c37480cd871bdac8965e6f8a'
  );
  const cell255 =
    '0x202864baabd8ea1d1956260ec250533d4352b80abf81b79123eceb2c8a0dff20e22eed65dabee0ede869bd717ac0bce378988fffba55f54a763b956439e92e17';
  assert.equal(toHex(pad.subarray(255 * 64)), cell255);
  assert.equal(toHex(padDigest), cell255);
  assert.equal(toHex(keccak256(pad)), '0x8613856163c2f8f15a2d1abb6e8378707e5da55ca3d6dd662da3f75464c7cffe');
  assert.equal(toHex(recallSeed), '0xaf6a7dc20638289f1c79f1a5c7b4c8eb69ad9489aa91eb8e46cff1a748c7cb01');
  assert.equal(recallLoadStart(range, recallChunkOffset(range, recallSeed)), 1024n);

  const flow = exampleFlow();
  const unsealed = flow.subarray(1200 * 256, 1200 * 256 + 4096);
  assert.equal(toHex(unsealed.subarray(0, 64)), '0xb004' + '5a'.repeat(62));
  assert.equal(toHex(sealedContextDigest), '0x461cd69a7c368ec82b7227d8ba22b53d6b4bb3068409f041db569d4a926a32fa');
  assert.equal(toHex(sealSeed(minerId, sealedContextDigest, 1200n)), '0x1524896a5afa9e85769dcf84d250527acba2820be2a6be339557ae7e7bd17e16');
  const sealed = seal(unsealed, minerId, sealedContextDigest, 1200n);
  assert.equal(
    toHex(sealed.subarray(0, 64)),
    '0xa520d33000a0c4df2cc795de880a082091f8d851b8fce469cf0df424218b244cddac4320248831a3fed95528b389c0de338e97f6f463bd33d348425b10d10ec3'
  );
  assert.equal(toHex(keccak256(sealed)), '0x99742a156f0f52151f8ec709250ca422cf0d25eb957104fe442887c19ce66556');
  const mixed = mixSeal(sealed, pad, 11n);
  assert.equal(
    toHex(mixed.subarray(0, 64)),
    '0x69c3d90683018035fc3f9caa86aeafe9be157934e728f3212b0aa3a45ad40f700e4520375db392aa697c545199fddf73964d2c7ae9239a7f2bd6ac66d5496c47'
  );
  assert.equal(toHex(poraOutput(11n, padSeed, mixed)), '0xba13fdaa9e9872c9052658fcd95676c150d7708cba5105e3b90043a87d78b58b');
  assert.equal(targetScaleX64(range, 4096n), 1n << 64n);
});

test('§10.2 full answer: verifyAnswer accepts it with the flow tree proof, and the target boundary is exact', () => {
  const flow = exampleFlow();
  const tree = new FlowTree();
  tree.appendSectors(flow.subarray(256));
  const flowRoot = tree.root();
  assert.equal(toHex(flowRoot), '0x9b80e9da73558970ef6320a63b09e7fab4ba9569459dcad2777fe108707e631e');
  const answer: PoraAnswer = {
    contextDigest,
    nonce,
    minerId,
    range,
    recallPosition: 1200n,
    sealOffset: 11n,
    sealedContextDigest,
    sealedData: seal(flow.subarray(1200 * 256, 1200 * 256 + 4096), minerId, sealedContextDigest, 1200n),
    merkleProof: tree.proofForSeal(75),
  };
  const quality = fromHex('0xba13fdaa9e9872c9052658fcd95676c150d7708cba5105e3b90043a87d78b58b');
  const q = bytesToBigInt(quality);
  const view = (poraTarget: bigint): VerifyView => ({
    context: { digest: contextDigest, flowRoot, flowLength: 4096n },
    poraTarget,
    subtaskDigest,
    maxShards: 1n,
    sealDataEnabled: true,
    dataProofEnabled: true,
    sealedContextRange: { start: 0n, end: 4096n },
  });
  const ok = verifyAnswer(answer, view(UINT256_MAX));
  assert.ok(ok.ok, ok.ok ? '' : ok.reason);
  assert.equal(toHex(ok.quality), toHex(quality));
  assert.ok(verifyAnswer(answer, view(((q >> 64n) + 1n) << 64n)).ok);
  const low = verifyAnswer(answer, view(((q >> 64n) << 64n) - 1n));
  assert.equal(low.ok ? '' : low.reason, 'Do not reach target quality');
  // A proof against the wrong root fails the data proof.
  const wrong = verifyAnswer({ ...answer, merkleProof: tree.proofForSeal(74) }, view(UINT256_MAX));
  assert.equal(wrong.ok ? '' : wrong.reason, 'Inconsistent merkle root');
});

test('§10.2 sharded variants and RecallRange.check reverts', () => {
  const sharded: RecallRange = { startPosition: 0n, mineLength: 4096n, shardId: 1n, shardMask: UINT64_MAX - 1n };
  assert.equal(toHex(rangeDigest(sharded)), '0xef2e6fe809a56978e3b0c3675e863599de4ec019e439939c703e2f19b8450261');
  const padSeed = computePadSeed(minerId, nonce, subtaskDigest, sharded);
  assert.equal(
    toHex(padSeed),
    '0xb43148bebba7b0be12da7db4a2981ae5f79c87f10ef59643fc71f0afa628a413032570755177cf19beb1c4639e34b3f46f49a21ca504961f0e6c3fa938f69036'
  );
  const { recallSeed } = computeScratchPad(padSeed);
  assert.equal(toHex(recallSeed), '0xcce3821658eee0408cc58dc548c4c53b619eb1acb8c51acca5bf50337d9a5ba5');
  assert.equal(recallLoadStart(sharded, recallChunkOffset(sharded, recallSeed)), 1024n);
  assert.equal(targetScaleX64(sharded, 4096n), 1n << 65n);
  assert.equal(targetScaleX64({ shardMask: UINT64_MAX - 3n }, 85899345920n), 29514790517935282585n);

  const full = UINT64_MAX;
  assert.equal(checkRange({ startPosition: 1n, mineLength: 1024n, shardId: 0n, shardMask: full }, 4096n), 'Start position is not aligned');
  assert.equal(checkRange({ startPosition: 0n, mineLength: 8192n, shardId: 0n, shardMask: full }, 4096n), 'Mining range overflow');
  assert.equal(checkRange({ startPosition: 0n, mineLength: 2048n, shardId: 0n, shardMask: full }, 4096n), 'Mining range too short');
  assert.equal(checkRange({ startPosition: 0n, mineLength: 4096n, shardId: 1n, shardMask: full }, 4096n), 'Masked bits should be zero');
  assert.equal(checkRange(range, 4096n), null);
});
