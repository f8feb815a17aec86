/**
 * `selftest` on a non-CPU backend counts apart the passes the CPU reference decided (pora-edge
 * reverts, merkle, file-root, rs trials that never reach the coder), so they never read as that backend's passes: with a kernel that
 * gets every output wrong, the only passes left are exactly those.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/backend/referenceBackend.js';
import type { PoraBackend } from '../../src/backend/backend.js';
import { cpuJudgedLines, runSelftest, summaryLine } from '../../src/selftest/selftest.js';
import { expectedCpuJudged, expectedSelftestCounts, vectorsDir } from '../helpers/vectors.js';
import { createReferenceCoder } from '../../src/ec/referenceCoder.js';
import type { ErasureCoder } from '../../src/ec/coder.js';

const dir = vectorsDir();
const ref = createReferenceBackend();
const asGpu = (b: PoraBackend): PoraBackend => ({ ...b, info: { ...b.info, kind: 'gpu' } });
const coder = createReferenceCoder();
/** An erasure coder whose every output is wrong. */
const wrongCoder: ErasureCoder = { ...coder, apply: async (_m, stripes) => stripes.forEach((s) => s.outputs.forEach((o) => o.fill(0xee))) };

test('a correct backend: every check passes, the CPU-decided ones counted apart and named', async () => {
  const { passed, skipped } = expectedSelftestCounts(dir);
  const onCpu = expectedCpuJudged(dir);
  const fails: string[] = [];
  const c = await runSelftest(dir, asGpu(ref), coder, (l) => fails.push(l));
  assert.deepEqual(fails, []);
  assert.equal(c.passed, passed);
  assert.equal(c.passedOnCpu.length, onCpu);
  assert.equal(summaryLine(c, 'gpu'), `selftest: ${passed - onCpu} passed on gpu, ${onCpu} passed on the CPU reference, 0 failed, ${skipped} skipped`);
  assert.equal(summaryLine(c, 'cpu'), `selftest: ${passed} passed, 0 failed, ${skipped} skipped`, 'the CPU backend line is unchanged');
  assert.equal(cpuJudgedLines(c).reduce((n, l) => n + l.split(' #').length - 1, 0), onCpu);
});

test('a kernel that is wrong everywhere passes only what the CPU decided', async () => {
  const wrong: PoraBackend = {
    ...asGpu(ref),
    evaluate: async (inputs) => (await ref.evaluate(inputs)).map((e) => ({ ...e, quality: new Uint8Array(32).fill(0xee) })),
    seal: async (inputs) => inputs.map(() => new Uint8Array(4096).fill(0xee)),
  };
  const c = await runSelftest(dir, wrong, wrongCoder, () => {});
  assert.ok(c.failed > 0);
  assert.equal(c.passed, expectedCpuJudged(dir));
  assert.equal(c.passedOnCpu.length, c.passed);
  assert.match(summaryLine(c, 'gpu'), /^selftest: 0 passed on gpu, \d+ passed on the CPU reference, [1-9]\d* failed, \d+ skipped$/);
});
