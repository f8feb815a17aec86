/**
 * A syncing miner as its own process, for the kill -9 test: opens the sealed store at argv[2],
 * applies the Submit events of argv[4] (a JSON file; idempotent on restart, as the follower's are)
 * and syncs every load from the peer at argv[3] with the production LoadSync and SealedStore.
 * Prints `synced` for each load it stored (after its group commit) and `done N` when all N are in.
 */
import { readFileSync } from 'node:fs';
import { SealedStore } from '../../src/store/sealedStore.js';
import { hashLoadPooled } from '../../src/store/loadHash.js';
import { TxIndex } from '../../src/sync/txIndex.js';
import { PeerPool } from '../../src/sync/peerPool.js';
import { LoadSync } from '../../src/sync/loadSync.js';
import { subsFromJson } from './syncFixtures.js';

async function main(): Promise<void> {
  const [dir, url, subsFile] = process.argv.slice(2);
  const subs = subsFromJson(readFileSync(subsFile!, 'utf8'));
  const store = await SealedStore.open(dir!, { minerId: new Uint8Array(32) });
  for (const s of subs) await store.flowTree.addSubmission(s);
  const txs = await TxIndex.open(null);
  await txs.add(subs);
  const log = { info: () => undefined, warn: (l: string) => process.stderr.write(`${l}\n`) };
  const pool = new PeerPool({ urls: [url!], expect: { chainId: 31337n, flowAddress: '0x' + '00'.repeat(20) }, log });
  const metrics = { recordSyncedLoad: () => void process.stdout.write('synced\n'), recordSyncRejected: () => undefined, setSyncPeers: () => undefined };
  const sync = new LoadSync({ pool, tree: store.flowTree, store, txs, hashLoad: hashLoadPooled, holds: () => true, log, metrics });
  while (sync.status().wantedLoads === 0 || sync.status().storedLoads < sync.status().wantedLoads) await sync.step();
  process.stdout.write(`done ${sync.status().storedLoads}/${sync.status().wantedLoads}\n`);
  pool.close();
  await store.close();
}

// `npm test` loads every file under dist/test/: without the child's arguments this does nothing.
if (process.argv.length >= 5) {
  main().catch((e: unknown) => {
    process.stderr.write(`syncChild: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
