/**
 * yargs drops a lone `-` argument (it parses it as an empty short option), so the CLI swaps it
 * for this marker before parsing and commands that read stdin swap it back (`verify -`).
 */
export const STDIN_MARK = '\u0000stdin';

export function markStdin(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '-' ? STDIN_MARK : a));
}

export function unmarkStdin(a: string): string {
  return a === STDIN_MARK ? '-' : a;
}
