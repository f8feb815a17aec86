/**
 * Deploys the upstream "market-enabled" set (zgs-contracts README): PoraMine(settings 0),
 * FixedPrice, ChunkLinearReward and FixedPriceFlow, each behind UpgradeableBeacon + BeaconProxy,
 * then initialises them in upstream order. Used by the devnet and the e2e tests.
 */
import { ContractFactory, Contract, Interface, JsonRpcProvider, NonceManager, Wallet, type Signer } from 'ethers';
import { artifact, type ContractSet } from './contracts.js';
import { MinerError } from '../errors.js';

/** PoraMine.initialize's parameter tuple, in ABI order. */
export interface MineParams {
  difficulty: bigint;
  targetMineBlocks: bigint;
  targetSubmissions: bigint;
  maxShards: bigint;
  nSubtasks: bigint;
  subtaskInterval: bigint;
}

export interface DeployOptions {
  mineParams: MineParams;
  blocksPerEpoch: bigint;
  /** PoraMine constructor settings; 0 = seal check, data proof and difficulty adjustment all on. */
  mineSettings?: bigint;
  pricePerSector?: bigint;
  /** ChunkLinearReward release period (upstream 3·31·86400 s). */
  releaseSeconds?: bigint;
  /** Flow deployDelay: firstBlock = initialize block + this. */
  deployDelay?: bigint;
  log?: (line: string) => void;
}

export interface Deployment {
  flow: string;
  mine: string;
  market: string;
  reward: string;
  /** Block of Flow.initialize: followers start reading Submit events here. */
  flowDeployBlock: number;
  pricePerSector: bigint;
  blocksPerEpoch: bigint;
  mineParams: MineParams;
}

/**
 * Checks the window/epoch relations the admin setters enforce (README facts), so a devnet can
 * never be deployed with windows ending outside their epoch.
 * @throws {MinerError} BAD_CONFIG naming the violated relation.
 */
export function checkMineParams(p: MineParams, blocksPerEpoch: bigint): void {
  if (p.targetMineBlocks > 256n)
    throw new MinerError('BAD_CONFIG', `targetMineBlocks ${p.targetMineBlocks} exceeds 256 (block hashes older than 256 blocks need EIP-2935)`);
  if (p.nSubtasks < 1n) throw new MinerError('BAD_CONFIG', 'nSubtasks must be at least 1');
  const last = (p.nSubtasks - 1n) * p.subtaskInterval + p.targetMineBlocks + 1n;
  if (!(last < blocksPerEpoch))
    throw new MinerError('BAD_CONFIG', `(nSubtasks-1)*subtaskInterval + targetMineBlocks + 1 = ${last} must be below blocksPerEpoch ${blocksPerEpoch}`);
}

async function deployBehindBeacon(
  set: ContractSet,
  signer: Signer,
  name: string,
  args: unknown[],
  admin: string
): Promise<{ impl: string; proxy: Contract }> {
  const a = artifact(set, name);
  const impl = await new ContractFactory(a.abi as never, a.bytecode, signer).deploy(...args);
  await impl.waitForDeployment();
  const implAddr = await impl.getAddress();
  const beaconArt = artifact(set, 'UpgradeableBeacon');
  const beacon = await new ContractFactory(beaconArt.abi as never, beaconArt.bytecode, signer).deploy(implAddr, admin);
  await beacon.waitForDeployment();
  const proxyArt = artifact(set, 'BeaconProxy');
  const proxy = await new ContractFactory(proxyArt.abi as never, proxyArt.bytecode, signer).deploy(await beacon.getAddress(), '0x');
  await proxy.waitForDeployment();
  return { impl: implAddr, proxy: new Contract(await proxy.getAddress(), new Interface(a.abi as never), signer) };
}

async function send(c: Contract, method: string, args: unknown[]): Promise<number> {
  const fn = c.getFunction(method);
  const tx = await fn.send(...args);
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new MinerError('CHAIN_ERROR', `${method} failed during deployment`);
  return receipt.blockNumber;
}

/** Deploys and initialises the market-enabled contract set with `signer` as admin. */
export async function deployMarketEnabled(set: ContractSet, signer: Signer, opts: DeployOptions): Promise<Deployment> {
  checkMineParams(opts.mineParams, opts.blocksPerEpoch);
  const log = opts.log ?? (() => {});
  const admin = await signer.getAddress();
  const price = opts.pricePerSector ?? 1_000_000_000n;
  const mine = await deployBehindBeacon(set, signer, 'PoraMine', [opts.mineSettings ?? 0n], admin);
  const market = await deployBehindBeacon(set, signer, 'FixedPrice', [], admin);
  const reward = await deployBehindBeacon(set, signer, 'ChunkLinearReward', [opts.releaseSeconds ?? 3n * 31n * 86400n], admin);
  const flow = await deployBehindBeacon(set, signer, 'FixedPriceFlow', [opts.deployDelay ?? 0n], admin);
  const [mineAddr, marketAddr, rewardAddr, flowAddr] = await Promise.all(
    [mine, market, reward, flow].map((x) => x.proxy.getAddress())
  );
  log(`deployed PoraMine ${mineAddr}, FixedPrice ${marketAddr}, ChunkLinearReward ${rewardAddr}, FixedPriceFlow ${flowAddr} (beacon proxies)`);
  const p = opts.mineParams;
  await send(mine.proxy, 'initialize', [
    flowAddr,
    rewardAddr,
    [p.difficulty, p.targetMineBlocks, p.targetSubmissions, p.maxShards, p.nSubtasks, p.subtaskInterval],
  ]);
  await send(market.proxy, 'initialize', [price, flowAddr, rewardAddr]);
  await send(reward.proxy, 'initialize', [marketAddr, mineAddr, admin]);
  const flowDeployBlock = await send(flow.proxy, 'initialize', [marketAddr, opts.blocksPerEpoch]);
  log(`initialised: difficulty ${p.difficulty}, blocksPerEpoch ${opts.blocksPerEpoch}, window ${p.targetMineBlocks} blocks, ${p.nSubtasks} subtasks`);
  return {
    flow: flowAddr!,
    mine: mineAddr!,
    market: marketAddr!,
    reward: rewardAddr!,
    flowDeployBlock,
    pricePerSector: price,
    blocksPerEpoch: opts.blocksPerEpoch,
    mineParams: p,
  };
}

/**
 * A second PoraMine deployed directly (no proxy, as upstream's "no-market" set allows) beside an
 * existing flow, paying a no-op DummyReward. With settings 3 (no seal check, no data proof) its
 * submit() reaches pora() for any data, so tests can compare the verifier with the real code on
 * the paths behind the Merkle check. Returns the mine's address.
 */
export async function deployStandaloneMine(
  rpcUrl: string,
  deployerKey: string,
  set: ContractSet,
  flow: string,
  params: MineParams,
  settings: bigint
): Promise<string> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  provider.pollingInterval = 100;
  try {
    // NonceManager: the provider caches eth_getTransactionCount for 250 ms, so back-to-back sends from a
    // bare Wallet can be handed the nonce of the transaction just mined (`nonce too low`).
    return await deployStandaloneMineWith(new NonceManager(new Wallet(deployerKey, provider)), set, flow, params, settings);
  } finally {
    provider.destroy();
  }
}

async function deployStandaloneMineWith(signer: Signer, set: ContractSet, flow: string, params: MineParams, settings: bigint): Promise<string> {
  const dummy = artifact(set, 'DummyReward');
  const reward = await new ContractFactory(dummy.abi as never, dummy.bytecode, signer).deploy();
  await reward.waitForDeployment();
  const a = artifact(set, 'PoraMine');
  const impl = await new ContractFactory(a.abi as never, a.bytecode, signer).deploy(settings);
  await impl.waitForDeployment();
  const mine = new Contract(await impl.getAddress(), new Interface(a.abi as never), signer);
  const p = params;
  await send(mine, 'initialize', [
    flow,
    await reward.getAddress(),
    [p.difficulty, p.targetMineBlocks, p.targetSubmissions, p.maxShards, p.nSubtasks, p.subtaskInterval],
  ]);
  return mine.getAddress();
}
