/**
 * A local anvil with the real 0G contracts (market-enabled set, PoraMine settings 0) for the
 * e2e tests, plus small helpers to upload data and move epochs.
 */
import { resolve, dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startAnvil, type AnvilNode } from '../../src/devnet/anvil.js';
import { loadContracts, defaultContractsPath } from '../../src/chain/contracts.js';
import type { Deployment, MineParams } from '../../src/chain/deploy.js';
import { deployDevChain, type DevChain } from '../../src/chain/devChain.js';
import { ChainClient } from '../../src/chain/chainClient.js';
import { mineBlocks, mineTo } from '../../src/chain/blocks.js';
import { nodeRootsFor } from '../../src/miner/dataSource.js';
import type { FlowSubmission } from '../../src/types.js';

/** Repo root from dist/test/helpers/chain.js (or test/helpers/chain.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Window 40 of 100 blocks, one subtask: the miner's window opens right after each epoch start. */
export const TEST_MINE_PARAMS: MineParams = {
  difficulty: 300n,
  targetMineBlocks: 40n,
  targetSubmissions: 10n,
  maxShards: 32n,
  nSubtasks: 1n,
  subtaskInterval: 40n,
};

export interface TestChain {
  anvil: AnvilNode;
  deployment: Deployment;
  dev: DevChain;
  /** Miner key (anvil account 1). */
  minerKey: string;
  client: ChainClient;
  /** Uploads a whole-load (256 KiB) file as one height-10 node. */
  uploadLoad(data: Uint8Array): Promise<FlowSubmission>;
  stop(): Promise<void>;
}

export async function startTestChain(opts: { mineParams?: MineParams; blocksPerEpoch?: bigint } = {}): Promise<TestChain> {
  const anvil = await startAnvil();
  try {
    const set = loadContracts(defaultContractsPath(REPO_ROOT));
    const dev = await deployDevChain(anvil.rpcUrl, anvil.keys[0]!, set, {
      mineParams: opts.mineParams ?? TEST_MINE_PARAMS,
      blocksPerEpoch: opts.blocksPerEpoch ?? 100n,
    });
    const minerKey = anvil.keys[1]!;
    const deployment = dev.deployment;
    const client = new ChainClient({ rpcUrl: anvil.rpcUrl, mineAddress: deployment.mine, flowAddress: deployment.flow, minerKey, pollingMs: 100 });
    return {
      anvil,
      deployment,
      dev,
      minerKey,
      client,
      uploadLoad: (data) => dev.upload({ length: BigInt(data.length), nodes: [{ root: nodeRootsFor(data, [10])[0]!, height: 10 }] }),
      async stop() {
        client.destroy();
        dev.destroy();
        await anvil.stop();
      },
    };
  } catch (e) {
    await anvil.stop();
    throw e;
  }
}

/** Mines to the start of the next epoch and materialises it with makeContext(). */
export async function advanceEpoch(chain: TestChain): Promise<void> {
  await chain.dev.advanceEpoch();
}

/** A node-style config.toml for `zg-miner mine` against `chain`. */
export function writeMinerConfig(file: string, chain: TestChain, dataDir: string): void {
  const d = chain.deployment;
  writeFileSync(
    file,
    [
      `blockchain_rpc_endpoint = "${chain.anvil.rpcUrl}"`,
      `log_contract_address = "${d.flow}"`,
      `mine_contract_address = "${d.mine}"`,
      `reward_contract_address = "${d.reward}"`,
      `miner_key = "${chain.minerKey}"`,
      `mine_context_query_seconds = 1`,
      `mine_iter_batch_size = 32`,
      `data_dir = "${dataDir}"`,
      '',
      '[submission_config]',
      'max_retries = 3',
      '',
    ].join('\n')
  );
}

export { mineBlocks, mineTo };

// ---------------------------------------------------------------------------------------------
// A test-only in-memory store with the SealedStore API subset the miner uses (miner/ports.ts).
// It lets the e2e tests of the chain/miner code run without the on-disk store.
import type { FlowTreePort, LoadRootsView, MinerStore } from '../../src/miner/ports.js';
import type { LoadSource } from '../../src/backend/backend.js';
import { completeRoot as _completeRoot, sectorLeaves as _sectorLeaves } from '../../src/core/merkle.js';

export class MemoryStore implements MinerStore {
  readonly raw = new Map<bigint, Uint8Array>();
  readonly known = new Map<bigint, Uint8Array>(); // per load: 1024 flags
  readonly sealed = new Map<bigint, Uint8Array>();
  readonly masks = new Map<bigint, bigint>();
  readonly contexts = new Map<string, Uint8Array>();
  sealCommits = 0;
  /** When set, loads that become complete are recorded in it (as SealedStore does with its tree). */
  flowTree: FlowTreePort | null = null;

  private async recordComplete(from: bigint, to: bigint): Promise<void> {
    if (this.flowTree === null) return;
    for (let l = from / 1024n; l * 1024n < to; l++) {
      if (this.isLoadComplete(l) && (l + 1n) * 1024n <= this.flowTree.length()) await this.flowTree.recordLoad(l, this.loadRoot(l)!, this.sealRoots(l)!);
    }
  }
  async writeSubmission(start: bigint, end: bigint, data: Uint8Array, roots?: Map<bigint, LoadRootsView> | Promise<Map<bigint, LoadRootsView> | undefined>): Promise<void> {
    await roots; // as SealedStore: roots still being checked that reject mean nothing is stored
    const sectors = BigInt(Math.ceil(data.length / 256));
    const padded = new Uint8Array(Number(sectors) * 256);
    padded.set(data);
    await this.writeFlowData(start, padded);
    if (start + sectors < end) await this.markKnownZero(start + sectors, end);
  }
  async writeVerifiedLoad(l: bigint, bytes: Uint8Array, _roots: LoadRootsView): Promise<void> {
    await this.writeFlowData(l * 1024n, bytes);
  }

  private load(l: bigint): { raw: Uint8Array; known: Uint8Array } {
    if (!this.raw.has(l)) {
      this.raw.set(l, new Uint8Array(262144));
      this.known.set(l, new Uint8Array(1024));
    }
    return { raw: this.raw.get(l)!, known: this.known.get(l)! };
  }
  async writeFlowData(startSector: bigint, data: Uint8Array): Promise<void> {
    for (let i = 0; i < data.length / 256; i++) {
      const s = startSector + BigInt(i);
      const { raw, known } = this.load(s / 1024n);
      raw.set(data.subarray(i * 256, i * 256 + 256), Number(s % 1024n) * 256);
      known[Number(s % 1024n)] = 1;
    }
    await this.recordComplete(startSector, startSector + BigInt(data.length / 256));
  }
  async markKnownZero(startSector: bigint, endSector: bigint): Promise<void> {
    for (let s = startSector; s < endSector; s++) {
      const { raw, known } = this.load(s / 1024n);
      raw.fill(0, Number(s % 1024n) * 256, Number(s % 1024n) * 256 + 256);
      known[Number(s % 1024n)] = 1;
    }
    await this.recordComplete(startSector, endSector);
  }
  rangeKnown(start: bigint, end: bigint): boolean {
    for (let s = start; s < end; s++) if (this.known.get(s / 1024n)?.[Number(s % 1024n)] !== 1) return false;
    return true;
  }
  isLoadComplete(l: bigint): boolean {
    const k = this.known.get(l);
    return !!k && k.every((x) => x === 1);
  }
  async readRawLoad(l: bigint): Promise<Uint8Array> {
    return Uint8Array.from(this.load(l).raw);
  }
  sealedMask(l: bigint): bigint {
    return this.masks.get(l) ?? 0n;
  }
  async commitSealed(l: bigint, seals: { sealIndex: number; sealed: Uint8Array; contextDigest: Uint8Array }[]): Promise<void> {
    if (!this.sealed.has(l)) this.sealed.set(l, new Uint8Array(262144));
    let m = this.sealedMask(l);
    for (const s of seals) {
      this.sealed.get(l)!.set(s.sealed, s.sealIndex * 4096);
      this.contexts.set(`${l}:${s.sealIndex}`, s.contextDigest);
      m |= 1n << BigInt(s.sealIndex);
    }
    this.masks.set(l, m);
    this.sealCommits++;
  }
  async readSealedSeal(l: bigint, i: number): Promise<Uint8Array> {
    return this.sealed.get(l)!.slice(i * 4096, i * 4096 + 4096);
  }
  loadRoot(l: bigint): Uint8Array | null {
    if (!this.isLoadComplete(l)) return null;
    const leaves = _sectorLeaves(this.raw.get(l)!);
    if (l === 0n) leaves[0] = new Uint8Array(32);
    return _completeRoot(leaves);
  }
  sealRoots(l: bigint): Uint8Array[] | null {
    if (!this.isLoadComplete(l)) return null;
    const leaves = _sectorLeaves(this.raw.get(l)!);
    if (l === 0n) leaves[0] = new Uint8Array(32);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) out.push(_completeRoot(leaves.slice(i * 16, i * 16 + 16)));
    return out;
  }
  nextUnsealedLoad(from: bigint): bigint | null {
    return this.completeLoads().find((l) => l >= from && this.sealedMask(l) !== (1n << 64n) - 1n) ?? null;
  }
  completeLoads(): bigint[] {
    return [...this.raw.keys()].filter((l) => this.isLoadComplete(l)).sort((a, b) => (a < b ? -1 : 1));
  }
  loadSource(): LoadSource {
    return {
      availability: (l: bigint) => (l === 0n ? this.sealedMask(l) & ~1n : this.sealedMask(l)),
      read: async (l: bigint) => this.sealed.get(l)!,
    };
  }
  stats() {
    let sealedSectors = 0n;
    for (const m of this.masks.values()) for (let i = 0n; i < 64n; i++) if ((m >> i) & 1n) sealedSectors += 16n;
    return { knownSectors: 0n, sealedSectors, completeLoads: this.completeLoads().length, sealedLoads: [...this.masks.values()].filter((m) => m === (1n << 64n) - 1n).length };
  }
}
