import { z } from 'zod';

/**
 * Where models run and ONNX Runtime's session options (docs/PERFORMANCE.md). The defaults are
 * the ones measured best on the project's 2-core x86 box with YOLOX-Nano at fourteen cameras:
 * two worker threads per model, each with its own session and one intra-op thread, running whole
 * frames side by side. A second intra-op thread in one session synchronises on every operator of
 * a model this small and lost; one thread, on the main thread or a worker, served fewer cameras.
 */

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;

/** Providers the onnxruntime-node build can be asked for; `cpu` is always appended as the fallback. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'webgpu'] as const;
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number];

export const DEFAULT_SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
} as const satisfies {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: (typeof GRAPH_OPTIMIZATION_LEVELS)[number];
  executionProviders: readonly ExecutionProviderName[];
};

/** 0 lets ONNX Runtime choose (one thread per physical core). */
const threads = z.number().int().min(0).max(256);

const sessionFields = {
  intraOpNumThreads: threads.describe('ONNX Runtime threads inside one operator, per session (0..256; 0 lets ONNX Runtime choose).'),
  interOpNumThreads: threads.describe('ONNX Runtime threads running operators in parallel, per session (0..256; 0 lets ONNX Runtime choose).'),
  graphOptimizationLevel: z.enum(GRAPH_OPTIMIZATION_LEVELS).describe('ONNX Runtime graph optimisation: disabled, basic, extended, layout or all.'),
  /** tried in order; a provider that cannot start (no GPU, no library) falls back to `cpu` */
  executionProviders: z
    .array(z.enum(EXECUTION_PROVIDERS))
    .min(1)
    .describe('ONNX Runtime execution providers (cpu, cuda, tensorrt, webgpu), tried in order; cpu is always added last as the fallback.'),
};

/** One model's overrides: only the fields given replace the site's. */
export const modelSessionSchema = z
  .strictObject(sessionFields)
  .partial()
  .describe("One model's session options; only the fields given replace the site's inference settings. Read when the model loads (a change takes a restart).");

/**
 * `main`: on the agent's event-loop thread (ONNX Runtime blocks it for each inference);
 * `worker`: each model on `workers` threads of its own, so intake and MQTT go on during inference.
 */
export const INFERENCE_THREADS = ['main', 'worker'] as const;
export const DEFAULT_INFERENCE_THREAD = 'worker';
export const DEFAULT_INFERENCE_WORKERS = 2;

export const inferenceSchema = z
  .strictObject({
    /** where models run; see docs/PERFORMANCE.md */
    thread: z
      .enum(INFERENCE_THREADS)
      .default(DEFAULT_INFERENCE_THREAD)
      .describe(
        `Where models run: worker (threads of their own; intake and MQTT go on during inference) or main (the event-loop thread, blocked during each inference). Default ${DEFAULT_INFERENCE_THREAD}.`,
      ),
    /**
     * with `thread: worker`, the threads each model runs on, each with its own session running
     * whole frames side by side (a camera's frames stay in order); see docs/PERFORMANCE.md
     */
    workers: z
      .number()
      .int()
      .min(1)
      .max(16)
      .default(DEFAULT_INFERENCE_WORKERS)
      .describe(
        `With thread: worker, threads per model (1..16), each with its own session running whole frames side by side; a camera's frames stay in order. Default ${DEFAULT_INFERENCE_WORKERS}.`,
      ),
    intraOpNumThreads: sessionFields.intraOpNumThreads
      .default(DEFAULT_SESSION_OPTIONS.intraOpNumThreads)
      .describe(
        `ONNX Runtime threads inside one operator, per session (0..256; 0 lets ONNX Runtime choose). Default ${DEFAULT_SESSION_OPTIONS.intraOpNumThreads}.`,
      ),
    interOpNumThreads: sessionFields.interOpNumThreads
      .default(DEFAULT_SESSION_OPTIONS.interOpNumThreads)
      .describe(
        `ONNX Runtime threads running operators in parallel, per session (0..256; 0 lets ONNX Runtime choose). Default ${DEFAULT_SESSION_OPTIONS.interOpNumThreads}.`,
      ),
    graphOptimizationLevel: sessionFields.graphOptimizationLevel
      .default(DEFAULT_SESSION_OPTIONS.graphOptimizationLevel)
      .describe(`ONNX Runtime graph optimisation: disabled, basic, extended, layout or all. Default ${DEFAULT_SESSION_OPTIONS.graphOptimizationLevel}.`),
    executionProviders: sessionFields.executionProviders
      .default([...DEFAULT_SESSION_OPTIONS.executionProviders])
      .describe(
        'ONNX Runtime execution providers (cpu, cuda, tensorrt, webgpu), tried in order; cpu is always added last, and a provider that cannot start falls back to it. Default [cpu].',
      ),
    /** per model name from models/registry.json, e.g. `yolox-nano: {intraOpNumThreads: 2}` */
    models: z
      .record(z.string().min(1), modelSessionSchema)
      .default({})
      .describe('Session options for one model only, by name from models/registry.json, e.g. yolox-nano: {intraOpNumThreads: 2}. Default none.'),
  })
  .describe('Where detection models run and ONNX Runtime session options. Changes take effect at the next restart.');

export type InferenceSettings = z.output<typeof inferenceSchema>;

export interface SessionSettings {
  readonly intraOpNumThreads: number;
  readonly interOpNumThreads: number;
  readonly graphOptimizationLevel: (typeof GRAPH_OPTIMIZATION_LEVELS)[number];
  readonly executionProviders: readonly ExecutionProviderName[];
}

/**
 * The session options for one model: the site's, replaced field by field by the model's own,
 * with `cpu` last in the provider list so a box without its accelerator still runs.
 */
export function sessionSettingsFor(settings: InferenceSettings, modelName: string): SessionSettings {
  const { intraOpNumThreads, interOpNumThreads, graphOptimizationLevel, executionProviders } = { ...settings, ...settings.models[modelName] };
  const accelerators = executionProviders.filter((provider) => provider !== 'cpu');
  return { intraOpNumThreads, interOpNumThreads, graphOptimizationLevel, executionProviders: [...accelerators, 'cpu'] };
}
