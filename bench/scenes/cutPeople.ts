import { computeLetterbox, PAD_VALUE } from '../../pipelines/detect/letterbox.js';
import type { Detection, Frame } from '../../pipelines/types.js';
import type { Detector } from '../../pipelines/stages.js';
import { cutSprite, type PixelBox } from './cutSprite.js';
import { resizePixels, type RgbImage, type Sprite } from './rgbImage.js';

/** A person cut from the clip: the sprite, where it came from, and its foot row there. */
export interface PersonCrop {
  readonly sprite: Sprite;
  readonly frameIndex: number;
  readonly score: number;
  /** the detector's box, source pixels */
  readonly detected: PixelBox;
  /** the mask's tight bounds in the source frame; y2 is the foot row */
  readonly bounds: PixelBox;
}

/** The frame as the model sees it: letterboxed to its input (image top-left, pad value), BGR24. */
export function letterboxFrame(image: RgbImage, inputWidth: number, inputHeight: number, seq: number): Frame {
  const box = computeLetterbox(image.width, image.height, inputWidth, inputHeight);
  const scaled = resizePixels(image.data, image.width, image.height, 3, box.scaledWidth, box.scaledHeight);
  const pixels = new Uint8Array(inputWidth * inputHeight * 3).fill(PAD_VALUE);
  for (let y = 0; y < box.scaledHeight; y++) {
    for (let x = 0; x < box.scaledWidth; x++) {
      const src = (y * box.scaledWidth + x) * 3;
      const dst = (y * inputWidth + x) * 3;
      pixels[dst] = scaled[src + 2]!;
      pixels[dst + 1] = scaled[src + 1]!;
      pixels[dst + 2] = scaled[src]!;
    }
  }
  const { scale, padX, padY, sourceWidth, sourceHeight } = box;
  return {
    cameraId: 'scenes',
    seq,
    captureTime: seq * 100,
    width: inputWidth,
    height: inputHeight,
    pixels,
    letterbox: { scale, padX, padY, sourceWidth, sourceHeight },
  };
}

const toPixels = (d: Detection, image: RgbImage): PixelBox => ({
  x1: d.box[0] * image.width,
  y1: d.box[1] * image.height,
  x2: d.box[2] * image.width,
  y2: d.box[3] * image.height,
});

const overlaps = (a: PixelBox, b: PixelBox, margin: number): boolean =>
  a.x1 - margin < b.x2 && b.x1 < a.x2 + margin && a.y1 - margin < b.y2 && b.y1 < a.y2 + margin;

export interface CutPeopleOptions {
  readonly detector: Detector;
  readonly plate: RgbImage;
  /** frames to cut from, with their index in the clip */
  readonly frames: readonly { readonly image: RgbImage; readonly index: number }[];
  readonly maxCrops: number;
  /** a person must be detected at least this sure */
  readonly minScore: number;
  /** and at least this tall, in source pixels */
  readonly minHeight: number;
}

/**
 * People cut out of the clip with the project's detector: confident person detections standing
 * clear of every other detection and of the frame's edge, whose difference to the plate gives a
 * clean mask (cutSprite.ts). Two crops near the same place within 3 s are the same person seen
 * twice: only the surer one is kept. Deterministic: the detector, then score, frame and position.
 */
export async function cutPeople(options: CutPeopleOptions): Promise<PersonCrop[]> {
  const { detector, plate, maxCrops } = options;
  const { inputWidth, inputHeight } = detector.model;
  const candidates: PersonCrop[] = [];
  for (const { image, index } of options.frames) {
    const detections = await detector.detect(letterboxFrame(image, inputWidth, inputHeight, index + 1), { minScore: 0.3, iouThreshold: 0.45 });
    const boxes = detections.map((d) => toPixels(d, image));
    detections.forEach((d, i) => {
      const box = boxes[i]!;
      if (d.label !== 'person' || d.score < options.minScore || box.y2 - box.y1 < options.minHeight) return;
      if (box.x1 < 10 || box.y1 < 10 || box.x2 > image.width - 10 || box.y2 > image.height - 10) return;
      if (boxes.some((other, j) => j !== i && overlaps(box, other, 12))) return;
      const cut = cutSprite(image, plate, box);
      if (cut) candidates.push({ sprite: cut.sprite, frameIndex: index, score: d.score, detected: box, bounds: cut.bounds });
    });
  }
  candidates.sort((a, b) => b.score - a.score || a.frameIndex - b.frameIndex || a.bounds.x1 - b.bounds.x1);
  const chosen: PersonCrop[] = [];
  for (const crop of candidates) {
    const samePerson = chosen.some(
      (c) => Math.abs(c.frameIndex - crop.frameIndex) <= 30 && Math.hypot(c.bounds.x1 - crop.bounds.x1, c.bounds.y2 - crop.bounds.y2) < 120,
    );
    if (!samePerson) chosen.push(crop);
    if (chosen.length === maxCrops) break;
  }
  return chosen;
}
