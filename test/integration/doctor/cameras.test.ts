import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cameraChecks } from '../../../agent/doctor/checkCameras.js';
import type { CheckOutcome } from '../../../agent/doctor/DoctorCheck.js';
import type { SiteConfigInput } from '../../../pipelines/config/siteConfig.js';
import { doctorContext } from '../../helpers/doctorContext.js';
import { freePort } from '../../helpers/freePort.js';
import { h264ClipPath } from '../../helpers/media.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-doctor-cameras-'));
const sockets = new Set<Socket>();
let silent: Server | undefined;

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

async function cameraRows(
  cameras: SiteConfigInput['cameras'],
  options: { ffmpegPath?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Record<string, CheckOutcome>> {
  const context = { ...doctorContext({ cameras, ...options }), cameraTimeoutMs: 3_000 };
  const rows: Record<string, CheckOutcome> = {};
  await Promise.all(cameraChecks(context).map(async (check) => (rows[check.id] = await check.run(new AbortController().signal))));
  return rows;
}

describe('camera rows (real ffprobe)', () => {
  it('describe a clip, refuse a file that is not video, and call a camera that never answers unreachable within the limit', async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => sockets.delete(socket));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent!.listen(port, '127.0.0.1', resolve));
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'this is not a video\n');
    const rows = await cameraRows([
      { id: 'clip', source: { url: h264ClipPath() }, analyticsFps: 5 },
      { id: 'slow', source: { url: h264ClipPath() }, analyticsFps: 25 },
      { id: 'text', source: { url: text } },
      { id: 'silent', source: { url: `rtsp://viewer:Silent-Pw-0042@127.0.0.1:${port}/cam` }, stallTimeoutSeconds: 2 },
      { id: 'off', enabled: false, source: { url: '/nowhere.mp4' } },
    ]);
    expect(Object.keys(rows).sort()).toEqual(['camera:clip', 'camera:silent', 'camera:slow', 'camera:text']);
    // the shared clip: 768x576 at 10 fps (its AVI header), transcoded to H.264 by the test setup
    expect(rows['camera:clip']).toEqual({ status: 'pass', reason: 'h264 768x576 at 10 fps', details: [`url: ${h264ClipPath()}`] });
    expect(rows['camera:slow']).toMatchObject({ status: 'warn', reason: 'h264 768x576 at 10 fps: fewer frames than analyticsFps 25 asks for' });
    expect(rows['camera:text']?.status).toBe('fail');
    expect(rows['camera:text']?.reason).toMatch(/^not_video: ffprobe exited with code 1: .*Invalid data found when processing input/);
    // stallTimeoutSeconds 2: ffprobe's socket timeout is 1 s, under the row's 3 s limit
    expect(rows['camera:silent']).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^unreachable: no answer within 1000 ms/) as unknown });
    expect(JSON.stringify(rows)).not.toContain('Silent-Pw-0042');
    expect(rows['camera:silent']?.details?.[0]).toBe(`url: rtsp://REDACTED:REDACTED@127.0.0.1:${port}/cam`);
  });

  it('fails with a clear reason when there is no ffprobe beside ffmpeg or on PATH', async () => {
    // a folder with ffmpeg alone, and a PATH with nothing else
    const lonely = join(dir, 'bin');
    mkdirSync(lonely);
    symlinkSync('/usr/bin/ffmpeg', join(lonely, 'ffmpeg'));
    const rows = await cameraRows([{ id: 'a', source: { url: h264ClipPath() } }], { ffmpegPath: join(lonely, 'ffmpeg'), env: { PATH: lonely } });
    expect(rows['camera:a']).toMatchObject({
      status: 'fail',
      reason: `ffprobe not found beside ${join(lonely, 'ffmpeg')} or on PATH: install the OS ffmpeg package, which ships it`,
    });
  });
});
