/**
 * `zg-miner bench sync`'s serving peer as its own process (forked with an IPC channel): a real
 * peer is another process (another machine), so the syncing process's event loop and CPU time are
 * its own, and the bench reads its CPU time without the server's.
 *
 * Protocol: forked with argv [loads]; sends one message `{ url, subs }` when listening (advanced
 * serialization: bigints and byte arrays), and exits when the parent disconnects.
 */
import { startRandomPeer } from './benchSyncPeer.js';
import type { BenchSyncPeerReady } from './benchSync.js';

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('fork me with an IPC channel');
  const peer = await startRandomPeer(Number(process.argv[2]));
  process.once('disconnect', () => void peer.close().finally(() => process.exit(0)));
  const ready: BenchSyncPeerReady = { url: peer.url, subs: peer.subs };
  send(ready);
}

main().catch((e: unknown) => {
  process.stderr.write(`zg-miner: bench sync peer: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
