/**
 * Transactions of one account never collide (issue 9 item 5): concurrent sends through one
 * ChainClient take consecutive nonces from its NonceSequence (each used to ask the node for the
 * pending count on its own, and all but one failed with a nonce error), and a send with no
 * receipt in time is replaced by the same nonce at a higher price, one of them mined.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestChain, type TestChain } from '../helpers/chain.js';
import { ChainClient } from '../../src/chain/chainClient.js';
import { submitAnswer } from '../../src/chain/submitter.js';
import { toHex } from '../../src/bytes.js';

let chain: TestChain;
const clients: ChainClient[] = [];

before(async () => {
  chain = await startTestChain();
}, { timeout: 120_000 });

after(async () => {
  for (const c of clients) c.destroy();
  await chain?.stop();
});

/** Transactions of `address` mined so far (raw RPC: ethers caches identical calls for 250 ms). */
async function mined(c: ChainClient, address: string): Promise<number> {
  return Number(await c.provider.send('eth_getTransactionCount', [address, 'latest']));
}

/** A client signing with anvil account `k` (a key of the test's own, so counts are its alone). */
function clientFor(k: number): ChainClient {
  const d = chain.deployment;
  const c = new ChainClient({ rpcUrl: chain.anvil.rpcUrl, mineAddress: d.mine, flowAddress: d.flow, minerKey: chain.anvil.keys[k]!, pollingMs: 50 });
  clients.push(c);
  return c;
}

test('concurrent transactions of one key take consecutive nonces: none fails with a nonce error', { timeout: 120_000 }, async () => {
  const client = clientFor(1);
  const address = client.signerAddress!;
  const before = await mined(client, address);
  const n = 6;
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => client.requestMinerId(BigInt(1000 + i))));
  const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason?.message));
  assert.deepEqual(failed, [], 'a send failed');
  const ids = results.map((r) => toHex((r as PromiseFulfilledResult<Uint8Array>).value));
  assert.equal(new Set(ids).size, n, 'each registration got its own id');
  assert.equal(await mined(client, address), before + n);
  // Answers submitted together share the sequence too: these are refused by the staticCall
  // before any send, and leave the sequence usable.
  const bogus = { contextDigest: new Uint8Array(32), nonce: new Uint8Array(32), minerId: new Uint8Array(32), range: { startPosition: 0n, mineLength: 1024n, shardId: 0n, shardMask: (1n << 64n) - 1n }, recallPosition: 16n, sealOffset: 1n, sealedContextDigest: new Uint8Array(32), sealedData: new Uint8Array(4096), merkleProof: [] };
  const outcomes = await Promise.all([submitAnswer(client, bogus), client.requestMinerId(2000n).then(() => null)]);
  assert.equal(outcomes[0]!.result, 'reverted');
  assert.equal(await mined(client, address), before + n + 1);
});

test('a send with no receipt in time is replaced at a higher price with the same nonce; one of them is mined', { timeout: 120_000 }, async () => {
  const client = clientFor(2);
  const address = client.signerAddress!;
  const before = await mined(client, address);
  await client.provider.send('evm_setAutomine', [false]);
  const bumps: bigint[] = [];
  try {
    const pending = client.requestMinerId(3000n, { gasIncreaseFactor: 20, maxRetries: 5, intervalSecs: 0, receiptTimeoutMs: 1000, onBump: (p) => bumps.push(p) });
    // Let the first send time out and be replaced, then mine.
    const t0 = Date.now();
    while (bumps.length === 0 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    await client.provider.send('evm_mine', []);
    const id = await pending;
    assert.equal(id.length, 32);
  } finally {
    await client.provider.send('evm_setAutomine', [true]);
  }
  assert.ok(bumps.length >= 1, 'no replacement was sent');
  assert.equal(await mined(client, address), before + 1, 'exactly one transaction of the nonce was mined');
});
