/**
 * THE COMMANDS TABLE. Every top-level command of zg-miner is one row here, and a new command must
 * be added as a row (not as a static import in cli.ts): the row's module is imported only when its
 * command runs (or its --help is shown), so `zg-miner verify` does not pay for ethers, webgpu,
 * prom-client and the miner (test/cli/lazyLoading.test.ts fails when a heavy module creeps in).
 *
 * `command` and `describe` are repeated here so `zg-miner --help` can list every command without
 * loading any of them; test/unit/commandsTable.test.ts checks that they equal the module's own.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';

export interface CommandRow {
  /** yargs command string(s), exactly as the module's CommandModule.command. */
  command: string | readonly string[];
  /** one-line help text, exactly as the module's CommandModule.describe. */
  describe: string;
  /** imports the command's module (only when the command runs). */
  load: () => Promise<CommandModule<object, any>>;
}

export const COMMANDS: readonly CommandRow[] = [
  {
    command: ['mine', '$0'],
    describe: 'Mine against the PoraMine contract named in the config (the default command)',
    load: async () => (await import('./cmds/mine.js')).mineCommand,
  },
  {
    command: 'devnet',
    describe: 'Local chain with the real 0G contracts, sample data and a miner (the quick start)',
    load: async () => (await import('./cmds/devnet.js')).devnetCommand,
  },
  {
    command: 'import <paths..>',
    describe: "Add files (or every file of a directory) to the data dir, each checked against its Flow transaction's node roots",
    load: async () => (await import('./cmds/import.js')).importCommand,
  },
  {
    command: 'verify <files..>',
    describe: 'Check mining proofs offline with the PoraMine contract verdicts ({answer, view} JSON files, directories, - for JSON lines; see README)',
    load: async () => (await import('./cmds/verify.js')).verifyCommand,
  },
  {
    command: 'selftest',
    describe: 'Check golden test vectors (pora, pora-edge, unseal, merkle, rs, file-root) byte for byte',
    load: async () => (await import('./cmds/selftest.js')).selftestCommand,
  },
  {
    command: 'bench',
    describe: 'Benchmarks (default: hashrate)',
    load: async () => (await import('./cmds/bench.js')).benchCommand,
  },
  {
    command: 'devices',
    describe: 'List GPU (WebGPU) adapters: backend, limits, features',
    load: async () => (await import('./cmds/devices.js')).devicesCommand,
  },
  {
    command: 'ec',
    describe: 'Reed-Solomon erasure coding of files (encode, verify, reconstruct)',
    load: async () => (await import('./cmds/ec.js')).ecCommand,
  },
  {
    command: 'store <action>',
    describe: 'Check the data dir for damage (check), or repair it (repair): sealed loads re-hashed against their roots, roots, follower state',
    load: async () => (await import('./cmds/store.js')).storeCommand,
  },
  {
    command: 'serve',
    describe: 'Serve the storage node zgs JSON-RPC (SDK uploads/downloads, data for other miners) from a data dir, without mining',
    load: async () => (await import('./cmds/serve.js')).serveCommand,
  },
];

/**
 * The yargs command for a row: its builder and handler import the module on first use. yargs
 * awaits a builder's promise, so options and subcommands are registered before parsing goes on.
 */
export function lazyCommand(row: CommandRow): CommandModule {
  let loaded: Promise<CommandModule<object, any>> | undefined;
  const load = (): Promise<CommandModule<object, any>> => (loaded ??= row.load());
  return {
    command: row.command as string | string[],
    describe: row.describe,
    builder: async (y: Argv) => {
      const { builder } = await load();
      if (typeof builder === 'function') return (await builder(y)) as Argv;
      return builder !== undefined ? y.options(builder) : y;
    },
    handler: async (args: ArgumentsCamelCase) => {
      const { handler } = await load();
      await handler(args);
    },
  };
}
