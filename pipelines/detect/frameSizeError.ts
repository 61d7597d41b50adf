import { ModelError } from '../errors.js';
import type { ModelInfo } from '../stages.js';
import type { Frame } from '../types.js';

/**
 * The one frame-size check, made where frames enter a Detector (InferenceScheduler.dispatch):
 * the frame must be at the model's input size, with exactly width * height * 3 bytes of BGR24.
 * Detectors behind it (OnnxDetector, WorkerDetector and its thread, WorkerPoolDetector) take
 * that as given. Undefined when the frame fits; else the `bad_frame` error to fail it with.
 */
export function frameSizeError(frame: Frame, model: ModelInfo): ModelError | undefined {
  const { inputWidth, inputHeight } = model;
  const bytes = inputWidth * inputHeight * 3;
  if (frame.width === inputWidth && frame.height === inputHeight && frame.pixels.length === bytes) return undefined;
  return new ModelError(
    'bad_frame',
    `frame from camera ${frame.cameraId} is ${frame.width}x${frame.height} (${frame.pixels.length} bytes); ` +
      `model "${model.name}" needs ${inputWidth}x${inputHeight} BGR24 (${bytes} bytes)`,
  );
}
