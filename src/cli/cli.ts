/**
 * The yargs CLI factory, shared by the bin and by tests (lodestar's `getLodestarCli`).
 * Every flag can also come from a `ZG_MINER_<FLAG>` environment variable.
 */
import yargs, { type Argv } from 'yargs';
import { mineCommand } from './cmds/mine.js';
import { devnetCommand } from './cmds/devnet.js';
import { importCommand } from './cmds/import.js';
import { verifyCommand } from './cmds/verify.js';
import { selftestCommand } from './cmds/selftest.js';
import { benchCommand } from './cmds/bench.js';
import { devicesCommand } from './cmds/devices.js';
import { ecCommand } from './cmds/ec.js';

export function getCli(argv: string[]): Argv {
  return yargs(argv)
    .scriptName('zg-miner')
    .env('ZG_MINER')
    .command(mineCommand)
    .command(devnetCommand)
    .command(importCommand)
    .command(verifyCommand)
    .command(selftestCommand)
    .command(benchCommand)
    .command(devicesCommand)
    .command(ecCommand)
    .demandCommand(1, 'Name a command: zg-miner --help lists them.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110));
}
