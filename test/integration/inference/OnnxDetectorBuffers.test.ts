import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDetector } from '../../../agent/inference/loadDetector.js';
import type { OnnxDetector } from '../../../agent/inference/OnnxDetector.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { sceneFrame } from '../../helpers/sceneFrames.js';
import { sharedModelsDir } from '../../helpers/paths.js';

const logger = createRootLogger({ level: 'silent' });
const options = { minScore: 0.3, iouThreshold: 0.45 };

describe('OnnxDetector on the hot path', () => {
  let scratch: string;
  let detector: OnnxDetector;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'c5-buffers-'));
    detector = await loadDetector({ name: 'yolox-nano', cacheDir: join(scratch, 'empty'), mirrorDir: sharedModelsDir, logger });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await detector?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('feeds every frame through the same input buffer, tensor and feeds object', async () => {
    // InferenceSession is typed as a factory; at run time it is the class every session is made from.
    const sessionClass = ort.InferenceSession as unknown as { prototype: ort.InferenceSession };
    const run = vi.spyOn(sessionClass.prototype, 'run');
    const frames = [1, 2, 3].map((seq) => sceneFrame('cam', seq, seq, { objects: [{ x: 40 * seq, y: 100, w: 30, h: 80 }] }));
    for (const frame of frames) await detector.detect(frame, options);
    expect(run).toHaveBeenCalledTimes(3);
    const feeds = run.mock.calls.map((call) => call[0] as Record<string, ort.Tensor>);
    const data = feeds.map((feed) => feed['images']!.data);
    expect(data[0]).toBeInstanceOf(Float32Array);
    expect(data[1]).toBe(data[0]);
    expect(data[2]).toBe(data[0]);
    expect(feeds[1]).toBe(feeds[0]);
    // and the buffer holds the last frame, converted: pixel (0, 0) of each plane in BGR order
    const last = frames[2]!.pixels;
    const plane = 416 * 416;
    expect([data[2]![0], data[2]![plane], data[2]![2 * plane]]).toEqual([last[0], last[1], last[2]]);
    run.mockRestore();
  });

  it('falls back to the CPU when an execution provider cannot start', async () => {
    const warnings: string[] = [];
    const capture = createRootLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push(line) } });
    const fallback = await loadDetector({
      name: 'yolox-nano',
      cacheDir: join(scratch, 'empty'),
      mirrorDir: sharedModelsDir,
      sessionOptions: { executionProviders: ['tensorrt'], intraOpNumThreads: 1 },
      logger: capture,
    });
    try {
      expect(await fallback.detect(sceneFrame('cam', 1, 1), options)).toEqual([]);
      expect(warnings.join('')).toContain('falling back to cpu');
    } finally {
      await fallback.stop();
    }
  });
});
