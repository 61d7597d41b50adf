import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotCommand } from '../../../agent/snapshot/snapshotCommand.js';
import { captureIo } from '../../helpers/doctorIo.js';
import { freePort } from '../../helpers/freePort.js';
import { sharedModelsDir } from '../../helpers/paths.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';
import { startSilentTcpServer, type SilentTcpServer } from '../../helpers/silentTcpServer.js';

/**
 * Through a live RTSP camera: the real GStreamer server streaming the plaza clip (768x576), a
 * camera URL with credentials given by an `env:` reference, as the agent reads it. And two
 * cameras that cannot be read: nothing listens, and a peer that accepts and never answers.
 */
const PASSWORD = 'Pole-Secret-42';
const dir = mkdtempSync(join(tmpdir(), 'c5-snapshot-rtsp-'));
const config = join(dir, 'site.yaml');
let rtsp: RtspServer;
let silent: SilentTcpServer | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  rtsp = await startRtspServer();
  silent = await startSilentTcpServer();
  const silentPort = silent.port;
  const deadPort = await freePort();
  const withCredentials = (url: string): string => url.replace('rtsp://', `rtsp://operator:${PASSWORD}@`);
  env = {
    ...process.env,
    PLAZA_URL: withCredentials(rtsp.url),
    DEAD_URL: withCredentials(`rtsp://127.0.0.1:${deadPort}/stream`),
    SILENT_URL: withCredentials(`rtsp://127.0.0.1:${silentPort}/stream`),
  };
  writeFileSync(
    config,
    `version: 1
site: { id: snap }
mqtt: { urls: ["mqtt://127.0.0.1:1"] }
cameras:
  - id: plaza
    source: { url: env:PLAZA_URL, transport: tcp }
    zones: [{ id: lower, polygon: [[0.05, 0.6], [0.45, 0.6], [0.45, 0.95], [0.05, 0.95]] }]
  - id: plaza-vaapi
    source: { url: env:PLAZA_URL, hwDecode: vaapi }
  - id: dead
    source: { url: env:DEAD_URL }
  - id: silent
    source: { url: env:SILENT_URL }
    stallTimeoutSeconds: 4
`,
  );
}, 60_000);

afterAll(async () => {
  await silent?.stop();
  await rtsp?.stop();
});

describe('c5-agent snapshot of a live camera', () => {
  it('grabs a frame at the camera resolution through its own settings, and never prints its password', async () => {
    const out = join(dir, 'plaza.png');
    const captured = captureIo(env);
    const code = await snapshotCommand({ config, camera: 'plaza', out }, captured.io);
    expect(captured.rest()).not.toMatch(/"level":(50|60)/);
    expect(code).toBe(0);
    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([768, 576]);
    // (60, 380) is well inside the zone (x 38..346, y 346..547): tinted yellow, so blue falls below red
    const i = (380 * 768 + 60) * 3;
    expect(data[i + 2]!).toBeLessThan(data[i]! - 20);
    // the camera's own ffmpeg input options: its transport, and the socket timeout the agent derives
    // from stallTimeoutSeconds (default 20 s: half of it, capped at 10 s, in microseconds)
    expect(captured.rest()).toContain('"-rtsp_transport","tcp","-timeout","10000000"');
    expect(captured.out()).toContain('snapshot: camera plaza of');
    expect(captured.out()).toContain('rtsp://REDACTED:REDACTED@127.0.0.1');
    expect(captured.out() + captured.rest()).not.toContain(PASSWORD);
    expect(captured.out() + captured.rest()).not.toContain('operator');
  }, 40_000);

  it("decodes with the camera's hardware preset, falling back to software as the agent does where the box lacks it", async () => {
    const out = join(dir, 'plaza-vaapi.png');
    const captured = captureIo(env);
    const code = await snapshotCommand({ config, camera: 'plaza-vaapi', out }, captured.io);
    expect(code).toBe(0);
    // the first attempt carries the preset's input options; on a box without VA-API it fails and the retry decodes in software
    expect(captured.rest()).toContain('"-hwaccel","vaapi","-hwaccel_device","/dev/dri/renderD128"');
    expect((await sharp(out).metadata()).width).toBe(768);
  }, 60_000);

  it('--detect on a live camera: a second of frames at analyticsFps (5), the people of the plaza found', async () => {
    const out = join(dir, 'plaza-detect.png');
    const captured = captureIo({ ...env, C5_MODELS_DIR: sharedModelsDir });
    const code = await snapshotCommand({ config, camera: 'plaza', out, detect: 1 }, captured.io);
    expect(captured.rest()).not.toMatch(/"level":(50|60)/);
    expect(code).toBe(0);
    const summary = /(\d+) objects in the last of (\d+) frames/.exec(captured.out());
    expect(summary, captured.out()).not.toBeNull();
    expect(Number(summary![2])).toBe(5);
    expect(Number(summary![1])).toBeGreaterThan(0);
  }, 60_000);

  it('exits 1 for a camera where nothing listens: names it, says why, prints no credential', async () => {
    const out = join(dir, 'dead.png');
    const captured = captureIo(env);
    const code = await snapshotCommand({ config, camera: 'dead', out }, captured.io);
    expect(code).toBe(1);
    expect(captured.rest()).toMatch(
      /snapshot: cannot read camera dead \(rtsp:\/\/REDACTED:REDACTED@127\.0\.0\.1:\d+\/stream\): unreachable: .*Connection refused/,
    );
    expect(captured.out() + captured.rest()).not.toContain(PASSWORD);
    expect(readdirSync(dir)).not.toContain('dead.png');
  }, 30_000);

  it('gives up on a camera that accepts and never answers within --timeout', async () => {
    const out = join(dir, 'silent.png');
    const captured = captureIo(env);
    const code = await snapshotCommand({ config, camera: 'silent', out, timeout: 1.5 }, captured.io);
    expect(code).toBe(1);
    expect(captured.rest()).toContain('snapshot: cannot read camera silent (rtsp://REDACTED:REDACTED@127.0.0.1');
    expect(captured.rest()).toContain('stalled: "no frame within 1.5 s');
    // its stallTimeoutSeconds of 4 gives a 2 s socket timeout, so --timeout 1.5 s is what ended it
    expect(captured.rest()).toContain('"-timeout","2000000"');
    expect(captured.out() + captured.rest()).not.toContain(PASSWORD);
  }, 30_000);
});
