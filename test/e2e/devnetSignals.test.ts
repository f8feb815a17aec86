/**
 * Ctrl+C on `zg-miner devnet` (issue 9 item 2): during setup it stops the setup at once (it used
 * to go on uploading every sample file first); a second Ctrl+C forces the exit and still kills
 * anvil and removes the temp data dir (they were left behind). anvil's pid and the temp dir are
 * read from the devnet's own log lines.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { alive, killAll, startCli } from '../helpers/cliProcess.js';

after(killAll);

const anvilPid = (lines: string[]): number => Number(/anvil listening on .* pid (\d+)\)/.exec(lines.find((l) => /anvil listening/.test(l)) ?? '')?.[1]);
const dataDir = (lines: string[]): string => /data dir (\S+)$/.exec(lines.find((l) => /devnet: contracts from .* data dir/.test(l)) ?? '')?.[1] ?? '';

async function gone(pid: number, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (alive(pid) && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

test('devnet: Ctrl+C during setup stops it at once: exit 130, anvil stopped, temp dir removed', { timeout: 120_000 }, async () => {
  const run = startCli(['devnet', '--files', '400', '--backend', 'cpu', '--threads', '1']);
  await run.waitFor(/uploaded sample file 2\/400/, 90_000);
  const pid = anvilPid(run.lines);
  const dir = dataDir(run.lines);
  assert.ok(pid > 0 && dir !== '', run.lines.join('\n'));
  const t0 = Date.now();
  run.child.kill('SIGINT');
  const { code } = await run.exit;
  const ms = Date.now() - t0;
  assert.equal(code, 130, run.lines.slice(-10).join('\n'));
  assert.ok(ms < 10_000, `setup took ${ms} ms to stop`);
  const uploaded = run.lines.filter((l) => /uploaded sample file/.test(l)).length;
  assert.ok(uploaded < 400, 'the setup did not go on uploading');
  assert.ok(run.lines.some((l) => /devnet: interrupted during setup; anvil stopped/.test(l)), run.lines.slice(-5).join('\n'));
  assert.ok(await gone(pid, 5000), `anvil (pid ${pid}) still runs`);
  assert.equal(existsSync(dir), false, `${dir} left behind`);
});

test('devnet: a second Ctrl+C forces the exit and still kills anvil and removes the temp dir', { timeout: 240_000 }, async () => {
  const run = startCli(['devnet', '--files', '2', '--backend', 'cpu', '--threads', '1']);
  await run.waitFor(/devnet: mining;/, 180_000);
  const pid = anvilPid(run.lines);
  const dir = dataDir(run.lines);
  assert.ok(pid > 0 && existsSync(dir), run.lines.join('\n'));
  // The second as soon as the first is handled, while the clean stop (hundreds of ms) has only
  // begun: sent back to back, the kernel would merge the two into one.
  run.child.kill('SIGINT');
  await run.waitFor(/SIGINT: stopping/, 10_000);
  run.child.kill('SIGINT');
  const { code } = await run.exit;
  assert.equal(code, 130, run.lines.slice(-10).join('\n'));
  assert.ok(run.lines.includes('forced exit'), run.lines.slice(-5).join('\n'));
  assert.ok(await gone(pid, 5000), `anvil (pid ${pid}) still runs after the forced exit`);
  assert.equal(existsSync(dir), false, `${dir} left behind`);
});
