/**
 * The miner id (spec §7.3, Rust `check_and_request_miner_id`): from the config, else from
 * `<dataDir>/miner_id`, else one this key registered earlier (its `NewMinerId` events, so a lost
 * id file never makes the key pay for another), else registered with `requestMinerId(signer,
 * seed)`. A registered or recovered id is saved durably (written, fsync'ed, renamed, dir
 * fsync'ed) before anything else happens; if even that fails the error line carries the id.
 * A config id and a stored id that differ are refused; a known id must be registered on chain.
 */
import { closeSync, constants, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getAddress, zeroPadValue } from 'ethers';
import { equalBytes, fromHex, toHex } from '../bytes.js';
import { MinerError } from '../errors.js';
import type { Bytes32 } from '../types.js';
import type { ChainClient } from './chainClient.js';

export const MINER_ID_FILE = 'miner_id';

export async function readStoredId(dataDir: string): Promise<Bytes32 | null> {
  const file = join(dataDir, MINER_ID_FILE);
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MinerError('STORE_ERROR', `${file}: ${(e as Error).message}`);
  }
  try {
    return fromHex(text.startsWith('0x') ? text : `0x${text}`, 32, file);
  } catch (e) {
    throw new MinerError('STORE_ERROR', `${file}: ${(e as Error).message}; delete it or fix it`);
  }
}

async function storeId(dataDir: string, id: Bytes32): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, MINER_ID_FILE);
  const fd = openSync(`${file}.tmp`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  try {
    writeSync(fd, `${toHex(id)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
  const dfd = openSync(dataDir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Saves a newly obtained id; a failure names the id so it is not lost with the error. */
async function saveObtainedId(dataDir: string, id: Bytes32, how: string): Promise<void> {
  try {
    await storeId(dataDir, id);
  } catch (e) {
    throw new MinerError(
      'STORE_ERROR',
      `${how} miner id ${toHex(id)} but cannot save it in ${join(dataDir, MINER_ID_FILE)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); put miner_id = "${toHex(id)}" in the config`,
      { cause: e }
    );
  }
}

/** Blocks per eth_getLogs request when scanning for this key's NewMinerId events (halved on refusal). */
const ID_SCAN_SPAN = 10_000;

/**
 * The newest miner id whose NewMinerId event names `beneficiary` and that still pays it (an id
 * transferred away since is skipped), scanning back from the head to `fromBlock`; null if none.
 * A key that never sent a transaction cannot have registered, so the scan is skipped for it.
 */
export async function recoverMinerId(client: ChainClient, beneficiary: string, fromBlock: number, log?: (line: string) => void): Promise<Bytes32 | null> {
  if ((await client.provider.getTransactionCount(beneficiary, 'latest')) === 0) return null;
  const head = await client.blockNumber();
  const topic0 = client.mine.interface.getEvent('NewMinerId')!.topicHash;
  const topic2 = zeroPadValue(getAddress(beneficiary), 32);
  log?.(`looking for a miner id this key registered (NewMinerId events, blocks ${fromBlock}..${head})`);
  let span = ID_SCAN_SPAN;
  for (let to = head; to >= fromBlock; ) {
    const from = Math.max(fromBlock, to - span + 1);
    let logs;
    try {
      logs = await client.provider.getLogs({ address: client.mineAddress, topics: [topic0, null, topic2], fromBlock: from, toBlock: to });
    } catch (e) {
      // Endpoints cap the block range of eth_getLogs: ask for less.
      if (span > 100) {
        span = Math.floor(span / 2);
        continue;
      }
      throw new MinerError('CHAIN_ERROR', `NewMinerId logs ${from}..${to}: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`, { cause: e });
    }
    for (const l of [...logs].reverse()) {
      const id = fromHex(l.topics[1]!, 32);
      const owner = await client.mine.getFunction('beneficiaries').staticCall(toHex(id));
      if (getAddress(owner as string) === getAddress(beneficiary)) return id;
    }
    to = from - 1;
  }
  return null;
}

export async function resolveMinerId(opts: {
  client: ChainClient;
  configId: Bytes32 | null;
  dataDir: string;
  log?: (line: string) => void;
  /** requestMinerId seed (the node uses 0). */
  seed?: bigint;
  /** First block to scan for this key's NewMinerId events (default: PoraMine's deployment block). */
  registrationsFrom?: number;
}): Promise<Bytes32> {
  const stored = await readStoredId(opts.dataDir);
  const where = join(opts.dataDir, MINER_ID_FILE);
  if (opts.configId && stored && !equalBytes(opts.configId, stored))
    throw new MinerError(
      'BAD_CONFIG',
      `miner_id ${toHex(opts.configId)} differs from ${toHex(stored)} stored in ${where}; use the stored id or another --data-dir`
    );
  const known = opts.configId ?? stored;
  if (known) {
    if (!(await opts.client.isRegistered(known)))
      throw new MinerError('BAD_CONFIG', `miner_id ${toHex(known)} is not registered on PoraMine ${opts.client.mineAddress}`);
    if (!stored) await storeId(opts.dataDir, known);
    return known;
  }
  const signer = opts.client.requireWallet('requestMinerId').address;
  const from = opts.registrationsFrom ?? (await findDeployBlock(opts.client, opts.client.mineAddress));
  const recovered = await recoverMinerId(opts.client, signer, from, opts.log);
  if (recovered) {
    await saveObtainedId(opts.dataDir, recovered, 'recovered');
    opts.log?.(`miner id ${toHex(recovered)}: recovered from this key's registration on chain (no id file), saved in ${where}`);
    return recovered;
  }
  const id = await opts.client.requestMinerId(opts.seed ?? 0n);
  // Nothing runs between the receipt and the durable save: the id was paid for.
  await saveObtainedId(opts.dataDir, id, 'registered');
  opts.log?.(`registered miner id ${toHex(id)} (beneficiary ${signer}), saved in ${where}`);
  return id;
}

/**
 * The first block where `address` has code (binary search over eth_getCode): where Flow Submit
 * events can start. Needs an archive-capable node for old blocks; falls back to 0.
 */
export async function findDeployBlock(client: ChainClient, address: string): Promise<number> {
  const head = await client.blockNumber();
  let lo = 0;
  let hi = head;
  try {
    if ((await client.provider.getCode(address, hi)) === '0x')
      throw new MinerError('BAD_CONFIG', `no contract at ${address} on chain id ${await client.chainId()} (check log_contract_address)`);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await client.provider.getCode(address, mid)) === '0x') lo = mid + 1;
      else hi = mid;
    }
    return lo;
  } catch (e) {
    if (e instanceof MinerError) throw e;
    return 0;
  }
}
