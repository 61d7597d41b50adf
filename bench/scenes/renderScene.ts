import { compositeFrame, type Layer } from './compositeFrame.js';
import type { PersonCrop } from './cutPeople.js';
import { resizeSprite, type RgbImage, type Sprite } from './rgbImage.js';
import { placeSprite, placementBox, positionAt, type HeightModel, type Point } from './scenePath.js';
import { LAMP_POST, STATIC_VEHICLES, type SceneScript } from './sceneScripts.js';
import { insidePolygon } from './truthEvents.js';

export const SCENE_FPS = 10;

/** One object's box on one frame: normalised [x1, y1, x2, y2], and the share of its pixels not hidden. */
export interface TruthBox {
  readonly id: string;
  readonly box: readonly [number, number, number, number];
  readonly visibility: number;
}

/** A vehicle cut from the plate (vanSprite): its pixels, and the row its wheels stand on there. */
export interface VehicleCrop {
  readonly sprite: Sprite;
  readonly footY: number;
}

/**
 * The parked van as a sprite: the rectangle of its box (STATIC_VEHICLES) cut from the plate, with
 * the paving around it inside the rectangle. It stays parked in the plate too, so a scene that
 * drives it shows two vans: the parked one, and this copy driving.
 */
export function vanSprite(plate: RgbImage): VehicleCrop {
  const [x1, y1, x2, y2] = STATIC_VEHICLES.find((v) => v.id === 'van')!.box;
  const width = x2 - x1;
  const height = y2 - y1;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) rgb.set(plate.data.subarray(((y1 + y) * plate.width + x1) * 3, ((y1 + y) * plate.width + x2) * 3), y * width * 3);
  return { sprite: { width, height, rgb, alpha: new Uint8Array(width * height).fill(255) }, footY: y2 };
}

/** The lamp post and its sign cut from the plate, drawn over whoever walks behind them. */
export function lampPostLayer(plate: RgbImage): Layer {
  const xs = [...LAMP_POST.post.map((p) => p[0]), LAMP_POST.sign[0], LAMP_POST.sign[2]];
  const ys = [...LAMP_POST.post.map((p) => p[1]), LAMP_POST.sign[1], LAMP_POST.sign[3]];
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const width = Math.max(...xs) - x0;
  const height = Math.max(...ys) - y0;
  const rgb = new Uint8Array(width * height * 3);
  const alpha = new Uint8Array(width * height);
  const [sx1, sy1, sx2, sy2] = LAMP_POST.sign;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = x0 + x;
      const py = y0 + y;
      const centre: Point = [px + 0.5, py + 0.5];
      const covered = insidePolygon(centre, LAMP_POST.post) || (px >= sx1 && px < sx2 && py >= sy1 && py < sy2);
      if (!covered) continue;
      alpha[y * width + x] = 255;
      rgb.set(plate.data.subarray((py * plate.width + px) * 3, (py * plate.width + px) * 3 + 3), (y * width + x) * 3);
    }
  }
  return { sprite: { width, height, rgb, alpha }, x: x0, y: y0, depth: LAMP_POST.baseRow };
}

/**
 * Renders a scene frame by frame: each actor's crop scaled for its depth and placed with its feet
 * on the scripted foot point (scenePath.ts), nearer actors over farther ones, the lamp post over
 * those behind it. Calls `onFrame` with each frame and its truth boxes: every actor in the scene
 * at that time (with how visible it is) and the static vehicles. A `vehicle` actor shows `vehicle`,
 * scaled by the same height model as people (it stands on the same ground).
 */
export async function renderScene(options: {
  scene: SceneScript;
  plate: RgbImage;
  crops: readonly PersonCrop[];
  /** the crop each actor shows */
  cropOf: ReadonlyMap<string, number>;
  heightModel: HeightModel;
  /** what `vehicle` actors show; required when the scene has one */
  vehicle?: VehicleCrop;
  onFrame: (frame: RgbImage, boxes: TruthBox[]) => Promise<void>;
}): Promise<number> {
  const { scene, plate, crops, cropOf, heightModel } = options;
  const size = { width: plate.width, height: plate.height };
  const post = lampPostLayer(plate);
  const scaled = new Map<string, Sprite>();
  const frames = Math.round(scene.seconds * SCENE_FPS);
  const vehicles: TruthBox[] = STATIC_VEHICLES.map((v) => ({
    id: v.id,
    box: [v.box[0] / size.width, v.box[1] / size.height, v.box[2] / size.width, v.box[3] / size.height],
    visibility: 1,
  }));
  for (let i = 0; i < frames; i++) {
    const t = i / SCENE_FPS;
    const layers: Layer[] = [post];
    const boxes: TruthBox[] = [];
    const placed: { id: string; box: TruthBox['box'] }[] = [];
    for (const actor of scene.actors) {
      const foot = positionAt(actor.keys, t);
      if (!foot) continue;
      const crop =
        actor.kind === 'vehicle'
          ? vehicleOf(options.vehicle, scene.id)
          : { sprite: crops[cropOf.get(actor.id)!]!.sprite, footY: crops[cropOf.get(actor.id)!]!.bounds.y2 };
      const place = placeSprite(crop.sprite, crop.footY, foot, heightModel, size);
      const key = `${actor.kind === 'vehicle' ? 'vehicle' : cropOf.get(actor.id)}:${place.width}x${place.height}`;
      let sprite = scaled.get(key);
      if (!sprite) scaled.set(key, (sprite = resizeSprite(crop.sprite, place.width, place.height)));
      layers.push({ actorId: actor.id, sprite, x: place.x, y: place.y, depth: place.y + place.height });
      placed.push({ id: actor.id, box: placementBox(place, size) });
    }
    const { frame, visibility } = compositeFrame(plate, layers);
    for (const p of placed) boxes.push({ id: p.id, box: p.box, visibility: Math.round((visibility.get(p.id) ?? 0) * 1000) / 1000 });
    await options.onFrame(frame, [...boxes, ...vehicles]);
  }
  return frames;
}

function vehicleOf(vehicle: VehicleCrop | undefined, sceneId: string): VehicleCrop {
  if (!vehicle) throw new Error(`scenes: scene ${sceneId} drives a vehicle but no vehicle sprite was given`);
  return vehicle;
}
