/**
 * The inputs of `zg-miner verify`: answer files, directories (their *.json files, sorted by
 * name, not recursive) and `-` (JSON lines on stdin, one {answer, view} per non-empty line), as
 * one stream of BatchItems in command-line order. A file that cannot be read becomes an item with
 * its error, so one bad file costs one `error:` line, not the batch.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BatchItem } from './verifyItem.js';

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function readItem(file: string): Promise<BatchItem> {
  try {
    return { label: file, text: await readFile(file, 'utf8') };
  } catch (e) {
    return { label: file, text: null, readError: `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
}

/** Directory entries that are answer files: *.json, by name. */
async function answerFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

export async function* batchInputs(args: readonly string[], stdin: Readable): AsyncGenerator<BatchItem> {
  for (const arg of args) {
    if (arg === '-') {
      let n = 0;
      for await (const line of createInterface({ input: stdin, crlfDelay: Infinity })) {
        n++;
        if (line.trim() !== '') yield { label: `-:${n}`, text: line };
      }
    } else if (await isDirectory(arg)) {
      for (const f of await answerFiles(arg)) yield await readItem(f);
    } else {
      yield await readItem(arg);
    }
  }
}
