import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromHex, toHex } from '../../src/bytes.js';
import { UINT64_MAX } from '../../src/spec.js';
import { recallChunkOffset, recallInBound } from '../../src/core/recallRange.js';
import { seal } from '../../src/core/seal.js';
import { createReferenceBackend } from '../../src/backend/referenceBackend.js';
import type { PoraInput, SealInput } from '../../src/backend/backend.js';
import { createGpuBackend, type GpuBackend } from '../../src/gpu/gpuBackend.js';
import { gpuGate, loadVectors, seededBigInt, seededBytes } from '../helpers/gpu.js';

const gate = await gpuGate();

interface PoraCase {
  minerId: string;
  nonce: string;
  subtaskDigest: string;
  range: { startPosition: string; mineLength: string; shardId: string; shardMask: string };
  sealOffset: string;
  sealedData: string;
  recallPosition: string;
  kind?: string;
  expected: { padSeed?: string; padDigest?: string; recallSeed?: string; poraOutput?: string; recallChunkPosition?: string; revert?: string };
}

function toInput(c: PoraCase): PoraInput {
  return {
    minerId: fromHex(c.minerId, 32),
    nonce: fromHex(c.nonce, 32),
    subtaskDigest: fromHex(c.subtaskDigest, 32),
    range: {
      startPosition: BigInt(c.range.startPosition),
      mineLength: BigInt(c.range.mineLength),
      shardId: BigInt(c.range.shardId),
      shardMask: BigInt(c.range.shardMask),
    },
    sealOffset: BigInt(c.sealOffset),
    sealedData: fromHex(c.sealedData, 4096),
  };
}

describe('GPU evaluate / seal kernels vs vectors and core/', { skip: gate.skip }, () => {
  let gpu: GpuBackend;
  const ref = createReferenceBackend();
  before(async () => {
    gpu = await createGpuBackend({ batch: 64 });
  });
  after(async () => {
    await gpu.dispose();
  });

  for (const file of ['pora-public.json', 'pora-edge-public.json']) {
    test(`every case of ${file} through the evaluate kernel`, async () => {
      const { cases } = loadVectors<PoraCase>(file);
      const inputs = cases.map(toInput);
      const got = await gpu.evaluateDetailed(inputs);
      const want = await ref.evaluate(inputs);
      cases.forEach((c, i) => {
        const g = got[i]!;
        const name = `${file}#${i}`;
        // Every value the GPU computes equals core/ (revert cases included: the host decides the reason).
        for (const f of ['padSeed', 'padDigest', 'recallSeed', 'quality'] as const) assert.equal(toHex(g[f]), toHex(want[i]![f]), `${name} ${f}`);
        const e = c.expected;
        if (e.padSeed) assert.equal(toHex(g.padSeed), e.padSeed, `${name} padSeed`);
        if (e.padDigest) assert.equal(toHex(g.padDigest), e.padDigest, `${name} padDigest`);
        if (e.recallSeed) assert.equal(toHex(g.recallSeed), e.recallSeed, `${name} recallSeed`);
        if (e.poraOutput) assert.equal(toHex(g.quality), e.poraOutput, `${name} poraOutput`);
        const r = inputs[i]!.range;
        if (r.mineLength / 1024n === 0n) {
          assert.equal(g.chunkOffset, null, `${name}: never a recall when mineLength / 1024 is 0`);
        } else {
          const co = recallChunkOffset(r, want[i]!.recallSeed);
          assert.equal(g.chunkOffset, co, `${name} chunkOffset`);
          assert.equal(g.inBound, recallInBound(r, co), `${name} inBound`);
          if (e.recallChunkPosition) assert.equal(r.startPosition + co * 1024n, BigInt(e.recallChunkPosition), `${name} recallChunkPosition`);
        }
      });
    });
  }

  test('seeded random inputs: zero / 0xff data, sealOffset 0/3/4/63, starts above 2^53, 1/2/8/32 shards', async () => {
    const inputs: PoraInput[] = [];
    let k = 0;
    for (const shards of [1n, 2n, 8n, 32n])
      for (const so of [0n, 3n, 4n, 63n]) {
        const data = k % 3 === 0 ? new Uint8Array(4096) : k % 3 === 1 ? new Uint8Array(4096).fill(0xff) : seededBytes(70 + k, 4096);
        const mask = ~(shards - 1n) & UINT64_MAX;
        inputs.push({
          minerId: seededBytes(k * 4 + 1, 32),
          nonce: seededBytes(k * 4 + 2, 32),
          subtaskDigest: seededBytes(k * 4 + 3, 32),
          range: {
            startPosition: ((1n << 53n) + seededBigInt(k, 9)) << 25n,
            mineLength: (1n + seededBigInt(100 + k, 30)) * 1024n + BigInt(k),
            shardId: seededBigInt(200 + k, 8) % shards,
            shardMask: mask,
          },
          sealOffset: so,
          sealedData: data,
        });
        k++;
      }
    const got = await gpu.evaluateDetailed(inputs);
    const want = await ref.evaluate(inputs);
    inputs.forEach((x, i) => {
      for (const f of ['padSeed', 'padDigest', 'recallSeed', 'quality'] as const) assert.equal(toHex(got[i]![f]), toHex(want[i]![f]), `case ${i} ${f}`);
      assert.equal(got[i]!.chunkOffset, recallChunkOffset(x.range, want[i]!.recallSeed), `case ${i} chunkOffset`);
    });
  });

  test('seal and unseal vs core/ (seeded data, zero data, start sectors 0, > 2^53, 2^64 - 16)', async () => {
    const inputs: SealInput[] = [0n, 16n, (1n << 53n) * 16n + 48n, (1n << 64n) - 16n, 1n << 70n].map((s, k) => ({
      minerId: seededBytes(300 + k, 32),
      sealContextDigest: k === 2 ? new Uint8Array(32) : seededBytes(400 + k, 32),
      startSector: s,
      data: k === 1 ? new Uint8Array(4096) : seededBytes(500 + k, 4096),
    }));
    const sealed = await gpu.seal(inputs, 'seal');
    inputs.forEach((x, i) => assert.equal(toHex(sealed[i]!), toHex(seal(x.data, x.minerId, x.sealContextDigest, x.startSector)), `seal ${i}`));
    const back = await gpu.seal(inputs.map((x, i) => ({ ...x, data: sealed[i]! })), 'unseal');
    inputs.forEach((x, i) => assert.equal(toHex(back[i]!), toHex(x.data), `unseal ${i}`));
  });

  test('every case of unseal-public.json through the seal kernel', async () => {
    const { cases } = loadVectors<{ minerId: string; sealedContextDigest: string; recallPosition: string; sealedData: string; expected: { unsealedData: string } }>(
      'unseal-public.json'
    );
    const out = await gpu.seal(
      cases.map((c) => ({
        minerId: fromHex(c.minerId, 32),
        sealContextDigest: fromHex(c.sealedContextDigest, 32),
        startSector: BigInt(c.recallPosition),
        data: fromHex(c.sealedData, 4096),
      })),
      'unseal'
    );
    cases.forEach((c, i) => assert.equal(toHex(out[i]!), c.expected.unsealedData, `unseal-public.json#${i}`));
  });
});
