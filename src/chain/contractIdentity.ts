/**
 * Are the configured contracts the ones that belong together? A wrong `log_contract_address`
 * that has code (the reward contract, say) passed every other start-up check and the miner then
 * followed a contract that never emits Flow Submit events: it mined nothing, forever, silently.
 * PoraMine names its Flow (`flow()`) and its reward contract (`reward()`), so the config must
 * agree with it.
 */
import { getAddress, isError, ZeroAddress } from 'ethers';
import { MinerError } from '../errors.js';
import type { ChainClient } from './chainClient.js';

/** PoraMine's `flow()` or `reward()`, or null where this PoraMine has no such getter. */
async function addressGetter(client: ChainClient, name: 'flow' | 'reward'): Promise<string | null> {
  try {
    return getAddress((await client.mine.getFunction(name).staticCall()) as string);
  } catch (e) {
    if (isError(e, 'CALL_EXCEPTION') || isError(e, 'BAD_DATA')) return null;
    throw new MinerError('CHAIN_ERROR', `PoraMine.${name}(): ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`, { cause: e });
  }
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Checks the config's Flow (and reward contract, if configured) against what PoraMine names.
 * Returns lines worth a warning (a getter this PoraMine lacks), [] when all was verified.
 * @throws {MinerError} BAD_CONFIG naming both addresses on a mismatch.
 */
export async function checkContractIdentity(client: ChainClient, config: { rewardContractAddress: string | null }): Promise<string[]> {
  const notes: string[] = [];
  const flow = await addressGetter(client, 'flow');
  if (flow === null) notes.push(`PoraMine ${client.mineAddress} has no flow() getter: log_contract_address ${client.flowAddress} is unverified`);
  else if (!same(flow, client.flowAddress))
    throw new MinerError(
      'BAD_CONFIG',
      `log_contract_address ${client.flowAddress} is not the Flow of PoraMine ${client.mineAddress}, whose flow() is ${flow}; set log_contract_address = "${flow}" (or fix mine_contract_address)`
    );
  const configured = config.rewardContractAddress;
  if (configured !== null) {
    const reward = await addressGetter(client, 'reward');
    if (reward === null) notes.push(`PoraMine ${client.mineAddress} has no reward() getter: reward_contract_address ${configured} is unverified`);
    else if (reward !== ZeroAddress && !same(reward, configured))
      throw new MinerError(
        'BAD_CONFIG',
        `reward_contract_address ${configured} is not the reward contract of PoraMine ${client.mineAddress}, whose reward() is ${reward}; set reward_contract_address = "${reward}"`
      );
  }
  return notes;
}
