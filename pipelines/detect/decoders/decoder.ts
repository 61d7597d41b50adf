import type { Detection, Letterbox } from '../../types.js';

/** What a decoder needs to know about its model, taken from the registry entry and labels file. */
export interface DecoderSpec {
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly numClasses: number;
  readonly strides: readonly number[];
  readonly labels: readonly string[];
}

export interface DecodeOptions {
  readonly minScore: number;
  readonly iouThreshold: number;
  /**
   * Per class id, the key NMS compares instead of the class: classes with one key (a label group,
   * e.g. car, truck and bus) suppress each other. Absent: every class on its own.
   */
  readonly nmsClassKeys?: readonly number[];
}

/**
 * Turns one raw output tensor into detections in normalised source coordinates. A decoder holds
 * scratch buffers sized for its model, so one instance serves one detector, one frame at a time.
 */
export interface Decoder {
  /** the output tensor shape this decoder reads; the detector checks the model against it at load */
  readonly outputShape: readonly number[];
  decode(output: Float32Array, letterbox: Letterbox, options: DecodeOptions): Detection[];
}

export type DecoderFactory = (spec: DecoderSpec) => Decoder;
