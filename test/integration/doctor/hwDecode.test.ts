import { describe, expect, it } from 'vitest';
import { hwDecodeChecks } from '../../../agent/doctor/checkHwDecode.js';
import type { HwDecodeCapabilities } from '../../../agent/ingest/hwDecode.js';
import type { SiteConfigInput } from '../../../pipelines/config/siteConfig.js';
import { doctorContext } from '../../helpers/doctorContext.js';

/** Runs the hardware-decoding rows of a site whose cameras ask for `hwDecode`, on capabilities given instead of probed. */
async function rows(cameras: SiteConfigInput['cameras'], capabilities: HwDecodeCapabilities): Promise<Array<{ id: string; status: string; reason: string }>> {
  const checks = hwDecodeChecks(doctorContext({ cameras }), { capabilities: () => Promise.resolve(capabilities) });
  const out = [];
  for (const check of checks) {
    const { status, reason } = await check.run(new AbortController().signal);
    out.push({ id: check.id, status, reason });
  }
  return out;
}

const camera = (id: string, hwDecode: string, codec = 'h264'): SiteConfigInput['cameras'][number] =>
  ({ id, source: { url: '/nonexistent.mp4', hwDecode, codec } }) as SiteConfigInput['cameras'][number];

describe('hardware decoding rows (real ffmpeg)', () => {
  it('fails a board preset whose device node is missing, before trying anything', async () => {
    expect(await rows([camera('a', 'rpi')], { hwaccels: [], decoders: ['h264_v4l2m2m'], devices: [] })).toEqual([
      {
        id: 'hwdecode:rpi:h264',
        status: 'fail',
        reason: 'rpi: no /dev/video10 on this box (not this board, or its driver is not loaded); the agent would fall back to software',
      },
    ]);
  });

  it('fails a preset whose decoder this ffmpeg lacks', async () => {
    const [row] = await rows([camera('a', 'rpi', 'hevc')], { hwaccels: [], decoders: ['h264_v4l2m2m'], devices: ['/dev/video10'] });
    expect(row).toMatchObject({ status: 'fail', reason: 'rpi: this ffmpeg has no hevc_v4l2m2m decoder; the agent would fall back to software' });
  });

  it("really decodes: a decoder the capabilities claim but ffmpeg does not have fails on ffmpeg's own words", async () => {
    // Stock ffmpeg builds have no Rockchip MPP decoder, so the trial decode is what catches it.
    const [row] = await rows([camera('a', 'rockchip'), camera('b', 'rockchip')], { hwaccels: [], decoders: ['h264_rkmpp'], devices: ['/dev/mpp_service'] });
    expect(row?.id).toBe('hwdecode:rockchip:h264');
    expect(row?.status).toBe('fail');
    expect(row?.reason).toMatch(/^h264_rkmpp failed to decode a h264 test clip: .*Unknown decoder 'h264_rkmpp'; the agent would fall back to software$/);
  });

  it('warns when auto finds nothing: the cameras will decode in software', async () => {
    expect(await rows([camera('a', 'auto'), camera('b', 'auto'), camera('c', 'none')], { hwaccels: [], decoders: [], devices: [] })).toEqual([
      { id: 'hwdecode:auto:h264', status: 'warn', reason: 'auto found no hardware decoder for h264 on this box: cameras a, b will decode in software' },
    ]);
  });
});
