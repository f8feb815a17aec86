/**
 * Loads one of the optional native addons that `npm run build:native` builds from src/native into
 * src/native/build/Release (zg_aio for the loader, zg_stdio for the stderr capture). They are
 * optional: without a C compiler the build is skipped and each caller keeps its pure-JS path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** src/native/build/Release relative to this module: dist/src/ in a build, src/ otherwise. */
const RELEASE_DIRS = ['../../src/native/build/Release/', '../src/native/build/Release/'];

export type AddonLoad<T> = { addon: T; path: string } | { addon: null; reason: string };

/** `name`.node from the build, or from `override` (a path) when given; never throws. */
export function loadNativeAddon<T>(name: string, override?: string): AddonLoad<T> {
  const paths = override !== undefined && override !== '' ? [override] : RELEASE_DIRS.map((d) => fileURLToPath(new URL(`${d}${name}.node`, import.meta.url)));
  const found = paths.find((p) => existsSync(p));
  if (found === undefined) return { addon: null, reason: 'native addon not built (npm run build:native)' };
  try {
    return { addon: createRequire(import.meta.url)(found) as T, path: found };
  } catch (e) {
    return { addon: null, reason: `native addon ${found} failed to load (${(e as Error).message.split('\n')[0]})` };
  }
}
