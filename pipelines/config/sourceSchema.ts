import { z } from 'zod';
import { secretRef } from './common.js';

/** Where a camera's video comes from and how ffmpeg opens and decodes it. */

/**
 * Hardware-decoding presets, one per board family (README "Hardware decoding"). `auto` picks the
 * first preset the ffmpeg binary and the box's device nodes support; any preset that fails to
 * start falls back to software decoding for that camera.
 */
export const HW_DECODE_PRESETS = ['none', 'auto', 'rpi', 'jetson', 'rockchip', 'vaapi', 'cuda'] as const;
export type HwDecodePreset = (typeof HW_DECODE_PRESETS)[number];

/** Codecs the decoder-based presets (rpi, jetson, rockchip) have a hardware decoder for. */
export const VIDEO_CODECS = ['h264', 'hevc'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

export const sourceSchema = z
  .strictObject({
    /** rtsp://..., a file path, or a secret reference to either (camera URLs carry credentials) */
    url: secretRef.describe(
      'The video: an rtsp:// URL, an HTTP stream or a file path, or a secret reference to one (env:NAME or file:/path), since camera URLs carry credentials. Required.',
    ),
    transport: z.enum(['tcp', 'udp']).default('tcp').describe('RTSP transport: tcp or udp. Default tcp.'),
    /** files only: start again at the end */
    loop: z.boolean().default(false).describe('Files only: start again at the end of the file. Default false.'),
    /** files only: read at the file's own frame rate, as a camera would deliver it */
    realtime: z.boolean().default(true).describe("Files only: read at the file's own frame rate, as a camera would deliver it. Default true."),
    /** hardware decoding preset; `none` decodes in software */
    hwDecode: z
      .enum(HW_DECODE_PRESETS)
      .default('none')
      .describe(
        'Hardware decoding preset: none (software), auto (the first preset the box supports), rpi, jetson, rockchip, vaapi or cuda; a preset that fails to start falls back to software. Default none.',
      ),
    /**
     * The camera's video codec. Decoder-based presets must name their decoder before ffmpeg has
     * seen the stream (h264_v4l2m2m or hevc_v4l2m2m); hwaccel presets (vaapi, cuda) ignore it.
     */
    codec: z
      .enum(VIDEO_CODECS)
      .default('h264')
      .describe(
        "The camera's video codec, h264 or hevc: picks the hardware decoder of the rpi, jetson and rockchip presets (vaapi and cuda ignore it). Default h264.",
      ),
    /**
     * ffmpeg's decoder threads. Its default (cores + 1 frame threads) oversubscribes a small box that
     * decodes several cameras beside inference, and each thread holds frames of its own: one thread
     * decoded the 1080p bench stream with 15 % less CPU and 17 MB less memory (README "Capacity").
     * A stream one thread cannot decode in real time (4K H.265 on a small ARM box) needs more.
     */
    decodeThreads: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(1)
      .describe(
        "ffmpeg's decoder threads for this camera (0..16; 0 lets ffmpeg choose, cores + 1). One costs the least CPU and memory per camera; raise it only for a stream one thread cannot decode in real time (4K H.265 on a small board). Default 1.",
      ),
  })
  .describe("Where the camera's video comes from and how ffmpeg opens and decodes it.");
