import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipEncoder, readClipFrames } from '../../../../bench/scenes/clipIo.js';
import type { PersonCrop } from '../../../../bench/scenes/cutPeople.js';
import { renderScene, type TruthBox } from '../../../../bench/scenes/renderScene.js';
import type { RgbImage } from '../../../../bench/scenes/rgbImage.js';
import type { SceneScript } from '../../../../bench/scenes/sceneScripts.js';

const W = 192;
const H = 144;
const plate: RgbImage = { width: W, height: H, data: new Uint8Array(W * H * 3).fill(90) };
const crop: PersonCrop = {
  sprite: { width: 6, height: 12, rgb: new Uint8Array(Array.from({ length: 72 }, () => [220, 20, 20]).flat()), alpha: new Uint8Array(72).fill(255) },
  frameIndex: 0,
  score: 1,
  detected: { x1: 0, y1: 88, x2: 6, y2: 100 },
  bounds: { x1: 0, y1: 88, x2: 6, y2: 100 },
};
// Two seconds at 10 fps: one person walking left to right along row 0.8.
const scene: SceneScript = {
  id: 'tiny',
  description: 'one red person',
  seconds: 2,
  actors: [
    {
      id: 'red',
      keys: [
        { t: 0, x: 0.2, y: 0.8 },
        { t: 2, x: 0.8, y: 0.8 },
      ],
    },
  ],
};

async function encode(path: string): Promise<TruthBox[][]> {
  const encoder = new ClipEncoder({ ffmpegPath: 'ffmpeg', outPath: path, width: W, height: H, fps: 10 });
  const truth: TruthBox[][] = [];
  await renderScene({
    scene,
    plate,
    crops: [crop],
    cropOf: new Map([['red', 0]]),
    heightModel: { a: 0, b: 0.25 },
    onFrame: async (frame, boxes) => {
      truth.push(boxes.filter((b) => b.id === 'red'));
      await encoder.write(frame);
    },
  });
  await encoder.finish();
  return truth;
}

describe('a generated scene clip', () => {
  it('decodes to one frame per tenth of a second, the person inside its truth box and the plate around it; same bytes twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c5-scene-'));
    const clip = join(dir, 'tiny.avi');
    const truth = await encode(clip);
    const { frames } = await readClipFrames({ ffmpegPath: 'ffmpeg', clipPath: clip, every: 1, maxFrames: 100 });
    expect(frames).toHaveLength(20);
    expect(truth).toHaveLength(20);
    // Row 0.8 is pixel row 115.2: height 0.25 x 115.2 / (0.25 x 100) x 12 = 13.8 -> 14 px, 6.9 -> 7 px wide, feet at row 115.
    for (const i of [0, 10, 19]) {
      const [box] = truth[i]!;
      const x1 = Math.round(box!.box[0] * W);
      const y1 = Math.round(box!.box[1] * H);
      const x2 = Math.round(box!.box[2] * W);
      const y2 = Math.round(box!.box[3] * H);
      expect([x2 - x1, y2 - y1, y2]).toEqual([7, 14, 115]);
      // the foot point follows the path: x = 0.2 + 0.3 t
      expect((x1 + x2) / 2 / W).toBeCloseTo(0.2 + 0.3 * (i / 10), 1);
      const at = (x: number, y: number): number[] => [...frames[i]!.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
      const [r, g] = at(Math.floor((x1 + x2) / 2), Math.floor((y1 + y2) / 2));
      // JPEG blurs colour at edges, not in the middle of the person
      expect(r! - g!).toBeGreaterThan(100);
      for (const [x, y] of [
        [x1 - 4, y1 + 7],
        [x2 + 3, y1 + 7],
        [x1 + 3, y1 - 4],
      ]) {
        for (const v of at(x!, y!)) expect(Math.abs(v - 90)).toBeLessThan(12);
      }
    }
    await encode(join(dir, 'again.avi'));
    expect(readFileSync(join(dir, 'again.avi')).equals(readFileSync(clip))).toBe(true);
  });
});
