/**
 * The measuring loop of the throughput benches: one warm-up run (JIT, pipelines, workers,
 * first-touch), then runs until `seconds` have passed (at least one). `fastest` is the quickest
 * single run: on a machine shared with other work preemption only ever adds time, so it is the
 * stable figure there, while runs / seconds shows what the load left.
 */
export async function repeatFor(seconds: number, step: () => Promise<unknown> | unknown): Promise<{ runs: number; seconds: number; fastest: number }> {
  await step();
  let runs = 0;
  let fastest = Infinity;
  const t0 = performance.now();
  let t = t0;
  do {
    await step();
    runs++;
    const now = performance.now();
    fastest = Math.min(fastest, (now - t) / 1000);
    t = now;
  } while (t - t0 < seconds * 1000);
  return { runs, seconds: (t - t0) / 1000, fastest };
}
