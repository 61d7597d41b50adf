import { z } from 'zod';

/**
 * Where models run and ONNX Runtime's session options (README, "Performance"). The defaults are
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
  intraOpNumThreads: threads,
  interOpNumThreads: threads,
  graphOptimizationLevel: z.enum(GRAPH_OPTIMIZATION_LEVELS),
  /** tried in order; a provider that cannot start (no GPU, no library) falls back to `cpu` */
  executionProviders: z.array(z.enum(EXECUTION_PROVIDERS)).min(1),
};

/** One model's overrides: only the fields given replace the site's. */
export const modelSessionSchema = z.strictObject(sessionFields).partial();

/**
 * `main`: on the agent's event-loop thread (ONNX Runtime blocks it for each inference);
 * `worker`: each model on `workers` threads of its own, so intake and MQTT go on during inference.
 */
export const INFERENCE_THREADS = ['main', 'worker'] as const;
export const DEFAULT_INFERENCE_THREAD = 'worker';
export const DEFAULT_INFERENCE_WORKERS = 2;

export const inferenceSchema = z.strictObject({
  /** where models run; see README, "Performance" */
  thread: z.enum(INFERENCE_THREADS).default(DEFAULT_INFERENCE_THREAD),
  /**
   * with `thread: worker`, the threads each model runs on, each with its own session running
   * whole frames side by side (a camera's frames stay in order); see README, "Performance"
   */
  workers: z.number().int().min(1).max(16).default(DEFAULT_INFERENCE_WORKERS),
  intraOpNumThreads: sessionFields.intraOpNumThreads.default(DEFAULT_SESSION_OPTIONS.intraOpNumThreads),
  interOpNumThreads: sessionFields.interOpNumThreads.default(DEFAULT_SESSION_OPTIONS.interOpNumThreads),
  graphOptimizationLevel: sessionFields.graphOptimizationLevel.default(DEFAULT_SESSION_OPTIONS.graphOptimizationLevel),
  executionProviders: sessionFields.executionProviders.default([...DEFAULT_SESSION_OPTIONS.executionProviders]),
  /** per model name from models/registry.json, e.g. `yolox-nano: {intraOpNumThreads: 2}` */
  models: z.record(z.string().min(1), modelSessionSchema).default({}),
});

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
