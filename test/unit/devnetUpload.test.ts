/**
 * A devnet upload whose receipt never comes (seen: `devnet --files 400` froze at upload 35/400 and
 * 277/400 with the transaction mined and ethers' wait() pending forever) must not freeze the setup:
 * it is logged, the chain is asked whether it landed, and it is sent again only if it did not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uploadWithRetry, UPLOAD_TRIES } from '../../src/devnet/devnet.js';
import { isMinerError } from '../../src/errors.js';
import type { FlowSubmission } from '../../src/types.js';

const nodes = { length: 262144n, nodes: [{ root: new Uint8Array(32).fill(7), height: 10 }] };
const landed: FlowSubmission = { txSeq: 35n, startPos: 36864n, lengthSectors: 1024n, sizeBytes: 262144n, nodes: nodes.nodes, blockNumber: 52 };
const hang = (): Promise<FlowSubmission> => new Promise(() => {});

function fakeDev(uploads: (() => Promise<FlowSubmission>)[], found: FlowSubmission | null) {
  const calls = { upload: 0, find: 0, resync: 0 };
  return {
    calls,
    dev: {
      upload: () => uploads[calls.upload++]!(),
      findSubmission: async () => (calls.find++, found),
      resyncNonce: () => void calls.resync++,
    },
  };
}

test('devnet upload: a receipt that never comes is logged and the landed upload is found on chain (not paid twice)', async () => {
  const warns: string[] = [];
  const { dev, calls } = fakeDev([hang], landed);
  const got = await uploadWithRetry(dev, nodes, { fromBlock: 0, timeoutMs: 30, what: 'sample file 36/400', warn: (l) => warns.push(l) });
  assert.equal(got, landed);
  assert.deepEqual(calls, { upload: 1, find: 1, resync: 0 });
  assert.deepEqual(warns, ['devnet: uploading sample file 36/400: no answer in 30 ms; it landed (tx 35)']);
});

test('devnet upload: one that did not land is sent again (with the nonce read from the chain)', async () => {
  const warns: string[] = [];
  const { dev, calls } = fakeDev([hang, async () => landed], null);
  const got = await uploadWithRetry(dev, nodes, { fromBlock: 0, timeoutMs: 30, what: 'f', warn: (l) => warns.push(l) });
  assert.equal(got, landed);
  assert.deepEqual(calls, { upload: 2, find: 1, resync: 1 });
  assert.match(warns[0]!, /it did not land; sending it again \(try 2\/3\)$/);
});

test('devnet upload: after UPLOAD_TRIES late tries it fails with one line (TIMEOUT) instead of hanging', async () => {
  const { dev, calls } = fakeDev(Array.from({ length: UPLOAD_TRIES }, () => hang), null);
  const err = await uploadWithRetry(dev, nodes, { fromBlock: 0, timeoutMs: 20, what: 'f', warn: () => {} }).catch((e: unknown) => e);
  assert.ok(isMinerError(err, 'TIMEOUT'), String(err));
  assert.equal(calls.upload, UPLOAD_TRIES);
});
