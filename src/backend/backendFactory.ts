// Temporary (lead): replaced by the cpu branch's factory on merge.
import type { PoraBackend } from './backend.js';
import { createReferenceBackend } from './referenceBackend.js';
export async function createBackend(_opts: { backend: 'auto' | 'cpu' | 'gpu'; threads?: number; cpuPercentage?: number; gpu?: Record<string, unknown> }): Promise<PoraBackend> {
  return createReferenceBackend();
}
