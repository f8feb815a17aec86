/**
 * Version and commit of this build, for bench JSON lines, `zg_miner_info` and logs. The commit is
 * `ZGMINER_COMMIT` when set (a Docker build can bake it in), else git's short hash of the checkout,
 * else "unknown" (an npm install has no .git). Internal variables avoid the `ZG_MINER_` prefix:
 * yargs reads those as flags (`.env('ZG_MINER')`) and strict mode rejects unknown ones.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function gitCommit(): string {
  const fromEnv = process.env['ZGMINER_COMMIT'];
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
