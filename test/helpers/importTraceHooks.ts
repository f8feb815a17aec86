/**
 * Module-loader hooks (run on Node's hooks thread): every module URL the process loads through the
 * ESM loader is appended, one per line, to the file named by ZG_IMPORT_TRACE. CommonJS packages
 * imported from ESM pass here too (their entry file), which is all the lazy-loading test needs.
 */
import { appendFileSync } from 'node:fs';

interface LoadContext { format?: string | null | undefined }
type NextLoad = (url: string, context: LoadContext) => Promise<unknown>;

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<unknown> {
  const file = process.env['ZG_IMPORT_TRACE'];
  if (file !== undefined) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
