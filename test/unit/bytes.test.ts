/** fromHex (src/bytes.ts): the table decoder accepts exactly `0x` + pairs of hex digits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes.js';
import { Prng } from '../helpers/random.js';

test('fromHex decodes upper- and lower-case hex, and round-trips toHex', () => {
  assert.deepEqual([...fromHex('0x00ff10aBcD')], [0x00, 0xff, 0x10, 0xab, 0xcd]);
  assert.deepEqual([...fromHex('0x')], []);
  const prng = new Prng('bytes');
  for (const n of [1, 32, 4096]) {
    const b = prng.bytes(n);
    assert.deepEqual(fromHex(toHex(b), n), b);
    assert.deepEqual(fromHex(toHex(b).toUpperCase().replace('0X', '0x')), b);
  }
});

test('fromHex refuses every malformed input with the labelled error', () => {
  const good = '0x' + 'ab'.repeat(32);
  const cases = [
    'ab'.repeat(32), // no prefix
    '0X' + 'ab'.repeat(32), // capital X
    good + 'a', // odd length
    '0x' + 'g' + good.slice(3), // bad first digit
    good.slice(0, -1) + 'g', // bad last digit
    good.slice(0, 40) + ' ' + good.slice(41), // space inside
    good.slice(0, 40) + '\u0661' + good.slice(41), // a non-ASCII digit
    good.slice(0, 40) + '\u0100' + good.slice(41), // a code unit whose low byte is a digit's
  ];
  for (const c of cases) assert.throws(() => fromHex(c, undefined, 'f'), /^RangeError: f: expected 0x-prefixed hex with an even number of digits$/, JSON.stringify(c));
  assert.throws(() => fromHex(good, 31, 'f'), /^RangeError: f: expected 31 bytes, got 32$/);
  assert.throws(() => fromHex(7, 1, 'f'), /^TypeError: f: expected a 0x-prefixed hex string, got number/);
});
