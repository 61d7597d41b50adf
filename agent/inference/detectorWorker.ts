import { parentPort, workerData } from 'node:worker_threads';
import { toError } from '../../pipelines/errors.js';
import type { Frame } from '../../pipelines/types.js';
import { createRootLogger } from '../observe/logger.js';
import type { DetectorWorkerData, FromWorker, ToWorker } from './detectorWorkerProtocol.js';
import { loadDetector } from './loadDetector.js';

/**
 * The thread a WorkerDetector runs its model on: an OnnxDetector (preprocessing, ONNX Runtime,
 * decoding) fed from shared input slots, so the agent's main thread keeps reading cameras and
 * talking to the broker while a frame is in inference.
 */

const port = parentPort;
if (!port) throw new Error('detectorWorker must run as a worker thread');
const data = workerData as DetectorWorkerData;
const send = (message: FromWorker): void => port.postMessage(message);
const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'inference_failed';
};

const logger = createRootLogger({ level: data.logLevel });
try {
  const detector = await loadDetector({ ...data.load, logger });
  const { inputWidth, inputHeight } = detector.model;
  const slots = Array.from({ length: data.slots }, () => new SharedArrayBuffer(inputWidth * inputHeight * 3));
  const views = slots.map((buffer) => new Uint8Array(buffer));
  port.on('message', (message: ToWorker) => {
    if (message.type === 'shutdown') {
      void detector.stop().then(() => {
        send({ type: 'stopped' });
        port.close();
      });
      return;
    }
    const { id, slot, cameraId, seq, captureTime, width, height, letterbox, options } = message;
    const frame: Frame = { cameraId, seq, captureTime, width, height, letterbox, pixels: views[slot]! };
    // OnnxDetector runs calls one at a time, in order: the next frame starts as soon as this one ends.
    detector.detect(frame, options).then(
      (detections) => send({ type: 'result', id, detections, timings: detector.lastTimings }),
      (error: unknown) => send({ type: 'failed', id, code: codeOf(error), message: toError(error).message }),
    );
  });
  send({ type: 'ready', model: detector.model, slots });
} catch (error) {
  send({ type: 'load_failed', code: codeOf(error), message: toError(error).message });
  port.close();
}
