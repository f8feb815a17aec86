/**
 * The checks `startMiningService` runs before its first transaction (preflight/preflight.ts):
 * the data dir is zg-miner's and writable, the metrics address can be bound, PoraMine speaks this
 * miner's PoRA version, and the configured Flow and reward contracts are the ones PoraMine names.
 * Callers add their own (another listen address, say) through `MiningServiceOptions.preflight`.
 */
import type { MinerConfig } from '../config/config.js';
import type { ChainClient } from '../chain/chainClient.js';
import { checkContractIdentity } from '../chain/contractIdentity.js';
import { parseListenAddress } from '../metrics/server.js';
import { checkBindable } from '../preflight/bindable.js';
import type { PreflightCheck } from '../preflight/preflight.js';
import { claimDataDir } from '../store/dataDir.js';

export function miningPreflight(o: { config: MinerConfig; client: ChainClient; metricsAddress: string; warn: (line: string) => void }): PreflightCheck[] {
  const c = o.config;
  return [
    { what: `data dir ${c.dataDir}`, run: () => void claimDataDir(c.dataDir) },
    {
      what: `metrics address ${o.metricsAddress}`,
      run: () => {
        const { host, port } = parseListenAddress(o.metricsAddress);
        return checkBindable(host, port);
      },
    },
    { what: `PoraMine ${o.client.mineAddress}`, run: () => o.client.checkPoraVersion() },
    {
      what: 'contracts',
      run: async () => {
        for (const note of await checkContractIdentity(o.client, c)) o.warn(note);
      },
    },
  ];
}
