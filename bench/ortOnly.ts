import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { ModelEntry } from '../pipelines/detect/modelRegistry.js';
import { bgr24ToChw } from '../pipelines/detect/preprocess.js';
import type { Frame } from '../pipelines/types.js';
import { ortSessionOptions, type OnnxSessionOptions } from '../agent/inference/OnnxDetector.js';
import type { OrtAloneWorkerData, OrtAloneWorkerMessage } from './ortAloneWorker.js';
import { quantile, round } from './stats.js';
import { timeSessionRuns, warmUpSession } from './timeSessionRuns.js';

const WORKER_INPUTS = 8;

/** Where the sessions run, as in the site config's `inference:` (`thread`, `workers`). */
export interface OrtThreads {
  readonly thread: 'main' | 'worker';
  /** sessions, one per worker thread, with `thread: worker` */
  readonly workers: number;
}

export interface OrtOnlyResult {
  /** inferences a second, all sessions together */
  readonly fps: number;
  readonly threads: OrtThreads;
  readonly runs: number;
  readonly inferenceMs: { readonly p50: number; readonly p95: number };
  /** the agent's preprocessing of one frame (HWC uint8 to CHW float32), for comparison */
  readonly preprocessMs: number;
}

/**
 * ONNX Runtime alone, in the agent's thread configuration: with `thread: worker`, `workers` worker
 * threads each with a session of its own running side by side (as the agent's inference workers
 * do); with `thread: main`, one session on this thread. Inputs are converted to tensors before the
 * clock starts and runs go back to back for `seconds`: what the agent would do if frames cost
 * nothing but inference, so the agent's throughput over this is a ratio to its own limit.
 */
export async function measureOrtOnly(options: {
  readonly modelPath: string;
  readonly entry: ModelEntry;
  readonly frames: readonly Frame[];
  readonly sessionOptions: OnnxSessionOptions;
  readonly threads: OrtThreads;
  readonly seconds: number;
}): Promise<OrtOnlyResult> {
  const { entry, frames, threads } = options;
  const { width, height, channelOrder, pixelValues } = entry.input;
  const inputs = frames.map((frame) => bgr24ToChw(frame.pixels, width, height, channelOrder, pixelValues, new Float32Array(3 * width * height)));
  const scratch = new Float32Array(3 * width * height);
  const preprocessStarted = performance.now();
  for (const frame of frames) bgr24ToChw(frame.pixels, width, height, channelOrder, pixelValues, scratch);
  const preprocessMs = round((performance.now() - preprocessStarted) / frames.length, 3);
  const dims = [1, 3, height, width];
  if (threads.thread === 'worker') {
    const workerData: OrtAloneWorkerData = {
      modelPath: options.modelPath,
      inputName: entry.input.name,
      dims,
      // a few inputs each: inference time does not depend on the picture, and each worker gets a copy
      inputs: inputs.slice(0, WORKER_INPUTS),
      sessionOptions: options.sessionOptions,
      seconds: options.seconds,
    };
    const { times, elapsedMs } = await runOnWorkers(workerData, threads.workers);
    return summarise(times, elapsedMs, threads, preprocessMs);
  }
  const tensors = inputs.map((data) => ({ [entry.input.name]: new ort.Tensor('float32', data, dims) }));

  const session = await ort.InferenceSession.create(
    await readFile(options.modelPath),
    ortSessionOptions(options.sessionOptions, options.sessionOptions.executionProviders),
  );
  try {
    await warmUpSession(session, tensors);
    const { times, elapsedMs } = await timeSessionRuns(session, tensors, options.seconds);
    return summarise(times, elapsedMs, threads, preprocessMs);
  } finally {
    await session.release();
  }
}

function summarise(times: readonly number[], elapsedMs: number, threads: OrtThreads, preprocessMs: number): OrtOnlyResult {
  return {
    fps: round(times.length / (elapsedMs / 1000)),
    threads,
    runs: times.length,
    inferenceMs: { p50: round(quantile(times, 0.5), 2), p95: round(quantile(times, 0.95), 2) },
    preprocessMs,
  };
}

/** Starts `count` workers, lets them all warm up, starts them together and joins their runs. */
async function runOnWorkers(data: OrtAloneWorkerData, count: number): Promise<{ times: number[]; elapsedMs: number }> {
  const script = fileURLToPath(new URL('./ortAloneWorker.js', import.meta.url));
  const workers = Array.from({ length: count }, () => new Worker(script, { workerData: data }));
  try {
    const next = (worker: Worker): Promise<OrtAloneWorkerMessage> =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    await Promise.all(workers.map(next));
    const done = workers.map(next);
    for (const worker of workers) worker.postMessage('go');
    const results = (await Promise.all(done)).filter((message) => message.type === 'done');
    if (results.length !== count) throw new Error(`ONNX Runtime alone: ${count - results.length} of ${count} workers did not report`);
    return { times: results.flatMap((result) => result.times), elapsedMs: Math.max(...results.map((result) => result.elapsedMs)) };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
