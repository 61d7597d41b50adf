import { describe, expect, it } from 'vitest';
import { frameSizeError } from '../../../../pipelines/detect/frameSizeError.js';
import type { ModelInfo } from '../../../../pipelines/stages.js';
import type { Frame } from '../../../../pipelines/types.js';

const model: ModelInfo = { name: 'm', family: 'yolox', sha256: 'a'.repeat(64), inputWidth: 4, inputHeight: 2, labels: ['person'] };

function frame(width: number, height: number, bytes: number): Frame {
  return {
    cameraId: 'cam-1',
    seq: 1,
    captureTime: 0,
    width,
    height,
    pixels: new Uint8Array(bytes),
    letterbox: { scale: 1, padX: 0, padY: 0, sourceWidth: width, sourceHeight: height },
  };
}

describe('frameSizeError', () => {
  it('passes a frame at the input size with 4 x 2 x 3 = 24 bytes of BGR24', () => {
    expect(frameSizeError(frame(4, 2, 24), model)).toBeUndefined();
  });

  it.each([
    { what: 'another width', f: frame(2, 2, 12) },
    { what: 'width and height swapped', f: frame(2, 4, 24) },
    { what: 'the right size, a byte short', f: frame(4, 2, 23) },
    { what: 'the right size, grey (one byte a pixel)', f: frame(4, 2, 8) },
  ])('refuses $what with bad_frame, naming the camera and both sizes', ({ f }) => {
    const error = frameSizeError(f, model);
    expect(error).toMatchObject({ code: 'bad_frame' });
    expect(error?.message).toContain('cam-1');
    expect(error?.message).toContain(`is ${f.width}x${f.height} (${f.pixels.length} bytes)`);
    expect(error?.message).toContain('needs 4x2 BGR24 (24 bytes)');
  });
});
