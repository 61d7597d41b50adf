import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';

type Feeds = ort.InferenceSession.FeedsType;

/** Ten runs first, so that the timed ones see a warm session (allocations made, caches filled). */
export async function warmUpSession(session: ort.InferenceSession, feeds: readonly Feeds[]): Promise<void> {
  for (let i = 0; i < 10; i++) await session.run(feeds[i % feeds.length]!);
}

/** Runs back to back for `seconds`, cycling through `feeds`: each run's time and the whole span. */
export async function timeSessionRuns(
  session: ort.InferenceSession,
  feeds: readonly Feeds[],
  seconds: number,
): Promise<{ times: number[]; elapsedMs: number }> {
  const times: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    const t0 = performance.now();
    await session.run(feeds[times.length % feeds.length]!);
    times.push(performance.now() - t0);
  }
  return { times, elapsedMs: performance.now() - started };
}
