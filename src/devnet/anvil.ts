/**
 * A local anvil (npm @foundry-rs/anvil's prebuilt binary) as a child process on 127.0.0.1.
 * `--hardfork prague` gives the EIP-2935 block-hash history the current contracts read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MinerError } from '../errors.js';

export interface AnvilNode {
  rpcUrl: string;
  port: number;
  chainId: number;
  /** Private keys of anvil's funded dev accounts (its well-known mnemonic). */
  keys: string[];
  stop(): Promise<void>;
  /** Kills anvil at once (SIGKILL), synchronously: for a forced exit that cannot wait for stop(). */
  kill(): void;
}

/** Where npm put the anvil binary (the platform package; its postinstall may not have run). */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const candidates: string[] = [];
  for (const pkg of ['@foundry-rs/anvil-linux-amd64', '@foundry-rs/anvil-linux-arm64', '@foundry-rs/anvil-darwin-arm64', '@foundry-rs/anvil-darwin-amd64']) {
    try {
      candidates.push(join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'anvil'));
    } catch {
      // not installed for this platform
    }
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new MinerError(
      'BAD_CONFIG',
      'anvil binary not found: run `npm install` (package @foundry-rs/anvil and its platform package); in Docker, devnet needs the devnet image (docker build --target devnet)'
    );
  return found;
}

/** The first 5 of the 10 keys anvil funds by default ("test test … junk" mnemonic). */
const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
];

/** Starts anvil on `opts.port`, or by default on a port the kernel picks (no race for a "free" port). */
export async function startAnvil(opts: { port?: number; log?: (line: string) => void } = {}): Promise<AnvilNode> {
  let port = opts.port ?? 0;
  const bin = anvilBinary();
  const child: ChildProcess = spawn(
    bin,
    ['--host', '127.0.0.1', '--port', String(port), '--hardfork', 'prague', '--gas-limit', '300000000', '--chain-id', '31337'],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let output = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new MinerError('TIMEOUT', `anvil did not start on 127.0.0.1:${port} within 30 s`)), 30_000);
    const onData = (b: Buffer): void => {
      output += b.toString();
      const listening = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (listening) {
        port = Number(listening[1]);
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new MinerError('BAD_CONFIG', `cannot start anvil (${bin}): ${e.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new MinerError('CHAIN_ERROR', `anvil exited with code ${code} before listening: ${output.trim().split('\n').pop() ?? ''}`));
    });
  });
  // Keep draining its output so the pipe never blocks it.
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  opts.log?.(`anvil listening on http://127.0.0.1:${port} (prague, pid ${child.pid})`);
  let stopped = false;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    chainId: 31337,
    keys: ANVIL_KEYS,
    kill(): void {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
