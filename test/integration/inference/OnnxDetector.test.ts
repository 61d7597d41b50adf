import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../../agent/inference/loadDetector.js';
import { loadLabels, loadModelRegistry } from '../../../agent/inference/modelFiles.js';
import { OnnxDetector } from '../../../agent/inference/OnnxDetector.js';
import { resolveModelFile } from '../../../agent/inference/resolveModelFile.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { getModelEntry, type ModelEntry } from '../../../pipelines/detect/modelRegistry.js';
import { iou } from '../../../pipelines/detect/nms.js';
import type { Box, Detection, Frame } from '../../../pipelines/types.js';
import { frameFromImage, letterboxImage } from '../../helpers/letterboxImage.js';
import { dogPath, sharedModelsDir } from '../../helpers/paths.js';

const logger = createRootLogger({ level: 'silent' });
const SHARED_SHA = 'e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd';
const sharedModel = join(sharedModelsDir, 'yolox_nano.onnx');

/** shared/media/README.md reference boxes, source pixels of the 768x576 image, normalised. */
const px = (x1: number, y1: number, x2: number, y2: number): Box => [x1 / 768, y1 / 576, x2 / 768, y2 / 576];
const REFERENCE = {
  dog: px(133, 210, 320, 545),
  bicycle: px(115, 125, 570, 430),
  vehicle: px(465, 75, 690, 172),
};

function best(detections: readonly Detection[], labels: readonly string[], box: Box): { detection: Detection; iou: number } | null {
  let found: { detection: Detection; iou: number } | null = null;
  for (const d of detections) {
    if (!labels.includes(d.label)) continue;
    const overlap = iou(d.box, box);
    if (found === null || overlap > found.iou) found = { detection: d, iou: overlap };
  }
  return found;
}

describe('OnnxDetector on the shared YOLOX-Nano', () => {
  let entry: ModelEntry;
  let labels: string[];
  let detector: OnnxDetector;
  let frame: Frame;
  let scratch: string;

  beforeAll(async () => {
    entry = getModelEntry(await loadModelRegistry(), 'yolox-nano');
    labels = await loadLabels(entry);
    scratch = await mkdtemp(join(tmpdir(), 'c5-detector-'));
    detector = await loadDetector({
      name: 'yolox-nano',
      cacheDir: join(scratch, 'empty-cache'),
      mirrorDir: sharedModelsDir,
      sessionOptions: { intraOpNumThreads: 2 },
      logger,
    });
    frame = frameFromImage(await letterboxImage(dogPath, 416, 416, entry.input.padValue));
  });

  afterAll(async () => {
    await detector?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('reports the model it runs', () => {
    expect(detector.model).toMatchObject({ name: 'yolox-nano', family: 'yolox', sha256: SHARED_SHA, inputWidth: 416, inputHeight: 416 });
    expect(detector.model.labels).toHaveLength(80);
  });

  it('finds the dog, the bicycle and the vehicle in dog.jpg, and nothing else with confidence', async () => {
    const detections = await detector.detect(frame, { minScore: 0.1, iouThreshold: 0.45 });
    const dog = best(detections, ['dog'], REFERENCE.dog);
    const bicycle = best(detections, ['bicycle'], REFERENCE.bicycle);
    const vehicle = best(detections, ['car', 'truck'], REFERENCE.vehicle);
    for (const [name, match] of Object.entries({ dog, bicycle, vehicle })) {
      expect(match, `${name} not detected`).not.toBeNull();
      expect(match!.iou, `${name} box ${match!.detection.box.join(', ')}`).toBeGreaterThanOrEqual(0.7);
      expect(match!.detection.score, name).toBeGreaterThan(0.5);
    }
    const matched = new Set([dog!.detection, bicycle!.detection, vehicle!.detection]);
    const confidentOthers = detections.filter((d) => !matched.has(d) && d.score > 0.5);
    expect(confidentOthers).toEqual([]);
    for (const d of detections) {
      expect(d.label).toBe(labels[d.classId]);
      for (const v of d.box) expect(v >= 0 && v <= 1).toBe(true);
      expect(d.box[2]).toBeGreaterThan(d.box[0]);
      expect(d.box[3]).toBeGreaterThan(d.box[1]);
    }
  });

  it('gives the same answer on every call (buffers are reused, not leaked between frames)', async () => {
    const options = { minScore: 0.3, iouThreshold: 0.45 };
    const first = await detector.detect(frame, options);
    const [a, b] = await Promise.all([detector.detect(frame, options), detector.detect(frame, options)]);
    expect(a).toEqual(first);
    expect(b).toEqual(first);
    expect(detector.lastTimings.inferenceMs).toBeGreaterThan(0);
  });

  it('finds nothing in a blank grey frame', async () => {
    const grey: Frame = { ...frame, pixels: new Uint8Array(frame.pixels.length).fill(114) };
    expect(await detector.detect(grey, { minScore: 0.3, iouThreshold: 0.45 })).toEqual([]);
  });

  it('refuses a tampered model with digest_mismatch before loading it', async () => {
    const tampered = join(scratch, 'mirror');
    await mkdir(tampered, { recursive: true });
    const path = join(tampered, 'yolox_nano.onnx');
    await copyFile(sharedModel, path);
    const bytes = await readFile(path);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    await writeFile(path, bytes);

    await expect(loadDetector({ name: 'yolox-nano', cacheDir: join(scratch, 'empty-cache'), mirrorDir: tampered, logger })).rejects.toMatchObject({
      code: 'digest_mismatch',
      message: expect.stringContaining(path),
    });
    // Even handed a path and a digest that was verified earlier, the loader hashes the bytes it loads.
    await expect(OnnxDetector.load({ name: 'yolox-nano', entry, modelPath: path, sha256: SHARED_SHA, labels, logger })).rejects.toMatchObject({
      code: 'digest_mismatch',
      message: expect.stringContaining('refusing to load'),
    });
  });

  it('refuses a model whose inputs or outputs do not match the registry', async () => {
    const { path, sha256 } = await resolveModelFile(entry, { cacheDir: join(scratch, 'empty-cache'), mirrorDir: sharedModelsDir });
    const wrongInput = { ...entry, input: { ...entry.input, width: 320, height: 320 } };
    await expect(OnnxDetector.load({ name: 'x', entry: wrongInput, modelPath: path, sha256, labels, logger })).rejects.toMatchObject({
      code: 'model_mismatch',
      message: expect.stringMatching(/input: expected images: float32 \[1, 3, 320, 320\], model has images: float32 \[1, 3, 416, 416\]/),
    });
    const wrongOutput = { ...entry, output: { name: 'detections' } };
    await expect(OnnxDetector.load({ name: 'x', entry: wrongOutput, modelPath: path, sha256, labels, logger })).rejects.toMatchObject({
      code: 'model_mismatch',
      message: expect.stringContaining('output: expected detections: float32 [1, 3549, 85]'),
    });
  });

  it('shuts down idempotently and refuses work afterwards', async () => {
    const own = await loadDetector({ name: 'yolox-nano', cacheDir: join(scratch, 'empty-cache'), mirrorDir: sharedModelsDir, logger });
    const pending = own.detect(frame, { minScore: 0.3, iouThreshold: 0.45 });
    await Promise.all([own.stop(), own.stop()]);
    expect((await pending).length).toBeGreaterThan(0);
    await own.stop();
    await expect(own.detect(frame, { minScore: 0.3, iouThreshold: 0.45 })).rejects.toMatchObject({ code: 'detector_stopped' });
  });
});
