/**
 * `zg-miner bench sync [--loads N] [--json]`: a zg-miner zgs RPC peer in its own process
 * (benchSyncPeer.ts: N random loads in memory, served over loopback) and, in this process, a fresh
 * sealed store syncing them with the peer sync client: fetch (raw bytes, the zg-miner extension),
 * hash once (wasm), verify every load against the node the "events" know (one height-16 node per
 * 64 loads, so no load root is known in advance: the hard case), writeVerifiedLoads (group
 * commits, fdatasync'ed). Prints the verified MB/s beside the raw loopback rate of the same answers
 * fetched without hashing or storing, the MB per CPU-second of this (the syncing) process, and the
 * load average, because the machine may be shared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { MinerError } from '../../errors.js';
import { BYTES_PER_LOAD } from '../../spec.js';
import { hashLoadPooled } from '../../store/loadHash.js';
import { SealedStore } from '../../store/sealedStore.js';
import { TxIndex } from '../../sync/txIndex.js';
import { PeerPool } from '../../sync/peerPool.js';
import { LoadSync } from '../../sync/loadSync.js';
import { RpcClient } from '../../sync/rpcClient.js';
import { gitCommit } from '../../buildInfo.js';
import type { FlowSubmission } from '../../types.js';

interface BenchSyncArgs {
  loads: number;
  json: boolean;
}

/** Loads per submission node (height 16): the events know one node per 64 loads, no load root. */
export const BENCH_SYNC_GROUP = 64;
export const BENCH_SYNC_CHAIN = { chainId: 31337n, flowAddress: '0x' + '00'.repeat(20) };

/** What the peer process sends once it listens. */
export interface BenchSyncPeerReady {
  url: string;
  subs: FlowSubmission[];
}

/** Forks the serving peer and waits for its address and submissions. */
async function startPeer(loads: number): Promise<{ child: ChildProcess; ready: BenchSyncPeerReady }> {
  const child = fork(new URL('./benchSyncPeerMain.js', import.meta.url), [String(loads)], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ready = await new Promise<BenchSyncPeerReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as BenchSyncPeerReady));
    child.once('error', reject);
    child.once('exit', (code) => reject(new MinerError('BAD_INPUT', `bench sync: the serving peer exited (code ${code}) before it listened`)));
  });
  return { child, ready };
}

async function stopPeer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Loads per raw request: what LoadSync asks a zg-miner peer for at once. */
const RAW_RUN = 4;

const mb = (bytes: number, seconds: number): number => Math.round((bytes / 1e6 / seconds) * 10) / 10;

export async function benchSync(args: BenchSyncArgs): Promise<Record<string, unknown>> {
  const n = Math.ceil(args.loads / BENCH_SYNC_GROUP) * BENCH_SYNC_GROUP;
  const first = BigInt(BENCH_SYNC_GROUP);
  const { child, ready } = await startPeer(n);
  const dir = mkdtempSync(join(tmpdir(), 'zg-bench-sync-'));
  try {
    const subs = ready.subs;
    // Raw loopback: the same answers (runs of RAW_RUN loads as raw bytes, as the sync asks), only transferred.
    const client = new RpcClient(ready.url, { maxSockets: 4 });
    let rawBytes = 0;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (;;) {
          const i = next;
          next += RAW_RUN;
          if (i >= n) return;
          const count = Math.min(RAW_RUN, n - i);
          const answer = await client.callAnswer('zgs_getDataByNodeIndex', [first + BigInt(i), 'binary', count]);
          if (!answer.binary || answer.body.length !== count * BYTES_PER_LOAD) throw new MinerError('BAD_INPUT', `bench sync: loads ${first + BigInt(i)}+${count} did not come as raw bytes`);
          rawBytes += answer.body.length;
        }
      })
    );
    const rawSeconds = (performance.now() - t0) / 1000;
    client.close();
    // Verified sync into a fresh sealed store whose flow tree knows only the submissions.
    const txs = await TxIndex.open(null);
    await txs.add(subs);
    const store = await SealedStore.open(join(dir, 'store'), { minerId: new Uint8Array(32) });
    try {
      for (const s of subs) await store.flowTree.addSubmission(s);
      const log = { info: () => undefined, warn: (l: string) => process.stderr.write(`${l}\n`) };
      const pool = new PeerPool({ urls: [ready.url], expect: BENCH_SYNC_CHAIN, log });
      const sync = new LoadSync({ pool, tree: store.flowTree, store, txs, hashLoad: hashLoadPooled, holds: () => true, log });
      const load0 = loadavg();
      const cpu0 = process.cpuUsage();
      const t1 = performance.now();
      while (sync.status().storedLoads < n || sync.status().wantedLoads === 0) {
        const got = await sync.step();
        if (got === 0 && sync.status().storedLoads < n) throw new MinerError('BAD_INPUT', `bench sync: stalled at ${sync.status().storedLoads}/${n} loads: ${JSON.stringify(sync.status().rejected)}`);
      }
      const seconds = (performance.now() - t1) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const load1 = loadavg();
      pool.close();
      const bytes = n * BYTES_PER_LOAD;
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      return {
        bench: 'sync',
        loads: n,
        bytes,
        verifiedMBps: mb(bytes, seconds),
        rawLoopbackMBps: mb(rawBytes, rawSeconds),
        verifiedMBperCpuSecond: mb(bytes, cpuSeconds),
        syncCpuSeconds: Math.round(cpuSeconds * 1000) / 1000,
        seconds: Math.round(seconds * 1000) / 1000,
        loadAverage: { before: Math.round(load0[0]! * 100) / 100, after: Math.round(load1[0]! * 100) / 100 },
        verification: 'every load hashed and checked against the height-16 event node above it',
        encoding: 'raw bytes (zg-miner extension); nodes answer byte numbers',
        peer: 'a zg-miner RPC server in its own process over loopback',
        machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
        commit: gitCommit(),
      };
    } finally {
      await store.close();
    }
  } finally {
    await stopPeer(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchSyncCommand: CommandModule<object, BenchSyncArgs> = {
  command: 'sync',
  describe: 'Peer sync over loopback from a zg-miner RPC peer process into a fresh store: verified MB/s beside raw loopback MB/s',
  builder: (y) =>
    y
      .option('loads', { type: 'number', default: 1024, describe: 'loads of 256 KiB to sync (rounded up to a multiple of 64)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON line' }) as never,
  handler: async (args) => {
    if (!(Number.isInteger(args.loads) && args.loads >= 1 && args.loads <= 65536)) throw new MinerError('BAD_INPUT', `--loads: expected an integer in 1..65536, got ${args.loads}`);
    const r = await benchSync(args);
    if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `sync: ${r['verifiedMBps']} MB/s verified and stored (${r['loads']} loads in ${r['seconds']} s; ${r['verification']})\n` +
          `raw loopback: ${r['rawLoopbackMBps']} MB/s of load data (raw bytes)\n` +
          `syncing process: ${r['verifiedMBperCpuSecond']} MB per CPU-second (${r['syncCpuSeconds']} CPU-s); load average ${JSON.stringify(r['loadAverage'])}\n` +
          `machine: ${JSON.stringify(r['machine'])}, commit ${r['commit']}\n`
      );
  },
};
