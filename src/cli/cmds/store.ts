/**
 * `zg-miner store check|repair [--data-dir D] [--config F]`: the store's damage check on demand
 * (store/scrub.ts), over every complete load and the follower state. `check` changes nothing and
 * exits 2 when it finds damage; `repair` re-derives roots, retracts seals that fail (the miner
 * reseals them), forgets a load whose raw data fails (naming the transactions to import again;
 * a miner with peers fetches it again) and moves a garbled follower state aside (the miner
 * rebuilds it from the chain). Loads forgotten earlier and still missing are listed too.
 * The miner must not be running on the same data dir (the store's lock refuses it in one line).
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadConfig } from '../../config/config.js';
import { SealedStore } from '../../store/sealedStore.js';
import { checkLoad, describe, isDamaged } from '../../store/scrub.js';
import { parseFollowerState } from '../../miner/flowFollower.js';
import { TxIndex } from '../../sync/txIndex.js';
import { fromHex } from '../../bytes.js';
import { SECTORS_PER_LOAD_N } from '../../spec.js';
import { exists } from '../../store/fileOps.js';
import { MinerError } from '../../errors.js';

interface StoreArgs {
  action: 'check' | 'repair';
  'data-dir'?: string;
  config?: string;
}

async function minerIdOf(dataDir: string): Promise<Uint8Array> {
  const file = join(dataDir, 'miner_id');
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new MinerError('BAD_INPUT', `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; is ${dataDir} a zg-miner data dir? (--data-dir)`);
  }
  return fromHex(text.startsWith('0x') ? text : `0x${text}`, 32, file);
}

export const storeCommand: CommandModule<object, StoreArgs> = {
  command: 'store <action>',
  describe: 'Check the data dir for damage (check), or repair it (repair): sealed loads re-hashed against their roots, roots, follower state',
  builder: (y: Argv<object>) =>
    y
      .positional('action', { choices: ['check', 'repair'] as const, demandOption: true, describe: 'check: report only (exit 2 on damage); repair: fix what can be fixed' })
      .option('data-dir', { type: 'string', describe: 'the miner data dir (default: db_dir/data_dir of the config, else ./db)' })
      .option('config', { type: 'string', describe: 'node-style TOML config (config.toml)' }) as unknown as Argv<StoreArgs>,
  handler: async (args) => {
    const config = loadConfig({
      ...(args.config !== undefined ? { file: args.config } : {}),
      env: process.env,
      overrides: args['data-dir'] !== undefined ? { dataDir: args['data-dir'] } : {},
    });
    const dataDir = config.dataDir;
    const repair = args.action === 'repair';
    const minerId = await minerIdOf(dataDir);
    const out = (l: string): void => void process.stdout.write(`${l}\n`);
    let damaged = 0;
    const stateFile = join(dataDir, 'follower.json');
    const state = await readFile(stateFile, 'utf8').catch(() => null);
    if (state !== null && parseFollowerState(state) === null) {
      damaged++;
      if (repair) await rename(stateFile, `${stateFile}.damaged`);
      out(`follower: ${stateFile} is damaged${repair ? ` (moved to follower.json.damaged; the miner rebuilds it from the chain)` : ''}`);
    }
    const store = await SealedStore.open(join(dataDir, 'store'), { minerId });
    // The transactions the follower has seen (txs.jsonl), to name what to import again.
    const txFile = join(dataDir, 'txs.jsonl');
    const txs = (await exists(txFile)) ? await TxIndex.open(txFile) : null;
    const txsOf = (L: bigint): bigint[] => (txs?.overlapping(L * SECTORS_PER_LOAD_N, (L + 1n) * SECTORS_PER_LOAD_N) ?? []).map((t) => t.txSeq);
    let checked = 0;
    const forgotten = store.forgottenLoads();
    try {
      for (const L of forgotten) {
        const t = txsOf(L);
        out(`store: load ${L}: forgotten earlier (its raw data failed its check) and still missing: ${t.length > 0 ? t.map((x) => `zg-miner import --tx ${x} FILE`).join(', ') : 'zg-miner import'}, or a peer`);
      }
      const missing = await store.loadsMissingRoots();
      if (missing.length > 0) out(`store: roots.bin lacks the roots of ${missing.length} complete load(s)${repair ? ' (re-derived)' : ''}`);
      for (let L = 0n; L < store.loadCount; L++) {
        const c = await checkLoad(store, minerId, L, repair);
        if (c === null) continue;
        checked++;
        if (isDamaged(c)) {
          damaged++;
          out(describe(c, repair, c.badRaw ? txsOf(L) : []));
        }
      }
    } finally {
      await txs?.close();
      await store.close();
    }
    const stillMissing = forgotten.length > 0 ? `, ${forgotten.length} forgotten earlier and still missing` : '';
    out(`store ${args.action}: ${checked} complete load(s) checked, ${damaged} damaged${repair && damaged > 0 ? ', repaired (sealed loads are resealed by the miner)' : ''}${stillMissing}`);
    if (!repair && damaged + forgotten.length > 0) process.exitCode = 2;
  },
};
