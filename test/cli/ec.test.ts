/**
 * `zg-miner ec` as a user runs it: encode → delete and corrupt shards → verify → reconstruct gives
 * the file and the shard files back; more than m lost, bad parameters, empty input and lying
 * manifests are one-line errors that write nothing. Shards are checked against the Rust crate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { Prng } from '../helpers/random.js';
import { loadRustCrate } from '../../src/erasure/rustCrate.js';
import { createReferenceCoder } from '../../src/ec/referenceCoder.js';
import { encodeFile, reconstructFolder, verifyFolder } from '../../src/erasure/shardFiles.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'zg-ec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const oneLine = (s: string): void => assert.match(s, /^zg-miner: [^\n]+\n$/, s);

test('ec encode -> lose m shards (missing and corrupted) -> verify -> reconstruct gives the file and shards back', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'data.bin');
  const bytes = new Prng('ec-cli').bytes(1_234_567);
  writeFileSync(file, bytes);
  const out = join(dir, 'shards');
  const enc = runCli(['ec', 'encode', file, '--data', '5', '--parity', '3', '--out', out, '--backend', 'cpu']);
  assert.equal(enc.status, 0, enc.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.dataShards, 5);
  assert.equal(manifest.shardSize, Math.ceil(bytes.length / 5));
  const originals = manifest.shards.map((s: { file: string }) => readFileSync(join(out, s.file)));

  // The shards are what klauspost / the Rust crate produce: data = the file split, parity = crate encode.
  const crate = loadRustCrate();
  if (crate !== null) {
    const S = manifest.shardSize;
    const flat = new Uint8Array(8 * S);
    flat.set(bytes);
    crate.encode(flat, 5, 3);
    originals.forEach((o: Buffer, i: number) => assert.deepEqual(new Uint8Array(o), flat.subarray(i * S, (i + 1) * S), `shard ${i}`));
  }

  unlinkSync(join(out, 'data.bin.1'));
  const corrupt = readFileSync(join(out, 'data.bin.6'));
  corrupt[100] = corrupt[100]! ^ 0x40;
  writeFileSync(join(out, 'data.bin.6'), corrupt);
  writeFileSync(join(out, 'data.bin.3'), 'short');
  const v = runCli(['ec', 'verify', out]);
  assert.equal(v.status, 2);
  assert.match(v.stdout, /^shard 1 \(data\.bin\.1\): missing$/m);
  assert.match(v.stdout, /^shard 3 \(data\.bin\.3\): corrupted \(5 bytes/m);
  assert.match(v.stdout, /^shard 6 \(data\.bin\.6\): corrupted \(SHA-256/m);
  assert.match(v.stdout, /5 ok, 1 missing, 2 corrupted: recoverable/);

  const back = join(dir, 'back.bin');
  const r = runCli(['ec', 'reconstruct', out, '--out', back, '--backend', 'cpu']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /restored shard\(s\) 1, 3, 6/);
  assert.deepEqual(new Uint8Array(readFileSync(back)), bytes);
  originals.forEach((o: Buffer, i: number) => assert.deepEqual(readFileSync(join(out, manifest.shards[i].file)), o, `shard ${i} restored`));
  assert.equal(runCli(['ec', 'verify', out]).status, 0);
});

test('more than m shards lost: a one-line error and no output file', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f');
  writeFileSync(file, new Prng('ec-over').bytes(10_000));
  const out = join(dir, 's');
  assert.equal(runCli(['ec', 'encode', file, '--data', '4', '--parity', '2', '--out', out, '--backend', 'cpu']).status, 0);
  for (const i of [0, 2, 5]) unlinkSync(join(out, `f.${i}`));
  const r = runCli(['ec', 'reconstruct', out, '--out', join(dir, 'back'), '--backend', 'cpu']);
  assert.equal(r.status, 1);
  oneLine(r.stderr);
  assert.match(r.stderr, /3 of 6 shards are missing or corrupted \(0, 2, 5\); at most 2 can be rebuilt/);
  assert.equal(existsSync(join(dir, 'back')), false);
  assert.match(runCli(['ec', 'verify', out]).stdout, /NOT recoverable/);
});

test('bad parameters and empty input are one-line errors', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f');
  writeFileSync(file, 'hello');
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  const cases: [string[], RegExp][] = [
    [['ec', 'encode', file, '--data', '0', '--parity', '2', '--out', join(dir, 'a'), '--backend', 'cpu'], /data shards must be an integer >= 1/],
    [['ec', 'encode', file, '--data', '200', '--parity', '57', '--out', join(dir, 'a'), '--backend', 'cpu'], /at most 256/],
    [['ec', 'encode', empty, '--data', '2', '--parity', '1', '--out', join(dir, 'a'), '--backend', 'cpu'], /is empty/],
    [['ec', 'encode', join(dir, 'nope'), '--data', '2', '--parity', '1', '--out', join(dir, 'a'), '--backend', 'cpu'], /not a readable file/],
    [['ec', 'verify', dir], /no manifest/],
    [['bench', 'ec', '--backend', 'cpu', '--data', '0'], /data shards must be/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 1, args.join(' '));
    oneLine(r.stderr);
    assert.match(r.stderr, re);
  }
});

test('a manifest that lies is a one-line error and nothing is written', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f');
  writeFileSync(file, new Prng('ec-lie').bytes(50_000));
  const out = join(dir, 's');
  assert.equal(runCli(['ec', 'encode', file, '--data', '4', '--parity', '2', '--out', out, '--backend', 'cpu']).status, 0);
  const path = join(out, 'manifest.json');
  const good = readFileSync(path, 'utf8');
  const lies: [(m: Record<string, unknown>) => void, RegExp][] = [
    [(m) => (m['shardSize'] = 12_000), /"shardSize" 12000 disagrees with fileSize 50000/],
    [(m) => (m['dataShards'] = 0), /data shards must be an integer >= 1/],
    [(m) => (m['fileSha256'] = '0x' + '11'.repeat(32)), /the rebuilt file's SHA-256 is 0x[0-9a-f]{64}, the manifest says 0x1111/],
    [(m) => ((m['shards'] as { file: string }[])[1]!.file = '../escape'), /must be a plain file name/],
    [(m) => (m['shards'] as unknown[]).pop(), /"shards" must list 6 shards/],
  ];
  for (const [lie, re] of lies) {
    const m = JSON.parse(good);
    lie(m);
    writeFileSync(path, JSON.stringify(m));
    const r = runCli(['ec', 'reconstruct', out, '--out', join(dir, 'back'), '--backend', 'cpu']);
    assert.equal(r.status, 1, re.source);
    oneLine(r.stderr);
    assert.match(r.stderr, re);
    assert.equal(existsSync(join(dir, 'back')), false);
  }
  writeFileSync(path, '{ not json');
  oneLine(runCli(['ec', 'verify', out]).stderr);
});

test('files stream in column chunks: a 64 KiB chunk over 300 KiB shards encodes and reconstructs', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big');
  const bytes = new Prng('ec-stream').bytes(3 * 300 * 1024 + 17);
  writeFileSync(file, bytes);
  const coder = createReferenceCoder();
  const chunk = 64 << 10;
  const mf = await encodeFile(coder, file, join(dir, 's'), { k: 3, m: 2 }, undefined, chunk);
  const whole = await encodeFile(coder, file, join(dir, 'w'), { k: 3, m: 2 });
  assert.deepEqual(mf.shards, whole.shards, 'chunked and one-piece encodes agree');
  unlinkSync(join(dir, 's', 'big.0'));
  unlinkSync(join(dir, 's', 'big.4'));
  const r = await reconstructFolder(coder, join(dir, 's'), join(dir, 'back'), undefined, chunk);
  assert.deepEqual(r.restored, [0, 4]);
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'back'))), bytes);
  assert.deepEqual((await verifyFolder(join(dir, 's'))).bad, []);
});
