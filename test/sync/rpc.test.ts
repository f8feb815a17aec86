import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startRpcServer } from '../../src/sync/rpcServer.js';
import { RpcClient, PeerError } from '../../src/sync/rpcClient.js';
import { BigIntLiteral, RawBinary, RawJson, invalidParams, parseJsonExact, uintParam } from '../../src/sync/jsonRpc.js';
import { decodeDataAnswer, decodeLoadAnswer, encodeBase64Arrays, encodeByteArrays } from '../../src/sync/wire.js';
import { PeerPool, identityMismatch } from '../../src/sync/peerPool.js';
import { MALFORMED_CASES, post, rawSocket } from '../helpers/rawHttp.js';
import { xorshiftStream } from '../helpers/random.js';

const randomBytes = (n: number, seed: number): Uint8Array => xorshiftStream(seed)(n);

const methods = {
  zgs_getStatus: () => ({ ok: true }),
  echo: (p: unknown[]) => p,
  need_uint: (p: unknown[]) => uintParam(p[0], 'txSeq'),
  raw: () => new RawJson('[1,2]'),
  bin: () => new RawBinary(new Uint8Array([0, 1, 255]), () => new RawJson('["AAH/"]')),
  boom: () => {
    throw new Error('disk on fire');
  },
};

test('rpc server: malformed requests get JSON-RPC errors and the server keeps answering', async () => {
  const internal: string[] = [];
  const s = await startRpcServer({ address: '127.0.0.1:0', methods, maxBodyBytes: 1 << 20, maxBatch: 64, onInternalError: (m) => internal.push(m) });
  try {
    for (const c of MALFORMED_CASES) {
      const body = typeof c.body === 'function' ? c.body() : c.body;
      const a = await post(s.url, body);
      const big = Buffer.byteLength(body) > 1 << 20;
      assert.equal(a.status, big ? 413 : 200, c.name);
      const v = JSON.parse(a.text) as { error?: { code: number } };
      assert.equal(v.error?.code, big ? -32600 : c.expectCode, `${c.name}: ${a.text.slice(0, 200)}`);
    }
    // Oversized body, declared honestly and lied about (chunked, no content-length).
    const huge = Buffer.alloc((1 << 20) + 10, 0x20);
    assert.equal((await post(s.url, huge)).status, 413);
    const chunked = await rawSocket(s.url, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(2 << 20).toString(16)}\r\n${' '.repeat(2 << 20)}\r\n0\r\n\r\n`);
    assert.match(chunked, /^HTTP\/1\.1 413/);
    // Wrong types inside params: an error object, not a crash.
    const wrong = JSON.parse((await post(s.url, '{"jsonrpc":"2.0","id":3,"method":"need_uint","params":[{"x":1}]}')).text) as { id: number; error: { code: number; message: string } };
    assert.equal(wrong.id, 3);
    assert.equal(wrong.error.code, -32602);
    assert.match(wrong.error.message, /txSeq/);
    // A throwing handler: -32603, logged.
    const boom = JSON.parse((await post(s.url, '{"jsonrpc":"2.0","id":4,"method":"boom"}')).text) as { error: { code: number } };
    assert.equal(boom.error.code, -32603);
    assert.deepEqual(internal, ['boom']);
    // GET is refused with a JSON error.
    assert.equal((await post(s.url, '', {}, 'GET')).status, 405);
    // Still alive and correct afterwards.
    const ok = JSON.parse((await post(s.url, '{"jsonrpc":"2.0","id":5,"method":"zgs_getStatus"}')).text) as { result: unknown };
    assert.deepEqual(ok.result, { ok: true });
  } finally {
    await s.close();
  }
});

test('rpc server: ids above 2^53 and big integer params keep their digits; no params; batches; notifications; raw results', async () => {
  const s = await startRpcServer({ address: '127.0.0.1:0', methods });
  try {
    // What the SDK's transport sends: (Date.now() + Math.random()) * 10000, above 2^53.
    const a = await post(s.url, '{"jsonrpc":"2.0","id":17649876543210123,"method":"zgs_getStatus"}');
    assert.match(a.text, /"id":17649876543210123,/);
    const b = await post(s.url, '{"jsonrpc":"2.0","id":1,"method":"need_uint","params":[18446744073709551615]}');
    assert.match(b.text, /"result":18446744073709551615}/);
    const c = await post(s.url, '[{"jsonrpc":"2.0","id":"x","method":"raw"},{"jsonrpc":"2.0","method":"echo","params":[1]},{"jsonrpc":"2.0","id":2,"method":"echo","params":["s",1.5]}]');
    assert.deepEqual(JSON.parse(c.text), [
      { jsonrpc: '2.0', id: 'x', result: [1, 2] },
      { jsonrpc: '2.0', id: 2, result: ['s', 1.5] },
    ]);
    const n = await post(s.url, '{"jsonrpc":"2.0","method":"echo","params":[1]}');
    assert.equal(n.status, 204);
    // A binary result is the raw body of a single request; inside a batch it is its JSON form.
    const client = new RpcClient(s.url);
    try {
      const one = await client.callAnswer('bin', []);
      assert.equal(one.binary, true);
      assert.deepEqual([...one.body], [0, 1, 255]);
      await assert.rejects(client.call('bin'), (e: unknown) => e instanceof PeerError && e.reason === 'garbage');
      assert.deepEqual(await client.callBatch('bin', [[], []]), [['AAH/'], ['AAH/']]);
      assert.deepEqual(await client.callBatch('echo', [[1], ['x']]), [[1], ['x']]);
      await assert.rejects(client.callBatch('boom', [[]]), (e: unknown) => e instanceof PeerError && e.reason === 'rpc');
    } finally {
      client.close();
    }
  } finally {
    await s.close();
  }
});

test('parseJsonExact: strings and decimals are untouched, only long integer literals become BigIntLiteral', () => {
  const v = parseJsonExact('{"a":"12345678901234567890","b":1.23456789012345678,"c":-12345678901234567890,"d":[1e20]}') as Record<string, unknown>;
  assert.equal(v['a'], '12345678901234567890');
  assert.equal(v['b'], 1.23456789012345678);
  assert.ok(v['c'] instanceof BigIntLiteral);
  assert.equal((v['c'] as BigIntLiteral).digits, '-12345678901234567890');
  assert.deepEqual(v['d'], [1e20]);
  assert.throws(() => uintParam(v['c'], 'x'), /x: expected an unsigned integer/);
  assert.equal(invalidParams('why').data, 'why');
});

test('rpc client: timeouts, HTTP errors, garbage, oversize and JSON-RPC errors become PeerErrors with a reason', async () => {
  let mode = 'stall';
  const srv = createServer((req, res) => {
    req.resume();
    if (mode === 'stall') return; // never answers
    if (mode === 'http') return void res.writeHead(502).end('bad gateway');
    if (mode === 'garbage') return void res.writeHead(200).end('<html>hello</html>');
    if (mode === 'big') return void res.writeHead(200).end(Buffer.alloc(5000, 0x20));
    if (mode === 'rpcerr') return void res.writeHead(200).end('{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}');
    res.writeHead(200).end('{"jsonrpc":"2.0","id":1,"result":{"x":1}}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const client = new RpcClient(`http://127.0.0.1:${port}`, { timeoutMs: 300, maxResponseBytes: 1000 });
  const reasonOf = async (): Promise<string> => {
    try {
      await client.call('zgs_getStatus');
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof PeerError, String(e));
      return e.reason;
    }
  };
  try {
    for (const [m, want] of [['stall', 'timeout'], ['http', 'http'], ['garbage', 'garbage'], ['big', 'too-large'], ['rpcerr', 'rpc'], ['ok', 'ok']] as const) {
      mode = m;
      assert.equal(await reasonOf(), want, m);
    }
  } finally {
    client.close();
    srv.closeAllConnections();
    srv.close();
  }
  const dead = new RpcClient(`http://127.0.0.1:${port}`, { timeoutMs: 300 });
  try {
    await assert.rejects(dead.call('x'), (e: unknown) => e instanceof PeerError && e.reason === 'network');
  } finally {
    dead.close();
  }
});

test('wire: load data as byte numbers and as base64 round-trips; garbage is refused', () => {
  const load = randomBytes(262144, 7);
  const tail = randomBytes(1000, 8);
  const wrap = (r: string | Buffer): Buffer => Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"result":'), Buffer.from(r), Buffer.from('}')]);
  const nums = decodeDataAnswer('m', wrap(encodeByteArrays([load, tail])));
  assert.equal(nums?.length, 2);
  assert.deepEqual(Buffer.from(nums![0]!), Buffer.from(load));
  assert.deepEqual(Buffer.from(nums![1]!), Buffer.from(tail));
  // What JSON.stringify writes (spaces are allowed too) parses the same.
  assert.deepEqual(decodeDataAnswer('m', wrap(JSON.stringify([[1, 2, 255], []]).replace(/,/g, ', '))), [new Uint8Array([1, 2, 255]), new Uint8Array(0)]);
  const b64 = decodeDataAnswer('m', wrap(encodeBase64Arrays([load])));
  assert.deepEqual(Buffer.from(b64![0]!), Buffer.from(load));
  assert.equal(decodeDataAnswer('m', wrap('null')), null);
  const two = decodeDataAnswer('m', wrap(` [ "${Buffer.from(tail).toString('base64')}" , "QQ==" ] `));
  assert.deepEqual(two?.map((p) => Buffer.from(p)), [Buffer.from(tail), Buffer.from('A')]);
  // Raw bytes: exactly one load, or garbage.
  assert.deepEqual(decodeLoadAnswer('m', { body: Buffer.from(load), binary: true }, 262144)?.map((p) => Buffer.from(p)), [Buffer.from(load)]);
  assert.throws(() => decodeLoadAnswer('m', { body: Buffer.from(tail), binary: true }, 262144), (e: unknown) => e instanceof PeerError && e.reason === 'garbage');
  // A run of loads back to back: one piece each, at most the count asked.
  const run = Buffer.concat([Buffer.from(load), Buffer.from(load).reverse()]);
  assert.deepEqual(decodeLoadAnswer('m', { body: run, binary: true }, 262144, 4)?.map((p) => Buffer.from(p)), [Buffer.from(load), Buffer.from(load).reverse()]);
  for (const [body, max] of [[run, 1], [Buffer.concat([run, Buffer.from(tail)]), 4], [Buffer.alloc(0), 4]] as const)
    assert.throws(() => decodeLoadAnswer('m', { body, binary: true }, 262144, max), (e: unknown) => e instanceof PeerError && e.reason === 'garbage');
  assert.equal(decodeLoadAnswer('m', { body: wrap('null'), binary: false }, 262144), null);
  for (const bad of ['[[1,2,256]]', '[[1,,2]]', '[[1,2]', '[["AAA*"]]', '[["Q==="]]', '[["AAA=AAAA"]]', '[["-_-_"]]', '[["QQ=="', '[["QQ==",]]', '[["QQ==" "QQ=="]]', '[["A\\AA"]]', '[[1,-2]]', '[[1,2]]x', '["QQ=="]x', '{"a":1}'])
    assert.throws(() => decodeDataAnswer('m', wrap(bad)), (e: unknown) => e instanceof PeerError && e.reason === 'garbage', bad);
  assert.throws(() => decodeDataAnswer('m', Buffer.from('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid params"}}')), (e: unknown) => e instanceof PeerError && e.reason === 'rpc');
});

test('peer pool: identity refusal names both sides; backoff then drop; a mismatch drops at once; concurrency is bounded', async () => {
  const expect = { chainId: 31337n, flowAddress: '0x' + 'ab'.repeat(20) };
  assert.equal(identityMismatch('http://p', { networkIdentity: { chainId: 31337, flowAddress: '0x' + 'AB'.repeat(20) } }, expect), null);
  const line = identityMismatch('http://p', { networkIdentity: { chainId: 16661, flowAddress: '0x' + 'cd'.repeat(20) } }, expect);
  assert.match(line!, /^peer http:\/\/p: it serves chain 16661, Flow 0xcdcd.*we mine chain 31337, Flow 0xabab.*: refused$/);
  assert.match(identityMismatch('http://p', {}, expect)!, /no networkIdentity/);

  let now = 1000;
  const lines: string[] = [];
  const log = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) };
  const pool = new PeerPool({ urls: ['http://127.0.0.1:1', 'http://127.0.0.1:2/'], expect, perPeer: 2, overall: 3, log, now: () => now });
  try {
    const [a, b] = pool.peers as [NonNullable<(typeof pool.peers)[0]>, NonNullable<(typeof pool.peers)[0]>];
    a.state = b.state = 'ready';
    assert.equal(pool.candidates(5n).length, 2);
    pool.failed(a, 'timeout', 'load 5: no answer');
    assert.equal(a.state, 'backoff');
    assert.deepEqual(pool.candidates(5n), [b]);
    now += 1001;
    assert.equal(pool.candidates(5n).length, 2);
    pool.failed(a, 'http', 'load 5: HTTP 502');
    pool.failed(a, 'garbage', 'load 5: garbage');
    assert.equal(a.state, 'dropped');
    pool.failed(b, 'mismatch', "load 17 does not match the chain's root");
    assert.equal(b.state, 'dropped');
    assert.ok(lines.includes("peer http://127.0.0.1:2: load 17 does not match the chain's root: dropped for 60 s"), lines.join('\n'));
    assert.deepEqual(pool.counts(), { probing: 0, ready: 0, backoff: 0, dropped: 2, refused: 0 });
    // Concurrency: 2 per peer, 3 overall.
    a.state = b.state = 'ready';
    const r1 = (await pool.acquire(a))!;
    const r2 = (await pool.acquire(a))!;
    let third = false;
    const p3 = pool.acquire(a).then((r) => ((third = true), r));
    const r4 = (await pool.acquire(b))!;
    let fifth = false;
    const p5 = pool.acquire(b).then((r) => ((fifth = true), r));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(third, false);
    assert.equal(fifth, false); // overall limit 3
    r1();
    const r3 = (await p3)!;
    assert.equal(fifth, false);
    r4();
    (await p5)!();
    r2();
    r3();
  } finally {
    pool.close();
  }
});
