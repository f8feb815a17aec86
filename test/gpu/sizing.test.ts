import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBenchRange } from '../../src/gpu/benchRange.js';
import { defaultBatch } from '../../src/gpu/gpuBackend.js';
import { grid } from '../../src/gpu/kernels.js';

// Pure sizing helpers: no adapter needed.

test('defaultBenchRange: 8 GiB on a hardware adapter, split into bindings; 64 MiB on a software one', () => {
  const h100 = defaultBenchRange({ adapter: 'NVIDIA: 580.159.04 / nvidia', loadsPerBinding: 8191 });
  assert.deepEqual(h100, { loads: 32768, bytes: 8 * 2 ** 30, bindings: 5 });
  const lvp = defaultBenchRange({ adapter: 'llvmpipe: Mesa 25.0.7 / mesa / software', loadsPerBinding: 512 });
  assert.deepEqual(lvp, { loads: 256, bytes: 64 << 20, bindings: 1 });
  assert.equal(defaultBenchRange({ adapter: 'NVIDIA', loadsPerBinding: 8191 }, 20).loads, 81920);
});

test('defaultBatch: bounded by the 16 KiB-per-nonce pad buffer in one binding', () => {
  assert.equal(defaultBatch({ maxStorageBufferBindingSize: 2147483644, maxBufferSize: 2 ** 40 }, false), 131071);
  assert.equal(defaultBatch({ maxStorageBufferBindingSize: 2 ** 32, maxBufferSize: 2 ** 40 }, false), 131072);
  assert.equal(defaultBatch({ maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 }, true), 1024);
  assert.equal(defaultBatch({ maxStorageBufferBindingSize: 8 << 20, maxBufferSize: 256 << 20 }, false), 512);
});

test('grid: 1-D up to the per-dimension limit, then 2-D covering every invocation', () => {
  assert.deepEqual(grid(100, 64, 65535), [2, 1]);
  const [x, y] = grid(131071 * 64, 64, 65535);
  assert.ok(x <= 65535 && x * y * 64 >= 131071 * 64);
  assert.equal(y, 3);
});
