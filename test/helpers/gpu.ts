/**
 * GPU test gate and helpers. Without a WebGPU adapter the GPU suites skip on a developer machine
 * but fail under CI=true (CI installs lavapipe with .ci/gpu-setup.sh, so no adapter there is a bug).
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasGpuAdapter } from '../../src/gpu/device.js';
import { xorshiftStream } from './random.js';
import { vectorFile } from './vectors.js';

export interface GpuGate {
  /** Pass as the `skip` option of a suite: a reason, or false when an adapter exists. */
  skip: string | false;
}

/** Checks for an adapter; under CI=true a missing adapter registers a failing test. */
export async function gpuGate(): Promise<GpuGate> {
  if (await hasGpuAdapter()) return { skip: false };
  if (process.env.CI === 'true') {
    test('a WebGPU adapter is available (CI=true)', () => {
      assert.fail('no WebGPU adapter under CI=true: run .ci/gpu-setup.sh (Mesa lavapipe from bookworm-backports)');
    });
  }
  return { skip: 'no WebGPU adapter here (under CI=true this is a failure)' };
}

/** Deterministic bytes from a seed (xorshift32), for reproducible "random" inputs. */
export function seededBytes(seed: number, n: number): Uint8Array {
  return xorshiftStream((seed * 2654435761) >>> 0)(n);
}

export function seededBigInt(seed: number, bits: number): bigint {
  const b = seededBytes(seed, Math.ceil(bits / 8));
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v & ((1n << BigInt(bits)) - 1n);
}

export interface VectorFile<T> {
  cases: T[];
}

export function loadVectors<T>(name: string): VectorFile<T> {
  return JSON.parse(readFileSync(vectorFile(name), 'utf8')) as VectorFile<T>;
}
