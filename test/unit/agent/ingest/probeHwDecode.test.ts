import { describe, expect, it } from 'vitest';
import { probeHwDecodeCapabilities } from '../../../../agent/ingest/probeHwDecode.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';

function capture() {
  const logs: string[] = [];
  return { logs, logger: createRootLogger({ level: 'info', destination: { write: (l: string) => void logs.push(l) } }) };
}

describe('probeHwDecodeCapabilities', () => {
  it('lists hwaccels, decoders and the device nodes that exist, and logs what the box can do', async () => {
    const { logs, logger } = capture();
    const caps = await probeHwDecodeCapabilities({
      ffmpegPath: '/usr/bin/ffmpeg',
      logger,
      exists: (node) => node === '/dev/video10',
      listing: async (_path, flag) =>
        flag === '-hwaccels'
          ? 'Hardware acceleration methods:\ndrm\n\n'
          : 'Decoders:\n V..... = Video\n ------\n VFS..D h264  H.264\n V..... h264_v4l2m2m  V4L2 mem2mem H.264 decoder wrapper\n',
    });
    expect(caps).toEqual({ hwaccels: ['drm'], decoders: ['h264', 'h264_v4l2m2m'], devices: ['/dev/video10'] });
    const line = logs.find((l) => l.includes('"msg":"hardware decoding capabilities"'));
    expect(line).toContain('"hardwareDecoders":["h264_v4l2m2m"]');
  });

  it('leaves a listing that fails empty and says so, so that auto decodes in software', async () => {
    const { logs, logger } = capture();
    const caps = await probeHwDecodeCapabilities({
      ffmpegPath: '/nope/ffmpeg',
      logger,
      exists: () => false,
      listing: async (path) => {
        throw Object.assign(new Error(`spawn ${path} ENOENT`), { code: 'ENOENT' });
      },
    });
    expect(caps).toEqual({ hwaccels: [], decoders: [], devices: [] });
    expect(logs.filter((l) => l.includes('cannot list ffmpeg capabilities'))).toHaveLength(2);
  });
});
