import { ModelError } from '../../errors.js';
import type { Decoder, DecoderFactory, DecoderSpec } from './decoder.js';
import { createYoloxDecoder } from './yolox.js';

export type { DecodeOptions, Decoder, DecoderFactory, DecoderSpec } from './decoder.js';

/**
 * Registry `family` to output decoder. A new head layout (e.g. YOLOv8's `[1, 4 + classes, cells]`)
 * is a new file in this folder plus one line here; the registry schema accepts exactly these names.
 */
export const DECODER_FAMILIES = ['yolox'] as const;
export type DecoderFamily = (typeof DECODER_FAMILIES)[number];

const DECODERS: Readonly<Record<DecoderFamily, DecoderFactory>> = {
  yolox: createYoloxDecoder,
};

export function createDecoder(family: string, spec: DecoderSpec): Decoder {
  const factory = Object.hasOwn(DECODERS, family) ? DECODERS[family as DecoderFamily] : undefined;
  if (factory === undefined) {
    throw new ModelError('unknown_family', `no decoder for model family "${family}"; known families: ${DECODER_FAMILIES.join(', ')}`);
  }
  return factory(spec);
}
