import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDetector } from '../../agent/inference/loadDetector.js';
import type { Logger } from '../../agent/observe/logger.js';
import { ClipEncoder, readClipFrames } from './clipIo.js';
import { cutPeople, type PersonCrop } from './cutPeople.js';
import { renderScene, SCENE_FPS, vanSprite, type TruthBox } from './renderScene.js';
import { medianPlate, type RgbImage } from './rgbImage.js';
import { fitHeightModel, type HeightModel } from './scenePath.js';
import { SCENE_LAYOUT, SCENES, STATIC_VEHICLES, type SceneScript } from './sceneScripts.js';
import { SCENE_RULES, sceneSiteConfig, sceneTruthEvents, type TruthEvent } from './sceneTruth.js';

/** truth.json: what a scene's clip shows and what its site config's rules must produce. */
export interface SceneTruth {
  readonly schema: 'c5.scene-truth.v1';
  readonly scene: string;
  readonly description: string;
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly rules: typeof SCENE_RULES;
  readonly layout: typeof SCENE_LAYOUT;
  readonly objects: readonly { id: string; label: 'person' | 'vehicle'; crop?: number; static?: boolean }[];
  /** frame n (from 1, as replay numbers them) is at (n - 1) / fps seconds */
  readonly frames: readonly { frame: number; time: number; boxes: TruthBox[] }[];
  readonly events: readonly TruthEvent[];
}

export interface BuildScenesOptions {
  readonly ffmpegPath: string;
  readonly clipPath: string;
  readonly outDir: string;
  readonly seed: number;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** only these scenes (ids); default all */
  readonly only?: readonly string[];
}

export interface BuiltScene {
  readonly id: string;
  readonly dir: string;
  readonly clip: string;
  readonly config: string;
  readonly truth: string;
  readonly frames: number;
  readonly actors: number;
  readonly events: number;
}

/** Mulberry32: a small seeded generator, so the same seed casts the same crops. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Which crop each actor shows: a seeded shuffle of the crops, dealt in the script's order. */
export function castActors(scene: SceneScript, cropCount: number, seed: number): Map<string, number> {
  const random = seeded(seed);
  const order = Array.from({ length: cropCount }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return new Map(scene.actors.map((actor, i) => [actor.id, order[i % order.length]!]));
}

/** Plate and crops, shared by every scene. */
export async function prepareSources(options: BuildScenesOptions): Promise<{ plate: RgbImage; crops: PersonCrop[]; heightModel: HeightModel }> {
  const { frames, indices } = await readClipFrames({ ffmpegPath: options.ffmpegPath, clipPath: options.clipPath, every: 10, maxFrames: 100 });
  // 80 frames 1 s apart: anyone walking is on a given pixel for far less than half of them.
  const plate = medianPlate(frames);
  const detector = await loadDetector({ name: 'yolox-nano', env: options.env, logger: options.logger.child({ component: 'scenes' }) });
  try {
    const crops = await cutPeople({
      detector,
      plate,
      frames: frames.map((image, i) => ({ image, index: indices[i]! })).filter((_, i) => i % 2 === 0),
      maxCrops: 8,
      minScore: 0.75,
      minHeight: 50,
    });
    if (crops.length < 5) throw new Error(`scenes: only ${crops.length} clean person crops found in ${options.clipPath}; the crowd scene needs 5`);
    const heightModel = fitHeightModel(
      crops.map((c) => ({ footY: c.bounds.y2, height: c.bounds.y2 - c.bounds.y1 })),
      { a: 20, b: 0.21 },
    );
    return { plate, crops, heightModel };
  } finally {
    await detector.stop();
  }
}

/**
 * `npm run scenes`: test clips with exact ground truth, built from the shared plaza clip. A
 * background plate (per-pixel median), person crops cut with the detector, and for each scene
 * of sceneScripts.ts a clip (MJPEG, 10 fps), its site config and its truth.json, in
 * `<outDir>/<scene>/`. The same clip and seed give the same files.
 */
export async function buildScenes(options: BuildScenesOptions): Promise<BuiltScene[]> {
  const { plate, crops, heightModel } = await prepareSources(options);
  const van = vanSprite(plate);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(
    join(options.outDir, 'crops.json'),
    `${JSON.stringify(
      {
        heightModel,
        crops: crops.map((c, i) => ({ crop: i, frameIndex: c.frameIndex, score: c.score, detected: c.detected, bounds: c.bounds })),
      },
      null,
      2,
    )}\n`,
  );
  const built: BuiltScene[] = [];
  const scenes = SCENES.filter((scene) => !options.only || options.only.includes(scene.id));
  for (const [index, scene] of scenes.entries()) {
    const dir = join(options.outDir, scene.id);
    mkdirSync(dir, { recursive: true });
    const cropOf = castActors(scene, crops.length, options.seed * 1000 + index);
    const clip = join(dir, 'clip.avi');
    const encoder = new ClipEncoder({ ffmpegPath: options.ffmpegPath, outPath: clip, width: plate.width, height: plate.height, fps: SCENE_FPS });
    const frames: SceneTruth['frames'][number][] = [];
    try {
      await renderScene({
        scene,
        plate,
        crops,
        cropOf,
        heightModel,
        vehicle: van,
        onFrame: async (frame, boxes) => {
          frames.push({ frame: frames.length + 1, time: frames.length / SCENE_FPS, boxes });
          await encoder.write(frame);
        },
      });
    } finally {
      await encoder.finish();
    }
    const events = sceneTruthEvents(scene);
    const truth: SceneTruth = {
      schema: 'c5.scene-truth.v1',
      scene: scene.id,
      description: scene.description,
      fps: SCENE_FPS,
      width: plate.width,
      height: plate.height,
      seed: options.seed,
      rules: SCENE_RULES,
      layout: SCENE_LAYOUT,
      objects: [
        ...scene.actors.map((a) =>
          a.kind === 'vehicle' ? { id: a.id, label: 'vehicle' as const } : { id: a.id, label: 'person' as const, crop: cropOf.get(a.id)! },
        ),
        ...STATIC_VEHICLES.map((v) => ({ id: v.id, label: 'vehicle' as const, static: true })),
      ],
      frames,
      events,
    };
    const config = join(dir, 'site.yaml');
    const truthPath = join(dir, 'truth.json');
    writeFileSync(config, sceneSiteConfig(scene));
    writeFileSync(truthPath, `${JSON.stringify(truth)}\n`);
    built.push({ id: scene.id, dir, clip, config, truth: truthPath, frames: frames.length, actors: scene.actors.length, events: events.length });
  }
  return built;
}
