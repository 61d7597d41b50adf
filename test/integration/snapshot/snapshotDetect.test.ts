import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../../agent/inference/loadDetector.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { snapshotCommand } from '../../../agent/snapshot/snapshotCommand.js';
import type { Detector } from '../../../pipelines/stages.js';
import type { Detection } from '../../../pipelines/types.js';
import { captureIo } from '../../helpers/doctorIo.js';
import { frameFromImage, letterboxImage } from '../../helpers/letterboxImage.js';
import { dogPath, sharedModelsDir } from '../../helpers/paths.js';

/**
 * `--detect` on dog.jpg held still for 2 s at 5 fps. The boxes it draws are checked against an
 * independent run of the detector on the same picture: letterboxed by sharp (test helper), not
 * by the agent's ffmpeg filter, and fed to the model directly, without the snapshot's grab,
 * masks or tracker. The two letterboxes scale with different kernels, so edges may differ by a
 * few pixels; each expected edge is looked for within 6 px.
 */
const WIDTH = 768;
const HEIGHT = 576;
const dir = mkdtempSync(join(tmpdir(), 'c5-snapshot-detect-'));
const clip = join(dir, 'dog.mkv');
const config = join(dir, 'site.yaml');
const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir };
const logger = createRootLogger({ level: 'silent' });

let detector: Detector;
let expected: Detection[];

beforeAll(async () => {
  // lossless RGB, so the clip's frames are the decoded JPEG itself
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '2', '-i', dogPath, '-c:v', 'ffv1', '-pix_fmt', 'bgr0', clip]);
  writeFileSync(
    config,
    'version: 1\nsite: { id: snap }\nmqtt: { urls: ["mqtt://127.0.0.1:1"] }\ncameras:\n  - id: porch\n    source: { url: env:PORCH_URL_NOBODY_SET }\n    analyticsFps: 5\n',
  );
  detector = await loadDetector({ name: 'yolox-nano', mirrorDir: sharedModelsDir, cacheDir: join(dir, 'cache'), logger });
  // the schema's detection defaults: minScore 0.25, iouThreshold 0.45
  const all = await detector.detect(frameFromImage(await letterboxImage(dogPath, 416, 416)), { minScore: 0.25, iouThreshold: 0.45 });
  expected = all.filter((d) => d.score >= 0.5);
}, 60_000);

afterAll(async () => {
  await detector?.stop();
});

type Rgb = readonly [number, number, number];
/** the object colour #39ff14: nothing in dog.jpg is this saturated a green */
const isBoxColour = (p: Rgb): boolean => p[0] < 140 && p[1] > 200 && p[2] < 110;

describe('c5-agent snapshot --detect', () => {
  it('draws a box on the edges of each object the detector finds in the frame, and gives tracked objects ids', async () => {
    expect(expected.map((d) => d.label).sort()).toEqual(expect.arrayContaining(['bicycle', 'dog']));
    const out = join(dir, 'porch.png');
    const captured = captureIo(env);
    const code = await snapshotCommand({ config, input: clip, at: 2, detect: 2, out }, captured.io);
    expect(captured.rest()).not.toMatch(/"level":(50|60)/);
    expect(code).toBe(0);

    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([WIDTH, HEIGHT]);
    const at = (x: number, y: number): Rgb => {
      const cx = Math.min(WIDTH - 1, Math.max(0, Math.round(x)));
      const cy = Math.min(HEIGHT - 1, Math.max(0, Math.round(y)));
      const i = (cy * WIDTH + cx) * 3;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    };
    /** box colour within 6 px of (x, y), across the edge */
    const onEdge = (x: number, y: number, horizontal: boolean): boolean => {
      for (let d = -6; d <= 6; d += 1) if (isBoxColour(horizontal ? at(x, y + d) : at(x + d, y))) return true;
      return false;
    };
    for (const detection of expected) {
      const [x1, y1, x2, y2] = [detection.box[0] * WIDTH, detection.box[1] * HEIGHT, detection.box[2] * WIDTH, detection.box[3] * HEIGHT];
      const samples = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
      const hits = [
        ...samples.map((f) => onEdge(x1 + f * (x2 - x1), y1, true)),
        ...samples.map((f) => onEdge(x1 + f * (x2 - x1), y2, true)),
        ...samples.map((f) => onEdge(x1, y1 + f * (y2 - y1), false)),
        ...samples.map((f) => onEdge(x2, y1 + f * (y2 - y1), false)),
      ];
      // the label above a box may cover a little of a neighbour's edge; nearly all of each edge is drawn
      expect(
        hits.filter(Boolean).length,
        `${detection.label} ${detection.score.toFixed(2)} at ${[x1, y1, x2, y2].map(Math.round).join(',')}`,
      ).toBeGreaterThanOrEqual(26);
      // and the box is an outline, not a fill: its middle shows the picture
      expect(isBoxColour(at((x1 + x2) / 2, (y1 + y2) / 2))).toBe(false);
    }

    // ten frames of a still picture: every sure detection (score >= newTrackScore 0.6, confirmed after minHits 2) is a track
    const summary = /(\d+) objects in the last of (\d+) frames \((\d+) tracked\) by yolox-nano/.exec(captured.out());
    expect(summary, captured.out()).not.toBeNull();
    const [objects, frames, tracked] = summary!.slice(1).map(Number) as [number, number, number];
    expect(frames).toBe(10);
    expect(objects).toBeGreaterThanOrEqual(expected.length);
    expect(tracked).toBeGreaterThanOrEqual(expected.filter((d) => d.score >= 0.7).length);
    expect(tracked).toBeLessThanOrEqual(expected.length);
  }, 60_000);
});
