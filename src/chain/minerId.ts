/**
 * The miner id (spec §7.3, Rust `check_and_request_miner_id`): from the config, else from
 * `<dataDir>/miner_id`, else registered with `requestMinerId(signer, seed)` and persisted there.
 * A config id and a stored id that differ are refused; a known id must be registered on chain.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  await writeFile(`${file}.tmp`, `${toHex(id)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function resolveMinerId(opts: {
  client: ChainClient;
  configId: Bytes32 | null;
  dataDir: string;
  log?: (line: string) => void;
  /** requestMinerId seed (the node uses 0). */
  seed?: bigint;
}): Promise<Bytes32> {
  const stored = await readStoredId(opts.dataDir);
  if (opts.configId && stored && !equalBytes(opts.configId, stored))
    throw new MinerError(
      'BAD_CONFIG',
      `miner_id ${toHex(opts.configId)} differs from ${toHex(stored)} stored in ${join(opts.dataDir, MINER_ID_FILE)}; use the stored id or another --data-dir`
    );
  const known = opts.configId ?? stored;
  if (known) {
    if (!(await opts.client.isRegistered(known)))
      throw new MinerError('BAD_CONFIG', `miner_id ${toHex(known)} is not registered on PoraMine ${opts.client.mineAddress}`);
    if (!stored) await storeId(opts.dataDir, known);
    return known;
  }
  const id = await opts.client.requestMinerId(opts.seed ?? 0n);
  await storeId(opts.dataDir, id);
  opts.log?.(`registered miner id ${toHex(id)} (beneficiary ${opts.client.signerAddress ?? '?'}), saved in ${join(opts.dataDir, MINER_ID_FILE)}`);
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
