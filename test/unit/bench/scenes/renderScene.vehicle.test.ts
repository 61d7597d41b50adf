import { describe, expect, it } from 'vitest';
import { renderScene, vanSprite, type TruthBox } from '../../../../bench/scenes/renderScene.js';
import type { RgbImage } from '../../../../bench/scenes/rgbImage.js';
import { STATIC_VEHICLES, type SceneScript } from '../../../../bench/scenes/sceneScripts.js';

// The plaza's size: the van's box (STATIC_VEHICLES) is in its pixels.
const W = 768;
const H = 576;
/** A plate whose pixel (x, y) is (x mod 256, y mod 256, 7): any cut can be traced to where it came from. */
const plate: RgbImage = {
  width: W,
  height: H,
  data: Uint8Array.from({ length: W * H * 3 }, (_, i) => {
    const p = Math.floor(i / 3);
    return [(p % W) % 256, Math.floor(p / W) % 256, 7][i % 3]!;
  }),
};
const [vx1, vy1, vx2, vy2] = STATIC_VEHICLES.find((v) => v.id === 'van')!.box;

describe('vanSprite', () => {
  it("is the van's box cut from the plate, opaque, with its wheels on the box's bottom row", () => {
    const van = vanSprite(plate);
    expect([van.sprite.width, van.sprite.height, van.footY]).toEqual([vx2 - vx1, vy2 - vy1, vy2]);
    expect([...van.sprite.rgb.subarray(0, 3)]).toEqual([vx1 % 256, vy1 % 256, 7]);
    const last = (van.sprite.width * van.sprite.height - 1) * 3;
    expect([...van.sprite.rgb.subarray(last, last + 3)]).toEqual([(vx2 - 1) % 256, (vy2 - 1) % 256, 7]);
    expect(van.sprite.alpha.every((a) => a === 255)).toBe(true);
  });
});

describe('renderScene with a driven vehicle', () => {
  it("puts the van's truth box bottom-centre on its scripted path, scaled by the height model for its row", async () => {
    const scene: SceneScript = {
      id: 'drive',
      description: 'the van drives right along row 0.5',
      seconds: 1,
      actors: [
        {
          id: 'driven',
          kind: 'vehicle',
          keys: [
            { t: 0, x: 0.2, y: 0.5 },
            { t: 1, x: 0.6, y: 0.5 },
          ],
        },
      ],
    };
    const truth: TruthBox[][] = [];
    await renderScene({
      scene,
      plate,
      crops: [],
      cropOf: new Map(),
      // apparent height proportional to the foot row: at row 288 the van is 288 / 100 times its size at its own row 100
      heightModel: { a: 0, b: 0.5 },
      vehicle: vanSprite(plate),
      onFrame: async (_frame, boxes) => void truth.push(boxes.filter((b) => b.id === 'driven')),
    });
    expect(truth).toHaveLength(10);
    // By hand: scale 288 / 100 = 2.88; 71 x 56 px -> 204.48 -> 204 wide, 161.28 -> 161 tall; feet on row 288.
    for (const i of [0, 5, 9]) {
      const [box] = truth[i]!;
      const footX = (0.2 + 0.4 * (i / 10)) * W;
      expect(Math.round((box!.box[2] - box!.box[0]) * W)).toBe(204);
      expect(Math.round((box!.box[3] - box!.box[1]) * H)).toBe(161);
      expect(box!.box[3] * H).toBeCloseTo(288, 6);
      expect(Math.abs(((box!.box[0] + box!.box[2]) / 2) * W - footX)).toBeLessThanOrEqual(1);
      // its feet are above the lamp post's base (row 392): on frame 9 (x 330..534 px) the post (x 413..445) hides part of it
      if (i === 9) expect(box!.visibility).toBeLessThan(1);
      else expect(box!.visibility).toBe(1);
    }
  });
});
