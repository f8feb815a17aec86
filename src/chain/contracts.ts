/**
 * Compiled 0G Storage contracts: the `artifacts.json` bundle of ../shared/zgs-contracts (format
 * `zgs-contracts/1`) or a hardhat `artifacts/` folder from a checkout of 0g-storage-contracts.
 * Only ABIs and creation bytecode are used; nothing is compiled here.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MinerError } from '../errors.js';

export interface ContractArtifact {
  contractName: string;
  abi: readonly unknown[];
  /** Creation code without constructor arguments (0x hex). */
  bytecode: string;
}

export type ContractSet = Map<string, ContractArtifact>;

/** The contracts a devnet deployment needs (market-enabled set behind beacon proxies). */
export const DEVNET_CONTRACTS = [
  'PoraMine',
  'FixedPrice',
  'ChunkLinearReward',
  'FixedPriceFlow',
  'UpgradeableBeacon',
  'BeaconProxy',
] as const;

const WHERE_TO_GET =
  'the compiled 0G contracts (an artifacts.json as in ../shared/zgs-contracts, or the artifacts/ folder `npx hardhat compile` writes in github.com/0gfoundation/0g-storage-contracts)';

function asArtifact(name: string, raw: unknown, where: string): ContractArtifact {
  const o = raw as { abi?: unknown; bytecode?: unknown } | null;
  if (!o || !Array.isArray(o.abi) || typeof o.bytecode !== 'string' || !/^0x[0-9a-fA-F]*$/.test(o.bytecode))
    throw new MinerError('BAD_INPUT', `${where}: contract ${name} has no abi/bytecode; expected ${WHERE_TO_GET}`);
  return { contractName: name, abi: o.abi, bytecode: o.bytecode };
}

/** Reads an `artifacts.json` bundle. */
function loadBundle(file: string): ContractSet {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MinerError('BAD_INPUT', `${file}: not a readable JSON contracts bundle (${(e as Error).message})`);
  }
  const contracts = (json as { contracts?: Record<string, unknown> }).contracts;
  if (!contracts || typeof contracts !== 'object')
    throw new MinerError('BAD_INPUT', `${file}: no "contracts" object; expected ${WHERE_TO_GET}`);
  const set: ContractSet = new Map();
  for (const [name, raw] of Object.entries(contracts)) set.set(name, asArtifact(name, raw, file));
  return set;
}

/** Walks a hardhat `artifacts/` tree: `<Source>.sol/<Name>.json` (debug files skipped). */
function loadHardhatDir(dir: string): ContractSet {
  const set: ContractSet = new Map();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) {
        if (entry !== 'build-info') walk(p);
      } else if (entry.endsWith('.json') && !entry.endsWith('.dbg.json')) {
        const raw = JSON.parse(readFileSync(p, 'utf8')) as { contractName?: unknown; bytecode?: unknown };
        if (typeof raw.contractName === 'string' && typeof raw.bytecode === 'string' && raw.bytecode !== '0x')
          set.set(raw.contractName, asArtifact(raw.contractName, raw, p));
      }
    }
  };
  walk(dir);
  return set;
}

/**
 * Loads contracts from `path` (bundle file or hardhat folder) and checks that `required` are present.
 * @throws {MinerError} BAD_INPUT with one line naming the path and what to pass instead.
 */
export function loadContracts(path: string, required: readonly string[] = DEVNET_CONTRACTS): ContractSet {
  const p = resolve(path);
  if (!existsSync(p)) throw new MinerError('BAD_INPUT', `contracts not found at ${p}; pass --contracts PATH with ${WHERE_TO_GET}`);
  const set = statSync(p).isDirectory() ? loadHardhatDir(p) : loadBundle(p);
  const missing = required.filter((n) => !set.has(n));
  if (missing.length > 0)
    throw new MinerError('BAD_INPUT', `${p}: missing contract(s) ${missing.join(', ')}; pass --contracts PATH with ${WHERE_TO_GET}`);
  return set;
}

/**
 * The default contracts location: `../shared/zgs-contracts/artifacts.json` beside the repo root
 * (the nearest ancestor holding one, so a git worktree nested deeper finds the same file).
 * @throws {MinerError} when none exists.
 */
export function defaultContractsPath(repoRoot: string): string {
  const first = resolve(repoRoot, '..', 'shared', 'zgs-contracts', 'artifacts.json');
  for (let dir = resolve(repoRoot); ; dir = dirname(dir)) {
    const p = join(dirname(dir), 'shared', 'zgs-contracts', 'artifacts.json');
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) break;
  }
  throw new MinerError('BAD_INPUT', `no contracts at ${first}; pass --contracts PATH with ${WHERE_TO_GET}`);
}

export function artifact(set: ContractSet, name: string): ContractArtifact {
  const a = set.get(name);
  if (!a) throw new MinerError('BAD_INPUT', `contract ${name} is not in the loaded contracts`);
  return a;
}
