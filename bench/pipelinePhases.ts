import type { Frame } from '../pipelines/types.js';
import { startInProcessAgent } from './inProcessAgent.js';
import { PredecodedSource } from './predecodedSource.js';
import type { BenchSiteOptions } from './benchSite.js';
import { total, type Sample } from './metricsText.js';
import { quantile, round, sleep } from './stats.js';

type SiteBase = Omit<BenchSiteOptions, 'cameras' | 'realtime' | 'analyticsFps' | 'motion' | 'stateDir' | 'metricsPort'>;

export interface PipelineFpsResult {
  readonly fps: number;
  readonly seconds: number;
  /** frames the decoder delivered that a newer one replaced while the model was busy */
  readonly droppedFps: number;
  /** share of wall time inside session.run */
  readonly inferenceBusy: number;
  /** mean ms per processed frame of each stage the agent times */
  readonly stageMs: Record<string, number>;
}

function stageMeans(before: readonly Sample[], after: readonly Sample[]): Record<string, number> {
  const means: Record<string, number> = {};
  for (const stage of ['preprocess', 'inference', 'postprocess', 'policy', 'publish']) {
    const count = total(after, 'c5_agent_stage_seconds_count', { stage }) - total(before, 'c5_agent_stage_seconds_count', { stage });
    const sum = total(after, 'c5_agent_stage_seconds_sum', { stage }) - total(before, 'c5_agent_stage_seconds_sum', { stage });
    if (count > 0) means[stage] = round((sum / count) * 1000, 3);
  }
  return means;
}

/**
 * The whole agent on `cameras` cameras at the most frames it takes: the clip decoded by ffmpeg as
 * fast as it goes (`predecoded` absent), or frames decoded in advance offered every 2 ms (the agent
 * behind its decoder). Either way more frames come than the model takes; the rest are dropped. A
 * camera's frames stay on one inference thread (WorkerPoolDetector), so it takes as many cameras
 * as threads to give the agent the same threads ONNX Runtime alone gets.
 */
export async function measurePipelineFps(
  site: SiteBase,
  env: NodeJS.ProcessEnv,
  warmupSeconds: number,
  windowSeconds: number,
  cameras: number,
  predecoded?: readonly Frame[],
): Promise<PipelineFpsResult> {
  const source = predecoded ? (camera: { id: string }) => new PredecodedSource(camera.id, predecoded, 2) : undefined;
  const agent = await startInProcessAgent({ ...site, cameras, realtime: false, analyticsFps: 10, motion: false }, env, source);
  try {
    await sleep(warmupSeconds * 1000);
    const before = await agent.scrape();
    const started = performance.now();
    await sleep(windowSeconds * 1000);
    const after = await agent.scrape();
    const seconds = (performance.now() - started) / 1000;
    const delta = (name: string, where: Record<string, string> = {}): number => total(after, name, where) - total(before, name, where);
    return {
      fps: round(delta('c5_agent_frames_total', { outcome: 'processed' }) / seconds),
      seconds: round(seconds),
      droppedFps: round(delta('c5_agent_frames_total', { outcome: 'dropped' }) / seconds),
      inferenceBusy: round(delta('c5_agent_stage_seconds_sum', { stage: 'inference' }) / seconds, 3),
      stageMs: stageMeans(before, after),
    };
  } finally {
    await agent.stop();
  }
}

export interface LatencyResult {
  readonly alerts: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly droppedFrames: number;
  readonly stageMs: Record<string, number>;
}

/** Frame capture to broker PUBACK of every alert, one real-time camera at `fps`. */
export async function measureLatency(
  site: SiteBase,
  env: NodeJS.ProcessEnv,
  fps: number,
  warmupSeconds: number,
  windowSeconds: number,
): Promise<LatencyResult> {
  const agent = await startInProcessAgent({ ...site, cameras: 1, realtime: true, analyticsFps: fps, motion: false }, env);
  try {
    await sleep(warmupSeconds * 1000);
    const before = await agent.scrape();
    const first = agent.frameToAlertMs.length;
    await sleep(windowSeconds * 1000);
    const after = await agent.scrape();
    const samples = agent.frameToAlertMs.slice(first);
    return {
      alerts: samples.length,
      p50: round(quantile(samples, 0.5)),
      p95: round(quantile(samples, 0.95)),
      p99: round(quantile(samples, 0.99)),
      max: round(quantile(samples, 1)),
      droppedFrames: total(after, 'c5_agent_frames_total', { outcome: 'dropped' }) - total(before, 'c5_agent_frames_total', { outcome: 'dropped' }),
      stageMs: stageMeans(before, after),
    };
  } finally {
    await agent.stop();
  }
}
