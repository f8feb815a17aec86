/**
 * The miner's view of the chain (spec §2, §5.2, §7): PoraMine and Flow calls through ethers.
 * `computeWorkerContext` and `queryContextAtPosition` are non-view and only meaningful as
 * eth_call (the former from 0x…0A). Values come back as the project's domain types.
 */
import { Contract, Interface, JsonRpcProvider, Network, Wallet, getBytes, hexlify, isError, type Provider } from 'ethers';
import { COMPUTE_WORKER_CONTEXT_CALLER, PORA_VERSION } from '../spec.js';
import type { Bytes32, EpochRange, FlowSubmission, MineContext, PoraAnswer } from '../types.js';
import { MinerError } from '../errors.js';
import { PORA_MINE_ABI } from './abi.js';
import { flowIface, parseSubmitLog, SUBMIT_TOPIC } from './flowEvents.js';
import { NonceSequence } from './nonceSequence.js';
import { sendWithReplacement, type SendPolicy, type TxSource } from './txSender.js';

export interface WorkerContext {
  context: MineContext;
  poraTarget: bigint;
  subtaskDigest: Bytes32;
  maxShards: bigint;
}

export interface EpochRangeWithDigest extends EpochRange {
  digest: Bytes32;
}


export interface ChainClientOptions {
  rpcUrl: string;
  mineAddress: string;
  flowAddress: string;
  /** Signs requestMinerId and submit; never logged. */
  minerKey?: string;
  /** JSON-RPC polling period for tx receipts (ms). */
  pollingMs?: number;
  /** Known chain id: the provider then never probes the network on its own. */
  chainId?: bigint;
}

const mineIface = new Interface(PORA_MINE_ABI);

function toContext(r: readonly unknown[]): MineContext {
  return {
    epoch: r[0] as bigint,
    mineStart: r[1] as bigint,
    flowRoot: getBytes(r[2] as string),
    flowLength: r[3] as bigint,
    blockDigest: getBytes(r[4] as string),
    digest: getBytes(r[5] as string),
  };
}

/** The ABI value of a PoraAnswer (bytes as hex, 4096 sealed bytes as 128 words). */
export function answerToAbi(a: PoraAnswer): unknown[] {
  const words: string[] = [];
  for (let w = 0; w < 128; w++) words.push(hexlify(a.sealedData.subarray(w * 32, w * 32 + 32)));
  return [
    hexlify(a.contextDigest),
    hexlify(a.nonce),
    hexlify(a.minerId),
    [a.range.startPosition, a.range.mineLength, a.range.shardId, a.range.shardMask],
    a.recallPosition,
    a.sealOffset,
    hexlify(a.sealedContextDigest),
    words,
    a.merkleProof.map((x) => hexlify(x)),
  ];
}

/** Calldata of `PoraMine.submit(answer)` (spec §7.1: selector 0xae722e82, 4 + 32·(141 + proof length) bytes). */
export function encodeSubmit(a: PoraAnswer): string {
  return mineIface.encodeFunctionData('submit', [answerToAbi(a)]);
}

/**
 * The revert reason of a failed call as the contract states it: the Error(string) text,
 * `Panic(0x..)`, a decoded custom error name, or null when the error is not a revert.
 */
export function revertReason(e: unknown): string | null {
  if (!isError(e, 'CALL_EXCEPTION')) return null;
  if (e.revert) {
    if (e.revert.name === 'Error') return String(e.revert.args[0]);
    if (e.revert.name === 'Panic') return `Panic(0x${(e.revert.args[0] as bigint).toString(16).padStart(2, '0')})`;
    return `${e.revert.name}(${e.revert.args.map(String).join(',')})`;
  }
  if (typeof e.reason === 'string' && e.reason.length > 0) return e.reason;
  if (typeof e.data === 'string' && e.data.length >= 10) return `custom error ${e.data.slice(0, 10)}`;
  return 'reverted without data';
}

export class ChainClient {
  readonly provider: JsonRpcProvider;
  readonly mine: Contract;
  readonly flow: Contract;
  readonly wallet: Wallet | null;
  readonly mineAddress: string;
  readonly flowAddress: string;
  /** The signer's one nonce sequence: every transaction of this client takes its nonce here. */
  readonly nonces: NonceSequence | null;

  constructor(opts: ChainClientOptions) {
    const network = opts.chainId !== undefined ? Network.from(opts.chainId) : undefined;
    this.provider = new JsonRpcProvider(opts.rpcUrl, network, { staticNetwork: network ?? true, batchMaxCount: 1 });
    this.provider.pollingInterval = opts.pollingMs ?? 500;
    this.wallet = opts.minerKey ? new Wallet(opts.minerKey, this.provider) : null;
    const w = this.wallet;
    this.nonces = w ? new NonceSequence(() => this.provider.getTransactionCount(w.address, 'pending')) : null;
    const runner = this.wallet ?? this.provider;
    this.mineAddress = opts.mineAddress;
    this.flowAddress = opts.flowAddress;
    this.mine = new Contract(opts.mineAddress, mineIface, runner);
    this.flow = new Contract(opts.flowAddress, flowIface, runner);
  }

  /**
   * Asks the endpoint for its chain id first, so an unreachable RPC is one clear error instead of
   * ethers' background "failed to detect network" retries.
   * @throws {MinerError} CHAIN_ERROR naming the URL.
   */
  static async connect(opts: ChainClientOptions): Promise<ChainClient> {
    let chainId: bigint;
    try {
      const res = await fetch(opts.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { result?: string; error?: { message?: string } };
      if (typeof body.result !== 'string') throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      chainId = BigInt(body.result);
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (e as Error).message;
      throw new MinerError('CHAIN_ERROR', `cannot reach the EVM RPC at ${opts.rpcUrl} (${cause}); check blockchain_rpc_endpoint`, { cause: e });
    }
    return new ChainClient({ ...opts, chainId });
  }

  get signerAddress(): string | null {
    return this.wallet?.address ?? null;
  }

  /** Runs `fn`, turning transport failures into one-line CHAIN_ERRORs naming the call. */
  private async rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MinerError) throw e;
      const reason = revertReason(e);
      const msg = reason ?? (e as { shortMessage?: string }).shortMessage ?? (e as Error).message;
      throw new MinerError('CHAIN_ERROR', `${what}: ${msg}`, { cause: e });
    }
  }

  async blockNumber(): Promise<number> {
    return this.rpc('eth_blockNumber', () => this.provider.getBlockNumber());
  }

  async chainId(): Promise<bigint> {
    return this.rpc('eth_chainId', async () => (await this.provider.getNetwork()).chainId);
  }

  async poraVersion(): Promise<bigint> {
    return this.rpc('PoraMine.poraVersion', () => this.mine.getFunction('poraVersion').staticCall() as Promise<bigint>);
  }

  /** @throws {MinerError} CHAIN_ERROR when the contract's PoRA version is not the one this miner implements. */
  async checkPoraVersion(): Promise<void> {
    const v = await this.poraVersion();
    if (v !== PORA_VERSION)
      throw new MinerError('CHAIN_ERROR', `PoraMine at ${this.mineAddress} has poraVersion ${v}; this miner implements version ${PORA_VERSION}`);
  }

  async computeWorkerContext(minerId: Bytes32): Promise<WorkerContext> {
    return this.rpc('PoraMine.computeWorkerContext', async () => {
      const data = mineIface.encodeFunctionData('computeWorkerContext', [hexlify(minerId)]);
      const raw = await this.provider.call({ from: COMPUTE_WORKER_CONTEXT_CALLER, to: this.mineAddress, data, blockTag: 'latest' });
      const [ctx, poraTarget, subtaskDigest, maxShards] = mineIface.decodeFunctionResult('computeWorkerContext', raw);
      return {
        context: toContext(ctx as unknown as unknown[]),
        poraTarget: poraTarget as bigint,
        subtaskDigest: getBytes(subtaskDigest as string),
        maxShards: maxShards as bigint,
      };
    });
  }

  /** `makeContextWithResult()` as eth_call: the context the next transaction would create. */
  async simulatedContext(): Promise<MineContext> {
    return this.rpc('Flow.makeContextWithResult', async () =>
      toContext((await this.flow.getFunction('makeContextWithResult').staticCall()) as unknown[])
    );
  }

  /** The epoch range holding `position` (spec §5.2); reverts past the recorded ranges. */
  async queryContextAtPosition(position: bigint): Promise<EpochRangeWithDigest> {
    return this.rpc(`Flow.queryContextAtPosition(${position})`, async () => {
      const r = (await this.flow.getFunction('queryContextAtPosition').staticCall(position)) as unknown[];
      return { start: r[0] as bigint, end: r[1] as bigint, digest: getBytes(r[2] as string) };
    });
  }

  async getEpochRange(digest: Bytes32): Promise<EpochRange> {
    return this.rpc('Flow.getEpochRange', async () => {
      const r = (await this.flow.getFunction('getEpochRange').staticCall(hexlify(digest))) as unknown[];
      return { start: r[0] as bigint, end: r[1] as bigint };
    });
  }

  /** Recorded epoch ranges from index `from` on (getEpochRangeHistory reverts past the end). */
  async epochRangesFrom(from: number): Promise<EpochRangeWithDigest[]> {
    const out: EpochRangeWithDigest[] = [];
    for (let i = from; ; i++) {
      let r: unknown[];
      try {
        r = (await this.flow.getFunction('getEpochRangeHistory').staticCall(i)) as unknown[];
      } catch (e) {
        if (isError(e, 'CALL_EXCEPTION')) break;
        throw new MinerError('CHAIN_ERROR', `Flow.getEpochRangeHistory(${i}): ${(e as Error).message}`, { cause: e });
      }
      out.push({ start: r[0] as bigint, end: r[1] as bigint, digest: getBytes(r[2] as string) });
    }
    return out;
  }

  async isRegistered(minerId: Bytes32): Promise<boolean> {
    const b = await this.rpc('PoraMine.beneficiaries', () => this.mine.getFunction('beneficiaries').staticCall(hexlify(minerId)) as Promise<string>);
    return BigInt(b) !== 0n;
  }

  async settings(): Promise<{ sealDataEnabled: boolean; dataProofEnabled: boolean }> {
    return this.rpc('PoraMine settings', async () => ({
      sealDataEnabled: (await this.mine.getFunction('sealDataEnabled').staticCall()) as boolean,
      dataProofEnabled: (await this.mine.getFunction('dataProofEnabled').staticCall()) as boolean,
    }));
  }

  /** What txSender needs to send as this client's signer. */
  txSource(): TxSource {
    this.requireWallet('a transaction');
    return {
      nonces: this.nonces!,
      gasPrice: async () => (await this.provider.getFeeData()).gasPrice ?? 1_000_000_000n,
      receipt: (hash) => this.provider.getTransactionReceipt(hash),
    };
  }

  /** Sends `requestMinerId(signer, seed)` as a legacy tx and returns the id from `NewMinerId`. */
  async requestMinerId(seed = 0n, policy: SendPolicy = { gasIncreaseFactor: 11, maxRetries: 5, intervalSecs: 2 }): Promise<Bytes32> {
    const wallet = this.requireWallet('requestMinerId');
    return this.rpc('PoraMine.requestMinerId', async () => {
      const fn = this.mine.getFunction('requestMinerId');
      const receipt = await sendWithReplacement(this.txSource(), (o) => fn.send(wallet.address, seed, { type: 0, ...o }), policy);
      if (receipt.status !== 1) throw new MinerError('CHAIN_ERROR', 'requestMinerId transaction failed');
      for (const log of receipt.logs) {
        const parsed = mineIface.parseLog(log);
        if (parsed?.name === 'NewMinerId') return getBytes(parsed.args[0] as string);
      }
      throw new MinerError('CHAIN_ERROR', 'requestMinerId receipt has no NewMinerId event');
    });
  }

  requireWallet(what: string): Wallet {
    if (!this.wallet) throw new MinerError('BAD_CONFIG', `${what} needs miner_key (config, ZGS_NODE__MINER_KEY or --miner-key-file)`);
    return this.wallet;
  }

  /** `staticCall` of `submit(answer)`: null when it would pass, else the revert reason. */
  async staticSubmit(answer: PoraAnswer, from?: string): Promise<string | null> {
    try {
      const data = encodeSubmit(answer);
      await this.provider.call({ to: this.mineAddress, data, from: from ?? this.wallet?.address ?? null, blockTag: 'latest' });
      return null;
    } catch (e) {
      const reason = revertReason(e);
      if (reason !== null) return reason;
      throw new MinerError('CHAIN_ERROR', `PoraMine.submit staticCall: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Flow `Submit` events in [fromBlock, toBlock]. */
  async submissions(fromBlock: number, toBlock: number): Promise<FlowSubmission[]> {
    return this.rpc('Flow Submit logs', async () => {
      const logs = await this.provider.getLogs({
        address: this.flowAddress,
        topics: [SUBMIT_TOPIC],
        fromBlock,
        toBlock,
      });
      return logs.map((log) => parseSubmitLog(log)!);
    });
  }

  get runner(): Provider {
    return this.provider;
  }

  destroy(): void {
    this.provider.destroy();
  }
}
