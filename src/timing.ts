/**
 * The measuring loop of the throughput benches: one warm-up run (JIT, pipelines, workers,
 * first-touch), then runs until `seconds` have passed (at least one).
 */
export async function repeatFor(seconds: number, step: () => Promise<unknown> | unknown): Promise<{ runs: number; seconds: number }> {
  await step();
  let runs = 0;
  const t0 = performance.now();
  do {
    await step();
    runs++;
  } while (performance.now() - t0 < seconds * 1000);
  return { runs, seconds: (performance.now() - t0) / 1000 };
}
