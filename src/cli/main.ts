#!/usr/bin/env node
/**
 * zg-miner entry point. Expected errors (usage, bad input, operational) print one line and exit
 * 1; anything else is a bug and prints its stack. Commands set process.exitCode themselves when
 * they end normally with a verdict (verify: 2 = invalid).
 */
import { hideBin } from 'yargs/helpers';
import { getCli } from './cli.js';
import { isExpectedError } from '../errors.js';
import { log } from '../log/logger.js';

function reportError(e: unknown): void {
  if (isExpectedError(e)) {
    process.stderr.write(`zg-miner: ${e.message.split('\n')[0]}\n`);
  } else if (e instanceof Error) {
    process.stderr.write(`zg-miner: internal error (a bug, please report it):\n${e.stack ?? e.message}\n`);
  } else {
    process.stderr.write(`zg-miner: internal error: ${String(e)}\n`);
  }
  process.exitCode = 1;
}

try {
  await getCli(hideBin(process.argv))
    .fail((msg, err) => {
      // yargs validation messages (unknown flag, missing argument) are usage errors.
      if (err) throw err;
      process.stderr.write(`zg-miner: ${msg}\n`);
      process.stderr.write('Run zg-miner --help for usage.\n');
      process.exit(1);
    })
    .parseAsync();
} catch (e) {
  reportError(e);
} finally {
  // Pending repeated-event summaries, then the log file.
  log.close();
}
