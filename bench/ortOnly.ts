import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { ModelEntry } from '../pipelines/detect/modelRegistry.js';
import { bgr24ToChw } from '../pipelines/detect/preprocess.js';
import type { Frame } from '../pipelines/types.js';
import { ortSessionOptions, type OnnxSessionOptions } from '../agent/inference/OnnxDetector.js';
import { quantile, round } from './stats.js';

export interface OrtOnlyResult {
  readonly fps: number;
  readonly runs: number;
  readonly inferenceMs: { readonly p50: number; readonly p95: number };
  /** the agent's preprocessing of one frame (HWC uint8 to CHW float32), for comparison */
  readonly preprocessMs: number;
}

/**
 * ONNX Runtime alone: one session, inputs converted to tensors before the clock starts, runs
 * back to back for `seconds`. What the agent would do if frames cost nothing but inference.
 */
export async function measureOrtOnly(options: {
  readonly modelPath: string;
  readonly entry: ModelEntry;
  readonly frames: readonly Frame[];
  readonly sessionOptions: OnnxSessionOptions;
  readonly seconds: number;
}): Promise<OrtOnlyResult> {
  const { entry, frames } = options;
  const { width, height, channelOrder, pixelValues } = entry.input;
  const tensors = frames.map((frame) => {
    const data = bgr24ToChw(frame.pixels, width, height, channelOrder, pixelValues, new Float32Array(3 * width * height));
    return { [entry.input.name]: new ort.Tensor('float32', data, [1, 3, height, width]) };
  });
  const scratch = new Float32Array(3 * width * height);
  const preprocessStarted = performance.now();
  for (const frame of frames) bgr24ToChw(frame.pixels, width, height, channelOrder, pixelValues, scratch);
  const preprocessMs = (performance.now() - preprocessStarted) / frames.length;

  const session = await ort.InferenceSession.create(
    await readFile(options.modelPath),
    ortSessionOptions(options.sessionOptions, options.sessionOptions.executionProviders),
  );
  try {
    for (let i = 0; i < 10; i++) await session.run(tensors[i % tensors.length]!);
    const times: number[] = [];
    const started = performance.now();
    const until = started + options.seconds * 1000;
    let runs = 0;
    while (performance.now() < until) {
      const t0 = performance.now();
      await session.run(tensors[runs % tensors.length]!);
      times.push(performance.now() - t0);
      runs += 1;
    }
    const fps = runs / ((performance.now() - started) / 1000);
    return {
      fps: round(fps),
      runs,
      inferenceMs: { p50: round(quantile(times, 0.5), 2), p95: round(quantile(times, 0.95), 2) },
      preprocessMs: round(preprocessMs, 3),
    };
  } finally {
    await session.release();
  }
}
