import { z } from 'zod';

/**
 * ONNX Runtime session options (README, "Performance"). The defaults are the ones measured best
 * on a 2-core x86 box with YOLOX-Nano: one intra-op thread. ONNX Runtime runs a session on the
 * Node main thread, so a second intra-op thread only spins against the ffmpeg decoders for the
 * other core; with one, throughput held up at one camera and won at four and more.
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

/** `worker`: each model on its own thread; `main`: on the agent's event-loop thread. */
export const INFERENCE_THREADS = ['worker', 'main'] as const;
export const DEFAULT_INFERENCE_THREAD = 'worker';

export const inferenceSchema = z.strictObject({
  /** where models run; see README, "Performance" */
  thread: z.enum(INFERENCE_THREADS).default(DEFAULT_INFERENCE_THREAD),
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
