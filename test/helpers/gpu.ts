/**
 * GPU test gate and helpers. Without a WebGPU adapter the GPU suites skip on a developer machine
 * but fail under CI=true (CI installs lavapipe with .ci/gpu-setup.sh, so no adapter there is a bug).
 */
import { existsSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasGpuAdapter } from '../../src/gpu/device.js';
import { xorshiftStream } from './random.js';

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

/** The golden vectors folder: $ZG_VECTORS_DIR, else ../shared/vectors beside the checkout. */
export function vectorsDir(): string {
  const candidates = [
    process.env.ZG_VECTORS_DIR,
    new URL('../../../../shared/vectors/', import.meta.url).pathname,
    new URL('../../../../../shared/vectors/', import.meta.url).pathname,
    '/work/shared/vectors/',
  ].filter((x): x is string => typeof x === 'string');
  for (const c of candidates) if (existsSync(c + '/pora-public.json')) return c;
  throw new Error(`golden vectors not found (tried ${candidates.join(', ')}); set ZG_VECTORS_DIR`);
}

export interface VectorFile<T> {
  cases: T[];
}

export function loadVectors<T>(name: string): VectorFile<T> {
  return JSON.parse(readFileSync(`${vectorsDir()}/${name}`, 'utf8')) as VectorFile<T>;
}
