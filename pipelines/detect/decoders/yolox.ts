import { ModelError } from '../../errors.js';
import type { Detection, Letterbox } from '../../types.js';
import { modelBoxToSource } from '../letterbox.js';
import { NmsScratch, nmsIndices } from '../nms.js';
import type { DecodeOptions, Decoder, DecoderSpec } from './decoder.js';

/**
 * YOLOX head (anchor-free, decode_in_inference off): output `[1, cells, 5 + classes]`, cells are
 * the stride grids in order, row-major. Per row: `cx, cy, w, h` relative to the cell (log-space
 * size), then objectness and per-class probabilities, both already sigmoid-activated.
 */
export class YoloxDecoder implements Decoder {
  readonly outputShape: readonly number[];
  private readonly spec: DecoderSpec;
  private readonly rowLength: number;
  private readonly cells: number;
  // Candidate scratch sized for the worst case (every cell passes), reused every frame.
  private readonly boxes: Float32Array;
  private readonly scores: Float32Array;
  private readonly classIds: Int32Array;
  /** each candidate's NMS key when the options group classes */
  private readonly nmsKeys: Int32Array;
  private readonly nmsScratch: NmsScratch;

  constructor(spec: DecoderSpec) {
    if (spec.labels.length !== spec.numClasses) {
      throw new ModelError('invalid_labels', `decoder got ${spec.labels.length} labels for a model with ${spec.numClasses} classes`);
    }
    let cells = 0;
    for (const stride of spec.strides) {
      if (spec.inputWidth % stride !== 0 || spec.inputHeight % stride !== 0) {
        throw new ModelError('invalid_registry', `stride ${stride} does not divide the input size ${spec.inputWidth}x${spec.inputHeight}`);
      }
      cells += (spec.inputWidth / stride) * (spec.inputHeight / stride);
    }
    this.spec = spec;
    this.cells = cells;
    this.rowLength = 5 + spec.numClasses;
    this.outputShape = [1, cells, this.rowLength];
    this.boxes = new Float32Array(cells * 4);
    this.scores = new Float32Array(cells);
    this.classIds = new Int32Array(cells);
    this.nmsKeys = new Int32Array(cells);
    this.nmsScratch = new NmsScratch(cells);
  }

  decode(output: Float32Array, letterbox: Letterbox, options: DecodeOptions): Detection[] {
    const { rowLength, cells, boxes, scores, classIds } = this;
    if (output.length !== cells * rowLength) {
      throw new ModelError('bad_output', `YOLOX output has ${output.length} values, expected ${cells} x ${rowLength} = ${cells * rowLength}`);
    }
    const { minScore } = options;
    const numClasses = this.spec.numClasses;
    let count = 0;
    let row = 0;
    for (const stride of this.spec.strides) {
      const gridW = this.spec.inputWidth / stride;
      const gridH = this.spec.inputHeight / stride;
      for (let gy = 0; gy < gridH; gy++) {
        for (let gx = 0; gx < gridW; gx++, row++) {
          const o = row * rowLength;
          const objectness = output[o + 4]!;
          // Class probabilities are at most 1, so a cell whose objectness is already below the
          // threshold cannot pass: skipping it avoids the 80-class scan for almost every cell.
          if (objectness < minScore) continue;
          let bestClass = 0;
          let bestProb = output[o + 5]!;
          for (let c = 1; c < numClasses; c++) {
            const prob = output[o + 5 + c]!;
            if (prob > bestProb) {
              bestProb = prob;
              bestClass = c;
            }
          }
          const score = objectness * bestProb;
          if (score < minScore) continue;
          const cx = (output[o]! + gx) * stride;
          const cy = (output[o + 1]! + gy) * stride;
          const halfW = (Math.exp(output[o + 2]!) * stride) / 2;
          const halfH = (Math.exp(output[o + 3]!) * stride) / 2;
          const b = count * 4;
          boxes[b] = cx - halfW;
          boxes[b + 1] = cy - halfH;
          boxes[b + 2] = cx + halfW;
          boxes[b + 3] = cy + halfH;
          scores[count] = score;
          classIds[count] = bestClass;
          count++;
        }
      }
    }

    // NMS in model pixels: the letterbox is a uniform scale, so IoU is the same as in the source.
    const kept = nmsIndices(boxes, scores, this.nmsKeysOf(count, options), count, options.iouThreshold, this.nmsScratch);
    const detections: Detection[] = [];
    for (const index of kept) {
      const b = index * 4;
      const box = modelBoxToSource(boxes[b]!, boxes[b + 1]!, boxes[b + 2]!, boxes[b + 3]!, letterbox);
      // A box lying wholly in the padding clamps to zero area: nothing there to report.
      if (box[2] <= box[0] || box[3] <= box[1]) continue;
      const classId = classIds[index]!;
      detections.push({ label: this.spec.labels[classId]!, classId, score: scores[index]!, box });
    }
    return detections;
  }

  /** The class ids themselves, or their group keys (one lookup per candidate) when the options group classes. */
  private nmsKeysOf(count: number, options: DecodeOptions): Int32Array {
    const keys = options.nmsClassKeys;
    if (keys === undefined) return this.classIds;
    const { classIds, nmsKeys } = this;
    for (let i = 0; i < count; i++) nmsKeys[i] = keys[classIds[i]!] ?? classIds[i]!;
    return nmsKeys;
  }
}

export function createYoloxDecoder(spec: DecoderSpec): Decoder {
  return new YoloxDecoder(spec);
}
