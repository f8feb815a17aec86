/**
 * End-to-end CPU backend hashrate with 1 and 2 worker threads (and all cores, when more) over
 * synthetic resident data: one JSON line per run, the shape `zg-miner bench --json` prints.
 *
 *   node dist/bench/hashrate.js [seconds=10] [rangeMiB=1024]
 */
import { availableParallelism } from 'node:os';
import { createCpuBackend } from '../src/backend/cpuBackend.js';
import { measureHashrate, syntheticResidentSource } from '../src/backend/hashrate.js';

const seconds = Number(process.argv[2] ?? 10);
const rangeMiB = Number(process.argv[3] ?? 1024);
const data = syntheticResidentSource(rangeMiB);
const counts = [...new Set([1, 2, availableParallelism()])];
const results: Record<number, number> = {};
const perCpuSecond: Record<number, number> = {};
for (const threads of counts) {
  const backend = await createCpuBackend({ threads });
  try {
    const r = await measureHashrate(backend, data, { seconds, rangeMiB });
    results[threads] = r.noncesPerSecond;
    perCpuSecond[threads] = Math.round((r.noncesPerSecond * r.seconds) / r.cpuSeconds);
    console.log(JSON.stringify(r));
  } finally {
    await backend.dispose();
  }
}
// On a machine shared with other work the wall-clock rates fall with the CPU time the threads
// actually got; nonces per CPU second (whole process) shows the speed per core that remained.
if (results[1] !== undefined && results[2] !== undefined)
  console.log(JSON.stringify({ scaling2over1: Math.round((results[2] / results[1]) * 100) / 100, noncesPerCpuSecond: perCpuSecond }));
