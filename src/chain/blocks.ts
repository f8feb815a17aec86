/**
 * Block driving on a local dev chain (anvil, hardhat): `anvil_mine` / `hardhat_mine` so epochs
 * and subtask windows advance without transactions. Never used against a real chain.
 */
import { toQuantity, type JsonRpcProvider } from 'ethers';

export async function mineBlocks(provider: JsonRpcProvider, count: number): Promise<void> {
  if (count <= 0) return;
  try {
    await provider.send('anvil_mine', [toQuantity(count)]);
  } catch {
    await provider.send('hardhat_mine', [toQuantity(count)]);
  }
}

/** Mines until `block.number >= target`. */
export async function mineTo(provider: JsonRpcProvider, target: number): Promise<void> {
  const now = await provider.getBlockNumber();
  await mineBlocks(provider, target - now);
}
