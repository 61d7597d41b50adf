import { z } from 'zod';
import { secretRef } from './common.js';

/** Where a camera's video comes from and how ffmpeg opens it. */

export const sourceSchema = z.strictObject({
  /** rtsp://..., a file path, or a secret reference to either (camera URLs carry credentials) */
  url: secretRef,
  transport: z.enum(['tcp', 'udp']).default('tcp'),
  /** files only: start again at the end */
  loop: z.boolean().default(false),
  /** files only: read at the file's own frame rate, as a camera would deliver it */
  realtime: z.boolean().default(true),
});

