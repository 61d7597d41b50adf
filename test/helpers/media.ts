import { inject } from 'vitest';
import { H264_CLIP_ENV } from './h264Clip.js';

export { clipPath } from './paths.js';

/** Path of the H.264 mp4 made from the shared clip by globalSetup. */
export function h264ClipPath(): string {
  const path = inject('h264ClipPath') || process.env[H264_CLIP_ENV];
  if (path) return path;
  const why = inject('h264ClipError');
  throw new Error(
    why
      ? `the H.264 test clip could not be made in globalSetup: ${why}`
      : 'h264ClipPath was not provided: is test/helpers/globalSetup.ts in vitest.config.ts globalSetup?',
  );
}
