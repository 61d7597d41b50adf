import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/freePort.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';
import { runCli } from '../../helpers/runCli.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';

/**
 * `c5-agent capacity` on real streams: the shared clip as a file and as an RTSP camera from the
 * GStreamer test server (with a password that must appear nowhere), decoded by real ffmpeg, the
 * real model timed. The figures depend on the machine; what is checked is what must hold on any
 * machine: the arithmetic between them, the verdict against the cores, and the failures named.
 */

const PASSWORD = 'Capacity-Secret-51c0';
const dir = mkdtempSync(join(tmpdir(), 'c5-capacity-'));
let rtsp: RtspServer;
let env: NodeJS.ProcessEnv;

interface CapacityJson {
  cores: number;
  models: Record<string, { runs: number; wallMsP50: number; cpuSeconds: number }>;
  cameras: { id: string; fps: number; decodeCpuPerSecond: number; videoSeconds: number; cores: number; limit: number }[];
  failed: { id: string; reason: string }[];
  demandCores: number;
  loadRatio: number;
  limitCameras: number;
  overCapacity: boolean;
}

function writeConfig(name: string, cameras: string): string {
  const path = join(dir, name);
  writeFileSync(path, `version: 1\nsite: { id: capacity }\nmqtt: { urls: ["mqtt://127.0.0.1:1"] }\ncameras:\n${cameras}`);
  return path;
}

beforeAll(async () => {
  rtsp = await startRtspServer();
  env = { ...process.env, C5_MODELS_DIR: sharedModelsDir, PLAZA_URL: rtsp.url.replace('rtsp://', `rtsp://operator:${PASSWORD}@`) };
}, 60_000);

afterAll(async () => {
  await rtsp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('c5-agent capacity', () => {
  it('measures a file and an RTSP camera and holds the arithmetic: cores used = decode + fps x inference, limit = cores / that', async () => {
    const config = writeConfig(
      'two.yaml',
      `  - id: clip\n    source: { url: "${clipPath}", loop: true }\n    analyticsFps: 5\n  - id: plaza\n    source: { url: env:PLAZA_URL, transport: tcp }\n    analyticsFps: 2\n`,
    );
    const result = await runCli(['capacity', '--config', config, '--seconds', '2', '--cores', '2', '--json'], { env, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as CapacityJson;
    expect(report.cores).toBe(2);
    expect(report.failed).toEqual([]);
    const model = report.models['yolox-nano']!;
    expect(model.runs).toBe(30);
    expect(model.cpuSeconds).toBeGreaterThan(0);
    expect(report.cameras.map((c) => [c.id, c.fps])).toEqual([
      ['clip', 5],
      ['plaza', 2],
    ]);
    for (const camera of report.cameras) {
      expect(camera.decodeCpuPerSecond, camera.id).toBeGreaterThan(0);
      expect(camera.videoSeconds, camera.id).toBeGreaterThanOrEqual(2);
      expect(camera.cores).toBeCloseTo(camera.decodeCpuPerSecond + camera.fps * model.cpuSeconds, 9);
      expect(camera.limit).toBe(Math.floor(2 / camera.cores + 1e-9));
    }
    const demand = report.cameras[0]!.cores + report.cameras[1]!.cores;
    expect(report.demandCores).toBeCloseTo(demand, 9);
    expect(report.loadRatio).toBeCloseTo(demand / 2, 9);
    expect(report.limitCameras).toBe(Math.floor(2 / (demand / 2) + 1e-9));
    expect(report.overCapacity).toBe(demand > 2);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  }, 150_000);

  it('says OVER CAPACITY and exits 1 when the config asks for more than the cores it is given', async () => {
    const config = writeConfig('one.yaml', `  - id: clip\n    source: { url: "${clipPath}", loop: true }\n    analyticsFps: 10\n`);
    // 10 inferences a second cost far more than a hundredth of a core on any machine
    const result = await runCli(['capacity', '--config', config, '--seconds', '2', '--cores', '0.01'], { env, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(
      /^OVER CAPACITY: the config asks for \d+\.\d\d of 0\.01 cores \(\d+ %\); this box holds about 0 cameras like these, the config has 1$/m,
    );
    expect(result.stdout).toMatch(/^clip\t10\t\d+\.\d{4}\t\d+\.\d{3}\t0$/m);
  }, 150_000);

  it('names a camera it could not decode, without its password, and exits 1', async () => {
    const dead = `rtsp://operator:${PASSWORD}@127.0.0.1:${await freePort()}/stream`;
    const config = writeConfig(
      'dead.yaml',
      `  - id: clip\n    source: { url: "${clipPath}", loop: true }\n  - id: dead\n    source: { url: env:DEAD_URL }\n    stallTimeoutSeconds: 2\n`,
    );
    const result = await runCli(['capacity', '--config', config, '--seconds', '1'], { env: { ...env, DEAD_URL: dead }, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^dead\tnot measured \(rtsp:\/\/\S+\): unreachable: /m);
    expect(result.stdout).toMatch(/1 of 2 cameras not measured$/m);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  }, 150_000);

  it('refuses a --cores that is no number of cores as a usage error', async () => {
    const result = await runCli(['capacity', '--config', join(dir, 'one.yaml'), '--cores', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected a number of cores above 0');
  });
});
