import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { getModelEntry } from '../pipelines/detect/modelRegistry.js';
import { DEFAULT_INFERENCE_THREAD, DEFAULT_INFERENCE_WORKERS, DEFAULT_SESSION_OPTIONS } from '../pipelines/config/inferenceSchema.js';
import { loadModelRegistry } from '../agent/inference/modelFiles.js';
import { resolveModelFile } from '../agent/inference/resolveModelFile.js';
import { resolveFfmpegPath } from '../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../agent/observe/logger.js';
import { benchEnv } from './benchEnv.js';
import { nearMiss, runTrial, runTrialWithRetry, searchCapacity, type CapacityResult, type TrialOptions, type TrialResult } from './capacity.js';
import { decodeClipFrames } from './clipFrames.js';
import { startLocalBroker } from './localBroker.js';
import { measureOrtOnly } from './ortOnly.js';
import { measureLatency, measurePipelineFps } from './pipelinePhases.js';
import { runSessionSweep } from './sessionSweep.js';
import { openBenchStream, type BenchStream, type BenchStreamKind } from './benchStream.js';
import { measureStreamLimit, type StreamLimit } from './streamLimit.js';
import { round } from './stats.js';
import { formatTable } from './table.js';

/**
 * `npm run bench`: ONNX Runtime alone against the whole agent on the shared model and clip, in
 * one run. Prints a table and writes bench/results.json. `--quick` shortens every window (for
 * trying the bench, not for figures); `--sweep` measures the session-option candidates instead.
 * `--stream sd|1080p` serves the capacity phase's cameras from the RTSP test server (the shared
 * clip as H.264, or as a 1080p main stream made at bench time); `--clip FILE` replaces the clip.
 * Either way the run measures the box's own limit for that stream first (bench/streamLimit.ts).
 */

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    stream: { type: 'string', default: 'file' },
    clip: { type: 'string' },
  },
});
const STREAM_KINDS: readonly BenchStreamKind[] = ['file', 'sd', '1080p'];
const streamKind = values.stream as BenchStreamKind;
if (!STREAM_KINDS.includes(streamKind)) throw new Error(`--stream ${JSON.stringify(values.stream)}: expected one of ${STREAM_KINDS.join(', ')}`);
const quick = values.quick ?? false;
const window = quick ? { ort: 3, warmup: 3, fps: 5, latency: 8, trial: 6, limit: 3 } : { ort: 10, warmup: 5, fps: 15, latency: 30, trial: 20, limit: 10 };
/** The whole run stays under ten minutes: capacity searches stop at this budget. */
const BUDGET_MS = (quick ? 4 : 9.5) * 60_000;
const CAMERA_FPS = 5;
/** the agent's inference threads by default; ONNX Runtime alone runs on the same */
const AGENT_THREADS = { thread: DEFAULT_INFERENCE_THREAD, workers: DEFAULT_INFERENCE_WORKERS } as const;
const LATENCY_FPS = 10;

const startedAt = Date.now();
const say = (text: string): void => void process.stderr.write(`bench: ${text}\n`);
const baseSetup = benchEnv();
const setup = values.clip === undefined ? baseSetup : { ...baseSetup, clipPath: values.clip };
const logger = createRootLogger({ level: 'warn' });
const ffmpegPath = resolveFfmpegPath({ env: setup.env, logger });
const entry = getModelEntry(await loadModelRegistry(), 'yolox-nano');
const model = await resolveModelFile(entry, { mirrorDir: setup.modelsDir, env: setup.env });
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  onnxruntime: ort.env.versions.node ?? 'unknown',
  loadavgAtStart: loadavg().map((v) => round(v, 2)),
};
say(`${machine.cpus} x ${machine.cpu}, load average ${machine.loadavgAtStart.join(' ')}; model ${model.path}; clip ${setup.clipPath}`);

say('decoding 100 frames of the clip in advance');
const frames = await decodeClipFrames({
  ffmpegPath,
  clipPath: setup.clipPath,
  width: entry.input.width,
  height: entry.input.height,
  fps: LATENCY_FPS,
  count: 100,
});
const broker = await startLocalBroker();
say(`broker: ${broker.name} at ${broker.url}`);
const site = { clipPath: setup.clipPath, brokerUrl: broker.url, protocolVersion: broker.protocolVersion };
const trialOptions = (windowSeconds: number, inference?: Record<string, unknown>): TrialOptions => ({
  site: { ...site, realtime: true, analyticsFps: CAMERA_FPS, ...(inference ? { inference } : {}) },
  env: setup.env,
  root: setup.root,
  warmupSeconds: window.warmup,
  windowSeconds,
});

try {
  if (values.sweep) {
    await runSessionSweep({ modelPath: model.path, entry, frames, site, env: setup.env, trialOptions, say });
  } else {
    await runMain();
  }
} finally {
  await broker.stop();
}

async function runMain(): Promise<void> {
  const stream = await openBenchStream(streamKind, { ffmpegPath, clipPath: setup.clipPath });
  say(`stream of the capacity phase: ${stream.description}`);
  try {
    await measureAll(stream);
  } finally {
    await stream.stop();
  }
}

async function measureAll(stream: BenchStream): Promise<void> {
  // Other work on the machine moves every figure: ONNX Runtime alone is measured before and after
  // the pipeline runs, and the pipeline compared with their mean.
  // On the agent's own threads (inference.thread and workers, default two worker threads with a
  // session each), so that efficiency compares like with like: two sessions in one thread would run
  // one at a time (onnxruntime-node), and one session is half of what the agent has.
  const measureAlone = () =>
    measureOrtOnly({ modelPath: model.path, entry, frames, sessionOptions: DEFAULT_SESSION_OPTIONS, threads: AGENT_THREADS, seconds: window.ort / 2 });
  say(`1/5 ONNX Runtime alone, ${AGENT_THREADS.workers} worker threads with a session each (the agent's), ${window.ort / 2} s`);
  const ortBefore = await measureAlone();
  say(`    ${ortBefore.fps} fps, inference p50 ${ortBefore.inferenceMs.p50} ms`);

  // As many cameras as inference threads: a camera's frames stay on one thread.
  const pipelineCameras = AGENT_THREADS.workers;
  say(`2/5 whole agent, ${pipelineCameras} cameras, the clip decoded by ffmpeg as fast as it goes, ${window.fps} s`);
  const pipeline = await measurePipelineFps(site, setup.env, window.warmup, window.fps, pipelineCameras);
  say(`    ${pipeline.fps} fps (${pipeline.droppedFps} frames/s dropped)`);
  say(`2/5 whole agent, ${pipelineCameras} cameras, frames decoded in advance, ${window.fps} s`);
  const behindDecoder = await measurePipelineFps(site, setup.env, window.warmup, window.fps, pipelineCameras, frames);
  say(`    ${behindDecoder.fps} fps`);

  say(`1/5 ONNX Runtime alone again, ${window.ort / 2} s`);
  const ortAfter = await measureAlone();
  say(`    ${ortAfter.fps} fps, inference p50 ${ortAfter.inferenceMs.p50} ms`);
  const ortOnly = {
    fps: round((ortBefore.fps + ortAfter.fps) / 2),
    threads: AGENT_THREADS,
    inferenceMs: {
      p50: round((ortBefore.inferenceMs.p50 + ortAfter.inferenceMs.p50) / 2, 2),
      p95: round((ortBefore.inferenceMs.p95 + ortAfter.inferenceMs.p95) / 2, 2),
    },
    preprocessMs: ortBefore.preprocessMs,
  };
  const efficiency = round(pipeline.fps / ortOnly.fps, 3);
  const agentEfficiency = round(behindDecoder.fps / ortOnly.fps, 3);
  say(`    efficiency ${efficiency} (decoder included), ${agentEfficiency} (frames decoded in advance)`);

  say(`3/5 frame capture to PUBACK, one camera at ${LATENCY_FPS} fps, ${window.latency} s`);
  const latency = await measureLatency(site, setup.env, LATENCY_FPS, window.warmup, window.latency);
  say(`    ${latency.alerts} alerts, p50 ${latency.p50} ms, p99 ${latency.p99} ms`);

  say(`4/5 the limit for this stream on this box: one camera's decoder, ${window.limit} s, and the model (as c5-agent capacity measures them)`);
  const limit: StreamLimit = await measureStreamLimit({
    stream,
    ffmpegPath,
    env: setup.env,
    cameraFps: CAMERA_FPS,
    cores: machine.cpus,
    seconds: window.limit,
    logger,
  });
  say(
    `    decode ${limit.decodeCpuPerSecond} CPU-s per s, inference ${round(limit.inferenceCpuSeconds * 1000, 2)} ms CPU (${limit.inferenceWallMsP50} ms wall): limit ${limit.limitCameras} cameras at ${CAMERA_FPS} fps`,
  );
  // The limit is where capacity should be; the search starts there.
  const guess = Math.min(64, Math.max(1, limit.limitCameras));
  const remaining = (): number => BUDGET_MS - (Date.now() - startedAt);
  const report = (result: TrialResult): void =>
    say(
      `    ${result.cameras} cameras, gating ${result.motion ? 'on' : 'off'}: ${result.pass ? 'pass' : `fail (${result.why.join('; ')})`}; dropped ${(result.dropRatio * 100).toFixed(2)} %, ${(result.withinLatency * 100).toFixed(1)} % within 250 ms, inference ${result.inferenceMs} ms a frame, agent peak RSS ${result.agentPeakRssMb} MB${result.firstAttempt ? ' (second run)' : ''}`,
    );
  const streamTrialOptions = (windowSeconds: number): TrialOptions => {
    const options = trialOptions(windowSeconds);
    return { ...options, site: { ...options.site, clipPath: stream.url, stream: !stream.isFile } };
  };
  const trialSeconds = window.warmup + window.trial + 10;
  const trial = (cameras: number, motion: boolean): Promise<TrialResult> =>
    runTrialWithRetry(
      () => runTrial(cameras, motion, streamTrialOptions(window.trial)),
      (first) => nearMiss(first) && remaining() > 2 * trialSeconds * 1000,
      (first) => {
        report(first);
        say('      a near miss: run once more (other work on the machine only slows a run down; the better of two decides)');
      },
    );
  say(`5/5 capacity at ${CAMERA_FPS} fps per camera, gating off (first guess: the limit, ${guess})`);
  const capacityOff = await searchCapacity({
    start: guess,
    max: 64,
    deadline: Date.now() + (remaining() - trialSeconds * 1000) / 2,
    trial: (n) => trial(n, false),
    onTrial: report,
  });
  say(`5/5 capacity, gating on`);
  const capacityOn = await searchCapacity({
    start: Math.max(1, capacityOff.capacity),
    max: 64,
    // A trial started before the deadline still ends within the budget.
    deadline: startedAt + BUDGET_MS - trialSeconds * 1000,
    trial: (n) => trial(n, true),
    onTrial: report,
  });

  const atCapacity = (result: CapacityResult): TrialResult | undefined => result.trials.filter((t) => t.pass && t.cameras === result.capacity).at(-1);
  const rssOff = atCapacity(capacityOff)?.agentPeakRssMb ?? Number.NaN;
  const rssOn = atCapacity(capacityOn)?.agentPeakRssMb ?? Number.NaN;
  const decodersOff = atCapacity(capacityOff)?.decodersRssMb ?? Number.NaN;
  const decodersOn = atCapacity(capacityOn)?.decodersRssMb ?? Number.NaN;
  const dropSpread = atCapacity(capacityOff)?.worstCameraDropOverMean ?? Number.NaN;
  // PSS: the shared libraries' pages divided among the decoders, so per camera it is what one more camera costs
  const decoderPssPerCamera = round((atCapacity(capacityOff)?.decodersPssMb ?? Number.NaN) / Math.max(1, capacityOff.capacity), 1);
  const skippedOn = `${round((atCapacity(capacityOn)?.skippedMotionRatio ?? Number.NaN) * 100, 1)} %`;
  const capacityRatio = limit.limitCameras > 0 ? round(capacityOff.capacity / limit.limitCameras, 3) : Number.NaN;
  // how far c5-agent capacity's prediction (the limit) is from what the box held
  const plannerError = capacityOff.capacity > 0 ? (limit.limitCameras - capacityOff.capacity) / capacityOff.capacity : Number.NaN;
  const describeCapacity = (result: CapacityResult): string =>
    `${result.capacity}${result.exact ? '' : ` (search cut short; first failure ${result.firstFailure ?? 'none'})`}`;

  const results = {
    measuredAt: new Date(startedAt).toISOString(),
    durationSeconds: round((Date.now() - startedAt) / 1000),
    quick,
    machine: { ...machine, loadavgAtEnd: loadavg().map((v) => round(v, 2)) },
    model: { name: 'yolox-nano', sha256: model.sha256, path: model.path },
    clip: setup.clipPath,
    stream: { kind: stream.label, description: stream.description },
    broker: broker.name,
    sessionOptions: DEFAULT_SESSION_OPTIONS,
    ort_only_fps: ortOnly.fps,
    ort_only_threads: ortOnly.threads,
    ort_only_runs: { before: ortBefore, after: ortAfter },
    inference_ms: ortOnly.inferenceMs,
    preprocess_ms: ortOnly.preprocessMs,
    pipeline_fps: pipeline.fps,
    pipeline_cameras: pipelineCameras,
    efficiency,
    pipeline,
    pipeline_fps_predecoded: behindDecoder.fps,
    efficiency_predecoded: agentEfficiency,
    pipeline_predecoded: behindDecoder,
    latency_ms: { cameras: 1, fps: LATENCY_FPS, ...latency },
    capacity: {
      cameraFps: CAMERA_FPS,
      criteria: 'dropped < 1 %, p99 frame-to-PUBACK < 250 ms, decoders deliver >= 97 % of the frame rate',
      motion_off: capacityOff,
      motion_on: capacityOn,
    },
    limit,
    limit_cameras: limit.limitCameras,
    capacity_ratio: capacityRatio,
    peak_rss_mb: { motion_off: rssOff, motion_on: rssOn },
    decoders_rss_mb: { motion_off: decodersOff, motion_on: decodersOn },
    decoders_pss_mb_per_camera: decoderPssPerCamera,
    targets: {
      efficiency: { target: '>= 0.95', met: efficiency >= 0.95 },
      latency_p99: { target: `< ${round(2 * ortOnly.inferenceMs.p50)} ms (2x one inference)`, met: latency.p99 < 2 * ortOnly.inferenceMs.p50 },
      capacity_with_gating: { target: '>= 12 cameras', met: capacityOn.capacity >= 12 },
      rss: { target: '< 400 MB', met: Math.max(rssOff || 0, rssOn || 0) < 400 },
      capacity_ratio: { target: '>= 0.9 (gating off)', met: capacityRatio >= 0.9 },
      planner: { target: 'limit within 15 % of capacity', met: Math.abs(plannerError) <= 0.15 },
      drop_spread: { target: "no camera's drop rate above twice the mean (gating off, at capacity)", met: dropSpread <= 2 },
      decoder_memory: { target: '<= 60 MB per camera (PSS, gating off, at capacity)', met: decoderPssPerCamera <= 60 },
    },
  };
  const out = join(setup.root, 'bench', 'results.json');
  // One run measures one stream; the per-stream summary of earlier runs stays beside it.
  const earlier = await readFile(out, 'utf8').then(
    (text) => (JSON.parse(text) as { streams?: Record<string, unknown> }).streams ?? {},
    () => ({}),
  );
  const streams = {
    ...earlier,
    [stream.label]: {
      measuredAt: results.measuredAt,
      description: stream.description,
      limit_cameras: limit.limitCameras,
      capacity_motion_off: capacityOff.capacity,
      capacity_ratio: capacityRatio,
      decode_cpu_per_s: limit.decodeCpuPerSecond,
      inference_cpu_ms: round(limit.inferenceCpuSeconds * 1000, 2),
      peak_rss_mb: rssOff,
      decoders_rss_mb_per_camera: round(decodersOff / Math.max(1, capacityOff.capacity), 1),
      decoders_pss_mb_per_camera: decoderPssPerCamera,
      planner_error: round(plannerError, 3),
      worst_camera_drop_over_mean: dropSpread,
    },
  };
  await writeFile(out, `${JSON.stringify({ ...results, streams }, null, 2)}\n`);

  const yes = (met: boolean): string => (met ? 'met' : 'NOT met');
  process.stdout.write(
    `\n${formatTable([
      ['figure', 'value', 'target'],
      [`ort_only_fps (ONNX Runtime alone on the agent's ${AGENT_THREADS.workers} worker threads, frames decoded in advance)`, String(ortOnly.fps), ''],
      ['inference p50 / p95 (ms)', `${ortOnly.inferenceMs.p50} / ${ortOnly.inferenceMs.p95}`, ''],
      [`pipeline_fps (whole agent, ${pipelineCameras} cameras, ffmpeg decoding at max rate)`, String(pipeline.fps), ''],
      ['efficiency = pipeline_fps / ort_only_fps', String(efficiency), `>= 0.95 (${yes(results.targets.efficiency.met)})`],
      [`  time the model was running over wall time, ${pipelineCameras} threads summed (same run, so load-independent)`, String(pipeline.inferenceBusy), ''],
      ['pipeline_fps, frames decoded in advance (agent without decoder)', String(behindDecoder.fps), ''],
      ['efficiency, frames decoded in advance', String(agentEfficiency), `>= 0.95 (${yes(agentEfficiency >= 0.95)})`],
      [`  time the model was running over wall time, ${pipelineCameras} threads summed`, String(behindDecoder.inferenceBusy), ''],
      [
        `frame -> PUBACK p50 / p95 / p99 (ms), 1 camera at ${LATENCY_FPS} fps`,
        `${latency.p50} / ${latency.p95} / ${latency.p99} (${latency.alerts} alerts)`,
        `p99 ${results.targets.latency_p99.target} (${yes(results.targets.latency_p99.met)})`,
      ],
      [`stream of the capacity phase`, stream.description, ''],
      [
        `limit = cores / (decode + ${CAMERA_FPS} x inference), CPU-s`,
        `${limit.limitCameras} = ${machine.cpus} / (${limit.decodeCpuPerSecond} + ${CAMERA_FPS} x ${round(limit.inferenceCpuSeconds, 4)})`,
        '',
      ],
      [`capacity, ${CAMERA_FPS} fps cameras, gating off`, describeCapacity(capacityOff), ''],
      ['capacity_ratio = capacity / limit, gating off', String(capacityRatio), `>= 0.9 (${yes(results.targets.capacity_ratio.met)})`],
      ['planner (limit) against capacity', `${round(plannerError * 100, 1)} %`, `within 15 % (${yes(results.targets.planner.met)})`],
      [`capacity, ${CAMERA_FPS} fps cameras, gating on`, describeCapacity(capacityOn), `>= 12 (${yes(results.targets.capacity_with_gating.met)})`],
      ['agent peak RSS at capacity, off / on (MB)', `${rssOff} / ${rssOn}`, `< 400 (${yes(results.targets.rss.met)})`],
      ['ffmpeg decoders RSS at capacity, off / on (MB, all cameras)', `${decodersOff} / ${decodersOn}`, ''],
      [
        "worst camera's drop rate over the mean at capacity, gating off (0: none dropped)",
        String(dropSpread),
        `<= 2 (${yes(results.targets.drop_spread.met)})`,
      ],
      ['ffmpeg decoder memory per camera at capacity, gating off (PSS, MB)', String(decoderPssPerCamera), `<= 60 (${yes(results.targets.decoder_memory.met)})`],
      ['frames skipped by motion gating at capacity (clip has motion throughout)', `${skippedOn}`, ''],
    ])}\n\nwrote ${out} (${results.durationSeconds} s; load average ${results.machine.loadavgAtEnd.join(' ')})\n`,
  );
}
