/** The commands table repeats each command's name and help line; they must equal the module's own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS } from '../../src/cli/commands.js';

test('commands table: every row names and describes its command exactly as the module does', async () => {
  assert.ok(COMMANDS.length >= 8);
  for (const row of COMMANDS) {
    const mod = await row.load();
    assert.deepEqual(mod.command, row.command, String(row.command));
    assert.equal(mod.describe, row.describe, String(row.command));
    assert.equal(typeof mod.handler, 'function', String(row.command));
  }
});
