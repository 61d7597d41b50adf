import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotCommand } from '../../../agent/snapshot/snapshotCommand.js';
import { captureIo } from '../../helpers/doctorIo.js';

/**
 * A solid grey clip (128, 128, 128) at 640x360 makes every overlay pixel unambiguous. The
 * expected pixel positions below are worked out by hand from the config's normalised
 * coordinates (x * 640, y * 360), and the arrow sides from the rule's definition in
 * rulesSchema.ts: `in` is a crossing from the left of the line, walking from `from` to `to`, to
 * its right, as seen on screen (y down).
 */
const WIDTH = 640;
const HEIGHT = 360;
const GREY = 128;
const dir = mkdtempSync(join(tmpdir(), 'c5-snapshot-overlay-'));
const clip = join(dir, 'grey.mkv');
const config = join(dir, 'site.yaml');

const SITE = `version: 1
site: { id: snap }
mqtt: { urls: ["mqtt://127.0.0.1:1"] }
cameras:
  - id: yard
    source: { url: env:YARD_URL_NOBODY_SET }
    zones:
      # x 32..288, y 180..342; its name sits at the centre (160, 261)
      - { id: lower, name: "Lower </text><script>alert(1)</script> & co", polygon: [[0.05, 0.5], [0.45, 0.5], [0.45, 0.95], [0.05, 0.95]] }
    lines:
      # y = 72 from x = 64 to 320, walking east: the right hand points down, so in is downwards from (192, 72)
      - { id: kerb, from: [0.1, 0.2], to: [0.5, 0.2] }
      # x = 480 from y = 324 up to 198, walking north: the right hand points east, so in is rightwards from (480, 261)
      - { id: gate, name: Gate, from: [0.75, 0.9], to: [0.75, 0.55] }
    privacyMasks:
      # x 384..576, y 36..144
      - { id: window, polygon: [[0.6, 0.1], [0.9, 0.1], [0.9, 0.4], [0.6, 0.4]] }
`;

type Rgb = readonly [number, number, number];
interface Image {
  readonly width: number;
  readonly height: number;
  at(x: number, y: number): Rgb;
}

async function readPng(path: string): Promise<Image> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    at: (x, y) => {
      const i = (Math.round(y) * info.width + Math.round(x)) * 3;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    },
  };
}

const near = (pixel: Rgb, expected: Rgb, tolerance = 3): boolean => pixel.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
const isGrey = (pixel: Rgb): boolean => near(pixel, [GREY, GREY, GREY]);
/** the line colour #00e5ff: no red, much green and blue */
const isLineColour = (pixel: Rgb): boolean => pixel[0] < 60 && pixel[1] > 180 && pixel[2] > 200;

beforeAll(() => {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x808080:s=${WIDTH}x${HEIGHT}:r=10:d=3`,
    '-c:v',
    'ffv1',
    '-pix_fmt',
    'bgr0',
    clip,
  ]);
  writeFileSync(config, SITE);
});

describe('c5-agent snapshot: the overlay lands where the config says', () => {
  let image: Image;
  let out: string;
  let printed: string;

  beforeAll(async () => {
    out = join(dir, 'yard.png');
    writeFileSync(out, 'an older snapshot, to be replaced');
    const captured = captureIo({ ...process.env });
    const code = await snapshotCommand({ config, camera: 'yard', input: clip, at: 1.5, out }, captured.io);
    printed = captured.out();
    expect(captured.rest()).not.toMatch(/"level":(50|60)/);
    expect(code).toBe(0);
    image = await readPng(out);
  }, 30_000);

  it('is the clip at its own size, with no temp file left beside it', () => {
    expect([image.width, image.height]).toEqual([WIDTH, HEIGHT]);
    expect(readdirSync(dir).sort()).toEqual(['grey.mkv', 'site.yaml', 'yard.png']);
    expect(printed).toContain('640x360, 1 zones, 2 lines, 1 privacy masks');
    expect(printed).toContain(`written to ${out}`);
  });

  it('leaves the picture alone away from every shape', () => {
    for (const [x, y] of [
      [600, 20],
      [620, 340],
      [10, 10],
      [340, 250],
      [192, 150],
    ] as const) {
      expect(image.at(x, y), `(${x}, ${y})`).toSatisfy(isGrey);
    }
  });

  it('fills a zone with a quarter of #ffd400 over the grey (hand: 0.25 * (255, 212, 0) + 0.75 * 128 = (160, 149, 96)) and outlines it', () => {
    for (const [x, y] of [
      [60, 200],
      [260, 200],
      [60, 320],
      [260, 320],
    ] as const) {
      expect(image.at(x, y), `(${x}, ${y})`).toSatisfy((p: Rgb) => near(p, [160, 149, 96], 4));
    }
    // the right edge x = 288: outline colour on it, grey a little outside it
    expect(image.at(288, 220)).toSatisfy((p: Rgb) => p[0] > 200 && p[1] > 170 && p[2] < 80);
    expect(image.at(298, 220)).toSatisfy(isGrey);
    expect(image.at(160, 170)).toSatisfy(isGrey);
  });

  it('covers a privacy mask: every inside pixel is the model pad grey (114) or the magenta hatch, none the picture', () => {
    let pad = 0;
    let hatch = 0;
    for (let y = 46; y <= 134; y += 4) {
      for (let x = 394; x <= 566; x += 4) {
        const p = image.at(x, y);
        if (near(p, [114, 114, 114], 2)) pad += 1;
        else if (p[0] > 150 && p[1] < 130 && p[2] > 130) hatch += 1;
        else if (!isGrey(p))
          continue; // anti-aliased hatch edges and the label
        else throw new Error(`picture grey shows through the mask at (${x}, ${y})`);
      }
    }
    expect(pad).toBeGreaterThan(100);
    expect(hatch).toBeGreaterThan(30);
    expect(image.at(380 - 8, 90)).toSatisfy(isGrey);
    expect(image.at(576 + 8, 90)).toSatisfy(isGrey);
  });

  it('draws each line, and its arrow on the `in` side only', () => {
    expect(image.at(150, 72)).toSatisfy(isLineColour);
    expect(image.at(480, 230)).toSatisfy(isLineColour);
    // kerb: the arrow runs from (192, 72) downwards; nothing of it above the line
    const below = [80, 84, 88].filter((y) => isLineColour(image.at(192, y)));
    const above = [64, 60, 56].filter((y) => !isGrey(image.at(192, y)));
    expect(below).toEqual([80, 84, 88]);
    expect(above).toEqual([]);
    // gate: the arrow runs from (480, 261) to the right; nothing of it on the left
    expect([488, 492, 496].filter((x) => isLineColour(image.at(x, 261)))).toEqual([488, 492, 496]);
    expect([472, 468, 464].filter((x) => !isGrey(image.at(x, 261)))).toEqual([]);
  });

  it('renders a hostile name as text: the SVG parsed (the image exists) and nothing was injected', () => {
    // the zone label is drawn (not grey) around the zone's centre, where the name is written
    let labelled = 0;
    for (let x = 60; x <= 260; x += 2) if (!near(image.at(x, 255), [160, 149, 96], 4)) labelled += 1;
    expect(labelled).toBeGreaterThan(10);
  });
});

describe('c5-agent snapshot: refusals', () => {
  it('refuses to write over a directory, and names it', async () => {
    const folder = join(dir, 'a-folder.png');
    mkdirSync(folder);
    const captured = captureIo({ ...process.env });
    await expect(snapshotCommand({ config, input: clip, out: folder }, captured.io)).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining('is a directory'),
    });
  });

  it('exits 1 when the clip has no frame at --at, saying so, and writes nothing', async () => {
    const out = join(dir, 'late.png');
    const captured = captureIo({ ...process.env });
    const code = await snapshotCommand({ config, input: clip, at: 60, out }, captured.io);
    expect(code).toBe(1);
    expect(captured.rest()).toContain('snapshot: cannot read input');
    expect(captured.rest()).toContain('at 60 s');
    expect(() => readFileSync(out)).toThrow();
  });

  it('takes an --input alone: the frame with nothing drawn on it', async () => {
    const out = join(dir, 'plain.png');
    const captured = captureIo({ ...process.env });
    expect(await snapshotCommand({ input: clip, out }, captured.io)).toBe(0);
    const plain = await readPng(out);
    for (const [x, y] of [
      [60, 200],
      [150, 72],
      [450, 90],
    ] as const) {
      expect(plain.at(x, y)).toSatisfy(isGrey);
    }
    expect(captured.out()).toContain('0 zones, 0 lines, 0 privacy masks');
  });
});
