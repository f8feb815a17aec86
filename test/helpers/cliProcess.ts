/** The built CLI as a long-running child process, read line by line (devnet/mine signal tests). */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './chain.js';

export interface CliProcess {
  child: ChildProcess;
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line matching `re` (rejects after `ms`, or when the process exits first). */
  waitFor(re: RegExp, ms: number): Promise<string>;
}

/** Every child started; `killAll()` in an after() hook so a failed assertion never leaves one behind. */
const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

export function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (l: string): void => {
    lines.push(l);
    if (process.env['ZG_DEBUG']) process.stderr.write(`# ${l}\n`);
    for (const w of [...waiters])
      if (w.re.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (b: Buffer) => {
      buf += b.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    lines,
    exit,
    waitFor(re, ms) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; last lines:\n${lines.slice(-15).join('\n')}`)), ms);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exit.then(({ code, signal }) => {
          clearTimeout(t);
          reject(new Error(`exited (${code ?? signal}) before a line matching ${re}; last lines:\n${lines.slice(-15).join('\n')}`));
        });
      });
    },
  };
}

/** True while process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
