import type { DetectOptions, DetectTimings, ModelInfo } from '../../pipelines/stages.js';
import type { Detection, Letterbox } from '../../pipelines/types.js';
import type { LoadDetectorOptions } from './loadDetector.js';

/** Messages between WorkerDetector (main thread) and detectorWorker (its thread). */

export interface DetectorWorkerData {
  /** everything loadDetector needs but the logger, which the worker makes itself */
  readonly load: Omit<LoadDetectorOptions, 'logger'>;
  readonly logLevel: string;
  /** frames that may be in the worker at once: one running, the rest queued behind it */
  readonly slots: number;
}

export type ToWorker =
  | {
      readonly type: 'detect';
      readonly id: number;
      /** which shared input slot holds the pixels */
      readonly slot: number;
      readonly cameraId: string;
      readonly seq: number;
      readonly captureTime: number;
      readonly width: number;
      readonly height: number;
      readonly letterbox: Letterbox;
      readonly options: DetectOptions;
    }
  | { readonly type: 'shutdown' };

export type FromWorker =
  | { readonly type: 'ready'; readonly model: ModelInfo; readonly slots: readonly SharedArrayBuffer[] }
  | { readonly type: 'load_failed'; readonly code: string; readonly message: string }
  | { readonly type: 'result'; readonly id: number; readonly detections: Detection[]; readonly timings: DetectTimings }
  | { readonly type: 'failed'; readonly id: number; readonly code: string; readonly message: string }
  | { readonly type: 'stopped' };
