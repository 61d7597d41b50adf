import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../../../pipelines/errors.js';
import { createDecoder, DECODER_FAMILIES } from '../../../../../pipelines/detect/decoders/index.js';
import { YoloxDecoder } from '../../../../../pipelines/detect/decoders/yolox.js';
import { computeLetterbox } from '../../../../../pipelines/detect/letterbox.js';

const labels = Array.from({ length: 80 }, (_, i) => `class${i}`);
const spec = { inputWidth: 416, inputHeight: 416, numClasses: 80, strides: [8, 16, 32], labels };
const ROW = 85;
const CELLS = 52 * 52 + 26 * 26 + 13 * 13;
// dog.jpg's geometry: 768x576 fitted as 416x312
const letterbox = computeLetterbox(768, 576, 416, 416);
const options = { minScore: 0.25, iouThreshold: 0.45 };

/** Index of grid cell (gx, gy) at `stride` in the concatenated 52/26/13 output. */
function cellIndex(stride: number, gx: number, gy: number): number {
  const levels = [8, 16, 32];
  let base = 0;
  for (const s of levels) {
    if (s === stride) return base + gy * (416 / s) + gx;
    base += (416 / s) ** 2;
  }
  throw new Error(`no stride ${stride}`);
}

interface Cell {
  stride: number;
  gx: number;
  gy: number;
  cx?: number;
  cy?: number;
  w: number;
  h: number;
  objectness: number;
  classId: number;
  prob: number;
}

function output(cells: readonly Cell[]): Float32Array {
  const data = new Float32Array(CELLS * ROW);
  for (const c of cells) {
    const o = cellIndex(c.stride, c.gx, c.gy) * ROW;
    data[o] = c.cx ?? 0.5;
    data[o + 1] = c.cy ?? 0.5;
    data[o + 2] = Math.log(c.w / c.stride);
    data[o + 3] = Math.log(c.h / c.stride);
    data[o + 4] = c.objectness;
    data[o + 5 + c.classId] = c.prob;
  }
  return data;
}

describe('YOLOX decoder', () => {
  it('declares the [1, 3549, 85] output it reads', () => {
    expect(new YoloxDecoder(spec).outputShape).toEqual([1, CELLS, ROW]);
  });

  it('decodes one known cell to the expected normalised source box', () => {
    // stride 16, cell (5, 7): centre (5.5 * 16, 7.5 * 16) = (88, 120); size 64 x 32 model pixels
    const data = output([{ stride: 16, gx: 5, gy: 7, w: 64, h: 32, objectness: 0.9, classId: 16, prob: 0.8 }]);
    const [d, ...rest] = createDecoder('yolox', spec).decode(data, letterbox, options);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ label: 'class16', classId: 16 });
    expect(d!.score).toBeCloseTo(0.72, 6);
    // model px -> source px is / (416 / 768); normalised by 768 x 576, i.e. x / 416 and y / 312
    const expected = [56 / 416, 104 / 312, 120 / 416, 136 / 312];
    d!.box.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('reads the cell offsets and every stride level', () => {
    const data = output([
      { stride: 8, gx: 51, gy: 0, cx: 0.25, cy: 0.75, w: 8, h: 8, objectness: 1, classId: 0, prob: 1 },
      { stride: 32, gx: 0, gy: 9, w: 32, h: 32, objectness: 1, classId: 1, prob: 0.5 },
    ]);
    const dets = createDecoder('yolox', spec).decode(data, letterbox, options);
    expect(dets.map((d) => d.classId)).toEqual([0, 1]);
    // stride 8 cell 51: centre x = 51.25 * 8 = 410, y = 0.75 * 8 = 6; 8x8 box, right edge clamps at 414/416
    const [a, b] = dets;
    expect(a!.box[0]).toBeCloseTo(406 / 416, 5);
    expect(a!.box[1]).toBeCloseTo(2 / 312, 5);
    expect(a!.box[2]).toBeCloseTo(414 / 416, 5);
    // stride 32 cell (0, 9): centre (16, 304), 32x32 -> y 288..320, bottom clamps at the image edge (312)
    expect(b!.box).toEqual([0, expect.closeTo(288 / 312, 5), expect.closeTo(32 / 416, 5), 1]);
  });

  it('picks the best class of a cell and multiplies by objectness', () => {
    const data = output([{ stride: 32, gx: 3, gy: 3, w: 40, h: 40, objectness: 0.5, classId: 2, prob: 0.9 }]);
    data[cellIndex(32, 3, 3) * ROW + 5 + 7] = 0.6;
    const [d] = createDecoder('yolox', spec).decode(data, letterbox, options);
    expect(d!.classId).toBe(2);
    expect(d!.score).toBeCloseTo(0.45, 6);
  });

  it('filters by minScore on objectness x class probability', () => {
    const data = output([
      { stride: 32, gx: 1, gy: 1, w: 40, h: 40, objectness: 0.9, classId: 3, prob: 0.25 },
      { stride: 32, gx: 8, gy: 1, w: 40, h: 40, objectness: 0.2, classId: 3, prob: 1 },
    ]);
    expect(createDecoder('yolox', spec).decode(data, letterbox, options)).toEqual([]);
    expect(createDecoder('yolox', spec).decode(data, letterbox, { ...options, minScore: 0.1 })).toHaveLength(2);
  });

  it('suppresses overlapping same-class cells but not other classes', () => {
    const data = output([
      { stride: 16, gx: 10, gy: 10, w: 100, h: 100, objectness: 0.9, classId: 16, prob: 0.9 },
      { stride: 16, gx: 11, gy: 10, w: 100, h: 100, objectness: 0.8, classId: 16, prob: 0.9 },
      { stride: 16, gx: 10, gy: 11, w: 100, h: 100, objectness: 0.7, classId: 15, prob: 0.9 },
    ]);
    const dets = createDecoder('yolox', spec).decode(data, letterbox, options);
    expect(dets.map((d) => [d.classId, Number(d.score.toFixed(2))])).toEqual([
      [16, 0.81],
      [15, 0.63],
    ]);
  });

  it('with nmsClassKeys, suppresses across the classes of one group (one van seen as car and truck is one detection)', () => {
    // COCO ids: 2 car, 5 bus, 7 truck, 0 person; a group of 2, 5 and 7 gives each of them the key 2
    const nmsClassKeys = labels.map((_, classId) => ([5, 7].includes(classId) ? 2 : classId));
    const data = output([
      { stride: 16, gx: 10, gy: 10, w: 100, h: 60, objectness: 1, classId: 2, prob: 0.8 },
      // one cell to the right: the same 100x60 box moved 16 px, IoU 84 x 60 / (2 x 6000 - 5040) = 0.72
      { stride: 16, gx: 11, gy: 10, w: 100, h: 60, objectness: 1, classId: 7, prob: 0.6 },
      // a person on the same spot is another object
      { stride: 16, gx: 10, gy: 11, w: 100, h: 60, objectness: 1, classId: 0, prob: 0.7 },
    ]);
    const grouped = createDecoder('yolox', spec).decode(data, letterbox, { ...options, nmsClassKeys });
    expect(grouped.map((d) => [d.classId, Number(d.score.toFixed(2))])).toEqual([
      [2, 0.8],
      [0, 0.7],
    ]);
    // without the keys, class-wise NMS keeps both car and truck
    expect(
      createDecoder('yolox', spec)
        .decode(data, letterbox, options)
        .map((d) => d.classId),
    ).toEqual([2, 0, 7]);
  });

  it('drops boxes that lie wholly in the padding', () => {
    // stride 32 row 12 is y 384..416: below the 312-pixel image
    const data = output([{ stride: 32, gx: 4, gy: 12, w: 20, h: 20, objectness: 0.9, classId: 0, prob: 0.9 }]);
    expect(createDecoder('yolox', spec).decode(data, letterbox, options)).toEqual([]);
  });

  it('reuses its buffers across frames without leaking candidates', () => {
    const decoder = createDecoder('yolox', spec);
    const busy = output([
      { stride: 8, gx: 1, gy: 1, w: 10, h: 10, objectness: 0.9, classId: 0, prob: 0.9 },
      { stride: 8, gx: 30, gy: 30, w: 10, h: 10, objectness: 0.9, classId: 0, prob: 0.9 },
    ]);
    expect(decoder.decode(busy, letterbox, options)).toHaveLength(2);
    expect(decoder.decode(new Float32Array(CELLS * ROW), letterbox, options)).toEqual([]);
  });

  it('rejects an output of the wrong size', () => {
    expect(() => createDecoder('yolox', spec).decode(new Float32Array(10), letterbox, options)).toThrow(/expected 3549 x 85/);
  });

  it('rejects labels that do not match the class count, and strides that do not divide the input', () => {
    expect(() => new YoloxDecoder({ ...spec, labels: labels.slice(1) })).toThrow(ModelError);
    expect(() => new YoloxDecoder({ ...spec, strides: [8, 16, 32, 64] })).toThrow(/stride 64/);
  });
});

describe('decoder families', () => {
  it('knows yolox and names the known families for anything else', () => {
    expect(DECODER_FAMILIES).toContain('yolox');
    expect(() => createDecoder('yolov8', spec)).toThrow(/no decoder for model family "yolov8"; known families: yolox/);
    expect(() => createDecoder('toString', spec)).toThrow(ModelError);
  });
});
