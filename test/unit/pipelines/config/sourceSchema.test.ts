import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';
import { HW_DECODE_PRESETS, sourceSchema } from '../../../../pipelines/config/sourceSchema.js';

describe('camera source: hardware decoding', () => {
  it('decodes in software unless asked, with H.264 as the assumed codec', () => {
    expect(sourceSchema.parse({ url: 'rtsp://cam/1' })).toMatchObject({ hwDecode: 'none', codec: 'h264' });
  });

  it('accepts every preset and both codecs', () => {
    for (const hwDecode of HW_DECODE_PRESETS) {
      for (const codec of ['h264', 'hevc']) expect(sourceSchema.parse({ url: 'x', hwDecode, codec })).toMatchObject({ hwDecode, codec });
    }
    expect(HW_DECODE_PRESETS).toEqual(['none', 'auto', 'rpi', 'jetson', 'rockchip', 'vaapi', 'cuda']);
  });

  it('decodes on one thread by default; 0 (ffmpeg chooses) to 16 are accepted, others named', () => {
    expect(sourceSchema.parse({ url: 'x' }).decodeThreads).toBe(1);
    expect(sourceSchema.parse({ url: 'x', decodeThreads: 0 }).decodeThreads).toBe(0);
    expect(sourceSchema.parse({ url: 'x', decodeThreads: 16 }).decodeThreads).toBe(16);
    for (const decodeThreads of [-1, 17, 1.5, '2']) {
      const result = parseSiteConfig({
        version: 1,
        site: { id: 's' },
        mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
        cameras: [{ id: 'c', source: { url: 'x', decodeThreads } }],
      });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.join('\n')).toMatch(/cameras\[0\]\.source\.decodeThreads/);
    }
  });

  it('names the field and the value of an unknown preset or codec', () => {
    const result = parseSiteConfig({
      version: 1,
      site: { id: 's' },
      mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
      cameras: [{ id: 'c', source: { url: 'x', hwDecode: 'nvdec', codec: 'mjpeg' } }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toMatch(/cameras\[0\]\.source\.hwDecode: .*"none".*"cuda".*nvdec/);
    expect(result.errors.join('\n')).toMatch(/cameras\[0\]\.source\.codec: .*"h264".*"hevc".*mjpeg/);
  });
});
