/**
 * Import boundaries (design: dependency direction): each third-party library in one folder, core/
 * pure, and nothing but cli/ composing the layers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

const SRC = join(REPO_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'wasm' ? [] : sourceFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** library → folders (relative to src/) allowed to import it. */
const OWNERS: Record<string, string[]> = {
  webgpu: ['gpu/'],
  ethers: ['chain/'],
  'prom-client': ['metrics/'],
  yargs: ['cli/'],
  '@noble/hashes': ['core/', 'bytes.ts'],
  'smol-toml': ['config/'],
};

test('each third-party library is imported in its one folder only', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    for (const spec of importsOf(file)) {
      for (const [lib, owners] of Object.entries(OWNERS)) {
        if (spec === lib || spec.startsWith(lib + '/')) {
          if (!owners.some((o) => rel === o || rel.startsWith(o))) bad.push(`${rel} imports ${spec}`);
        }
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('core/, verify/ and ec/ are pure: no node: I/O modules, no other layers', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    if (!rel.startsWith('core/') && !rel.startsWith('verify/') && !rel.startsWith('ec/')) continue;
    for (const spec of importsOf(file)) {
      if (spec.startsWith('node:')) bad.push(`${rel} imports ${spec}`);
      if (/^\.\.\/(gpu|chain|miner|metrics|cli|store|config|backend|erasure)\//.test(spec)) bad.push(`${rel} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('nothing imports cli/, and gpu/ and chain/ do not import each other or miner/', () => {
  const bad: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    for (const spec of importsOf(file)) {
      if (!rel.startsWith('cli/') && /(^|\/)cli\//.test(spec) && spec.startsWith('.')) bad.push(`${rel} imports ${spec}`);
      if (rel.startsWith('gpu/') && /\.\.\/(chain|miner)\//.test(spec)) bad.push(`${rel} imports ${spec}`);
      if (rel.startsWith('chain/') && /\.\.\/(gpu|miner)\//.test(spec)) bad.push(`${rel} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});
