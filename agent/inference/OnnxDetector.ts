import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { DEFAULT_SESSION_OPTIONS } from '../../pipelines/config/inferenceSchema.js';
import { ModelError, toError } from '../../pipelines/errors.js';
import { createDecoder, type Decoder } from '../../pipelines/detect/decoders/index.js';
import type { ModelEntry } from '../../pipelines/detect/modelRegistry.js';
import { bgr24ToChw } from '../../pipelines/detect/preprocess.js';
import type { DetectOptions, DetectTimings, Detector, ModelInfo } from '../../pipelines/stages.js';
import type { Detection, Frame } from '../../pipelines/types.js';
import type { Logger } from '../observe/logger.js';
import { sha256Hex } from '../sha256Hex.js';

export interface OnnxSessionOptions {
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /** tried in order, `cpu` always last (the fallback); default `cpu` only */
  readonly executionProviders?: readonly string[];
}

export interface OnnxDetectorLoadOptions {
  /** registry name, reported in ModelInfo, logs and alerts */
  readonly name: string;
  readonly entry: ModelEntry;
  readonly modelPath: string;
  /** the digest resolveModelFile verified; the bytes are hashed again as they are loaded */
  readonly sha256: string;
  readonly labels: readonly string[];
  readonly sessionOptions?: OnnxSessionOptions;
  readonly logger: Logger;
}

type TensorMeta = ort.InferenceSession.ValueMetadata;

/** ONNX Runtime's options from ours: unset fields take the measured defaults, 0 threads ONNX Runtime's own choice. */
export function ortSessionOptions(options: OnnxSessionOptions, providers: readonly string[] = ['cpu']): ort.InferenceSession.SessionOptions {
  const { intraOpNumThreads, interOpNumThreads, graphOptimizationLevel } = { ...DEFAULT_SESSION_OPTIONS, ...options };
  return {
    ...(intraOpNumThreads > 0 ? { intraOpNumThreads } : {}),
    ...(interOpNumThreads > 0 ? { interOpNumThreads } : {}),
    graphOptimizationLevel,
    executionProviders: [...providers],
  };
}

/**
 * A session on the configured execution providers, `cpu` last; when an accelerator's provider
 * cannot start (no device, no library), the model still runs on the CPU and the log says why.
 */
async function createSession(
  bytes: Buffer,
  modelPath: string,
  options: OnnxSessionOptions,
  log: Logger,
): Promise<{ session: ort.InferenceSession; sessionOptions: ort.InferenceSession.SessionOptions }> {
  const wanted = [...(options.executionProviders ?? []).filter((provider) => provider !== 'cpu'), 'cpu'];
  const attempts = wanted.length > 1 ? [wanted, ['cpu']] : [wanted];
  let failure: unknown;
  for (const providers of attempts) {
    const sessionOptions = ortSessionOptions(options, providers);
    try {
      return { session: await ort.InferenceSession.create(bytes, sessionOptions), sessionOptions };
    } catch (error) {
      failure = error;
      if (providers !== attempts[attempts.length - 1]) {
        log.warn({ providers, err: toError(error) }, 'execution providers could not start; falling back to cpu');
      }
    }
  }
  throw new ModelError('load_failed', `ONNX Runtime could not load ${modelPath}: ${String(failure)}`, { cause: failure });
}

function describe(meta: TensorMeta | undefined): string {
  if (meta === undefined) return 'missing';
  if (!meta.isTensor) return `${meta.name}: not a tensor`;
  return `${meta.name}: ${meta.type} [${meta.shape.join(', ')}]`;
}

/** Symbolic dimensions (batch size exported as a name) match anything. */
function shapeMatches(meta: TensorMeta | undefined, name: string, shape: readonly number[]): boolean {
  if (meta === undefined || !meta.isTensor || meta.name !== name || meta.type !== 'float32') return false;
  if (meta.shape.length !== shape.length) return false;
  return meta.shape.every((dim, i) => typeof dim !== 'number' || dim === shape[i]);
}

/**
 * A Detector on ONNX Runtime. One session, one input buffer and tensor, one decoder per
 * instance; detect() calls are run one at a time because they share those buffers. Per frame
 * nothing is allocated here but the detections; the one allocation left on the hot path is the
 * binding's: onnxruntime-node copies every output into a fresh ArrayBuffer (1.2 MB for
 * YOLOX-Nano), even into a pre-allocated output tensor, so there is nothing to gain from one.
 */
export class OnnxDetector implements Detector {
  readonly model: ModelInfo;
  private readonly entry: ModelEntry;
  private readonly session: ort.InferenceSession;
  private readonly decoder: Decoder;
  private readonly input: Float32Array;
  /** the session's feeds, built once around the one input tensor */
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly logger: Logger;
  private queue: Promise<unknown> = Promise.resolve();
  private shutdownPromise: Promise<void> | null = null;
  private timings: DetectTimings = { preprocessMs: 0, inferenceMs: 0, postprocessMs: 0 };

  private constructor(options: OnnxDetectorLoadOptions, session: ort.InferenceSession, decoder: Decoder) {
    const { entry } = options;
    this.entry = entry;
    this.session = session;
    this.decoder = decoder;
    this.logger = options.logger.child({ component: 'detector', model: options.name });
    this.model = {
      name: options.name,
      family: entry.family,
      sha256: options.sha256,
      inputWidth: entry.input.width,
      inputHeight: entry.input.height,
      labels: [...options.labels],
    };
    this.input = new Float32Array(3 * entry.input.width * entry.input.height);
    this.feeds = { [entry.input.name]: new ort.Tensor('float32', this.input, [1, 3, entry.input.height, entry.input.width]) };
  }

  /**
   * Reads the model once, checks those exact bytes against the verified digest and the registry,
   * and hands the same bytes to ONNX Runtime: the file cannot change between check and load.
   */
  static async load(options: OnnxDetectorLoadOptions): Promise<OnnxDetector> {
    const { entry, modelPath, name } = options;
    const log = options.logger.child({ component: 'detector', model: name });
    const decoder = createDecoder(entry.family, {
      inputWidth: entry.input.width,
      inputHeight: entry.input.height,
      numClasses: entry.numClasses,
      strides: entry.strides,
      labels: options.labels,
    });

    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch (error) {
      throw new ModelError('model_not_found', `cannot read model file ${modelPath}: ${String(error)}`, { cause: error });
    }
    const sha256 = sha256Hex(bytes);
    if (sha256 !== options.sha256 || !entry.sha256.includes(sha256)) {
      throw new ModelError(
        'digest_mismatch',
        `model file ${modelPath} has sha256 ${sha256}; expected ${options.sha256} ` + `(accepted: ${entry.sha256.join(', ')}); refusing to load it`,
      );
    }

    const started = performance.now();
    const { session, sessionOptions } = await createSession(bytes, modelPath, options.sessionOptions ?? {}, log);

    const expectedInput = [1, 3, entry.input.height, entry.input.width];
    const inputMeta = session.inputMetadata;
    const outputMeta = session.outputMetadata;
    const problems: string[] = [];
    if (inputMeta.length !== 1 || !shapeMatches(inputMeta[0], entry.input.name, expectedInput)) {
      problems.push(
        `input: expected ${entry.input.name}: float32 [${expectedInput.join(', ')}], ` + `model has ${inputMeta.map(describe).join('; ') || 'none'}`,
      );
    }
    const outputIndex = outputMeta.findIndex((meta) => meta.name === entry.output.name);
    if (!shapeMatches(outputMeta[outputIndex], entry.output.name, decoder.outputShape)) {
      problems.push(
        `output: expected ${entry.output.name}: float32 [${decoder.outputShape.join(', ')}] ` +
          `for family ${entry.family}, model has ${outputMeta.map(describe).join('; ') || 'none'}`,
      );
    }
    if (problems.length > 0) {
      await session.release();
      throw new ModelError('model_mismatch', `model file ${modelPath} does not match registry entry "${name}": ${problems.join('; ')}`);
    }

    const detector = new OnnxDetector(options, session, decoder);
    log.info({ path: modelPath, sha256, loadMs: Math.round(performance.now() - started), sessionOptions }, 'model loaded');
    return detector;
  }

  /** Timings of the most recent completed detect(). */
  get lastTimings(): DetectTimings {
    return this.timings;
  }

  /** Calls made before stop() still complete; calls made after it reject with `detector_stopped`. */
  detect(frame: Frame, options: DetectOptions): Promise<Detection[]> {
    if (this.shutdownPromise !== null) {
      return Promise.reject(new ModelError('detector_stopped', `detector for model "${this.model.name}" has been shut down`));
    }
    const run = this.queue.then(() => this.runOnce(frame, options));
    // The queue only orders calls; each caller sees its own result or error.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runOnce(frame: Frame, options: DetectOptions): Promise<Detection[]> {
    // The frame is at the input size: InferenceScheduler checked it (frameSizeError).
    const { width, height, channelOrder, pixelValues } = this.entry.input;
    const t0 = performance.now();
    bgr24ToChw(frame.pixels, width, height, channelOrder, pixelValues, this.input);
    const t1 = performance.now();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(this.feeds);
    } catch (error) {
      throw new ModelError('inference_failed', `inference with model "${this.model.name}" failed: ${String(error)}`, {
        cause: error,
      });
    }
    const t2 = performance.now();
    const output = results[this.entry.output.name];
    if (output === undefined || output.type !== 'float32' || !(output.data instanceof Float32Array)) {
      throw new ModelError('bad_output', `model "${this.model.name}" returned no float32 "${this.entry.output.name}" output`);
    }
    const detections = this.decoder.decode(output.data, frame.letterbox, options);
    const t3 = performance.now();
    this.timings = { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 };
    return detections;
  }

  /** Waits for the detect() calls already made, then releases the session. Safe to call repeatedly. */
  stop(): Promise<void> {
    this.shutdownPromise ??= this.queue.then(async () => {
      await this.session.release();
      this.logger.debug({ model: this.model.name }, 'detector shut down');
    });
    return this.shutdownPromise;
  }
}
