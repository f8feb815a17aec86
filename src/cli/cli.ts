/**
 * The yargs CLI factory, shared by the bin and by tests (lodestar's `getLodestarCli`).
 * Every flag can also come from a `ZG_MINER_<FLAG>` environment variable. Commands are rows of
 * ./commands.ts, loaded only when they run: add new commands there, not here.
 */
import yargs, { type Argv } from 'yargs';
import { COMMANDS, lazyCommand } from './commands.js';
import { markStdin } from './stdinArg.js';
import { LOG_LEVELS, log, type LogLevel } from '../log/logger.js';
import { gitCommit, packageVersion } from '../buildInfo.js';

/** `zg-miner --version`: package version and commit (git is only asked when the flag is given). */
function versionText(argv: string[]): string {
  return argv.includes('--version') ? `zg-miner ${packageVersion()} (commit ${gitCommit()}, node ${process.version})` : packageVersion();
}

/** GPU miners' `--list-devices` flag is the `devices` command. */
function withDeviceAlias(argv: string[]): string[] {
  return argv.includes('--list-devices') ? ['devices', ...argv.filter((a) => a !== '--list-devices')] : argv;
}

export function getCli(argv: string[]): Argv {
  return yargs(markStdin(withDeviceAlias(argv)))
    .scriptName('zg-miner')
    .env('ZG_MINER')
    .option('log-level', { choices: LOG_LEVELS, default: 'info' as LogLevel, global: true, describe: 'least important log lines shown (debug adds Dawn/GPU driver messages)' })
    .option('log-file', { type: 'string', global: true, describe: 'also append the log to this file' })
    .middleware((a) => {
      log.configure({ level: a['log-level'] as LogLevel, ...(a['log-file'] !== undefined ? { file: a['log-file'] as string } : {}) });
      // A command printing JSON keeps stdout for the JSON: its log lines go to stderr.
      if (a['json'] === true) log.configure({ sinks: { out: (t) => process.stderr.write(t), err: (t) => process.stderr.write(t) } });
    })
    .command(COMMANDS.map(lazyCommand))
    .demandCommand(1, 'Name a command: zg-miner --help lists them.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .version('version', 'show version and commit', versionText(argv))
    .wrap(Math.min(110, process.stdout.columns || 110));
}
