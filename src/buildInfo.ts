/**
 * Version and commit of this build, for bench JSON lines, `zg_miner_info` and logs. The commit is
 * `ZG_MINER_COMMIT` when set (a Docker build bakes it in), else git's short hash of the checkout,
 * else "unknown" (an npm install has no .git).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function gitCommit(): string {
  const fromEnv = process.env['ZG_MINER_COMMIT'];
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** package.json's version (this file is src/ or dist/src/ below the package root). */
export function packageVersion(): string {
  for (const up of ['..', '../..']) {
    try {
      return (JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // try the next level
    }
  }
  return 'unknown';
}
