import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, type DoctorOptions } from '../../../agent/doctor/doctorCommand.js';
import type { DoctorReport } from '../../../agent/doctor/formatDoctorReport.js';
import { captureIo } from '../../helpers/doctorIo.js';
import { freePort } from '../../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { sharedModelsDir } from '../../helpers/paths.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';

const exec = promisify(execFile);

/** Secrets the doctor resolves and uses, and must never print. */
const MQTT_USER = 'pole-7';
const MQTT_PASSWORD = 'mqtt-Pw-4d1c9e77';
const CAMERA_PASSWORD = 'cam-Pw-83b2f0aa';

let rtsp: RtspServer;
let broker: MosquittoBroker;
let dir: string;
/** an empty folder as the model cache, so only C5_MODELS_DIR decides which weights are found */
let emptyCache: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'c5-doctor-'));
  emptyCache = join(dir, 'empty-cache');
  mkdirSync(emptyCache);
  const passwordFile = join(dir, 'mosquitto.passwd');
  writeFileSync(passwordFile, '');
  await exec('mosquitto_passwd', ['-b', passwordFile, MQTT_USER, MQTT_PASSWORD]);
  [rtsp, broker] = await Promise.all([startRtspServer(), startMosquitto({ config: `allow_anonymous false\npassword_file ${passwordFile}` })]);
});

afterAll(async () => {
  await Promise.all([rtsp?.stop(), broker?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

interface SiteOptions {
  readonly name: string;
  /** extra cameras: id -> URL */
  readonly cameras?: Readonly<Record<string, string>>;
  readonly stateDir?: string;
  readonly metricsPort?: number;
}

/** A site in its own folder: the camera on the test RTSP server (with credentials in its URL), the broker with a password from the environment. */
function writeSite(options: SiteOptions): string {
  const site = join(dir, options.name);
  mkdirSync(site, { recursive: true });
  const cameraUrl = rtsp.url.replace('rtsp://', `rtsp://operator:${CAMERA_PASSWORD}@`);
  const cameras = { gate: cameraUrl, ...options.cameras };
  const yaml =
    `version: 3\nsite: { id: doctor-site }\n` +
    `mqtt: { urls: ["${broker.url}"], username: ${MQTT_USER}, password: "env:DOCTOR_MQTT_PASSWORD" }\n` +
    `metrics: { port: ${options.metricsPort ?? 0} }\n` +
    `outbox: { path: "${join(site, 'outbox', 'outbox.sqlite')}" }\n` +
    `audit: { dir: "${join(site, 'audit')}" }\n` +
    `fleet: { trustedKeysFile: "${join(site, 'keys.json')}", stateDir: "${options.stateDir ?? join(site, 'state')}" }\n` +
    `cameras:\n` +
    Object.entries(cameras)
      .map(([id, url]) => `  - id: ${id}\n    source: { url: "${url}", transport: tcp }\n    analyticsFps: 2\n`)
      .join('');
  const path = join(site, 'site.yaml');
  writeFileSync(path, yaml);
  return path;
}

async function runDoctor(options: DoctorOptions, env: { password?: string; modelsDir?: string } = {}): Promise<{ code: number; out: string; rest: string }> {
  const captured = captureIo({ ...process.env, DOCTOR_MQTT_PASSWORD: env.password ?? MQTT_PASSWORD, C5_MODELS_DIR: env.modelsDir ?? sharedModelsDir });
  const code = await doctorCommand(options, captured.io, { models: { cacheDir: emptyCache } });
  return { code, out: captured.out(), rest: captured.rest() };
}

/** The table's rows by check title: [status, reason]. */
function tableRows(out: string): Map<string, { status: string; reason: string }> {
  const lines = out.split('\n');
  const header = lines[0] ?? '';
  const checkAt = header.indexOf('CHECK');
  const reasonAt = header.indexOf('REASON');
  const rows = new Map<string, { status: string; reason: string }>();
  for (const line of lines.slice(1)) {
    if (line.trim() === '') break;
    rows.set(line.slice(checkAt, reasonAt).trim(), { status: line.slice(0, checkAt).trim(), reason: line.slice(reasonAt) });
  }
  return rows;
}

/** The wrong password the broken site sends: resolved and used, so a secret too. */
const WRONG_PASSWORD = 'not-the-Password-31e0';

function expectNoSecret(text: string): void {
  for (const secret of [MQTT_PASSWORD, CAMERA_PASSWORD, WRONG_PASSWORD]) expect(text).not.toContain(secret);
}

describe('c5-agent doctor against a real RTSP camera, Mosquitto with passwords, ffmpeg and the shared model', () => {
  it('passes a healthy box: every row passes and the exit code is 0', async () => {
    const config = writeSite({ name: 'healthy', metricsPort: await freePort() });
    // The clock's verdict depends on the machine running the tests (systemd, chrony, NTP), so it
    // is left to the clock tests, which give it tools whose answers they know.
    const { code, out, rest } = await runDoctor({ config, skip: ['clock'] });
    const rows = tableRows(out);
    expect([...rows.keys()]).toEqual([
      'config',
      'ffmpeg',
      'hardware decoding',
      'model yolox-nano',
      'camera gate',
      'broker 1 (primary)',
      'outbox folder',
      'audit folder',
      'checkpoint key folder',
      'fleet state folder',
      'metrics port',
    ]);
    for (const [title, row] of rows) expect({ title, ...row }).toMatchObject({ title, status: 'pass' });
    // vtest.avi is 768x576 at 10 fps (ffprobe of the original AVI); the test server re-muxes its H.264 transcode
    expect(rows.get('camera gate')?.reason).toBe('h264 768x576 at 10 fps');
    expect(rows.get('broker 1 (primary)')?.reason).toBe(`${broker.url}: TCP and MQTT CONNECT accepted (MQTT 5)`);
    expect(rows.get('model yolox-nano')?.reason).toBe(`${join(sharedModelsDir, 'yolox_nano.onnx')}: sha256 accepted by the registry, 80 labels`);
    expect(out).toMatch(/^doctor passed: 11 checks, 11 passed, 0 warnings, 0 failed$/m);
    expect(code).toBe(0);
    expectNoSecret(out);
    expectNoSecret(rest);
  });

  it('fails the right rows, with the reason, for a dead camera, a wrong broker password, an unwritable folder and a tampered model', async () => {
    const deadPort = await freePort();
    const blocker = join(dir, 'a-regular-file');
    writeFileSync(blocker, 'not a folder\n');
    const tampered = join(dir, 'tampered-models');
    mkdirSync(tampered, { recursive: true });
    const copy = join(tampered, 'yolox_nano.onnx');
    copyFileSync(join(sharedModelsDir, 'yolox_nano.onnx'), copy);
    const bytes = readFileSync(copy);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(copy, bytes);
    const config = writeSite({
      name: 'broken',
      cameras: { dead: `rtsp://operator:${CAMERA_PASSWORD}@127.0.0.1:${deadPort}/cam` },
      stateDir: join(blocker, 'state'),
    });
    const options = { config, skip: ['clock', 'metrics'] };
    const env = { password: WRONG_PASSWORD, modelsDir: tampered };
    const table = await runDoctor(options, env);
    const json = await runDoctor({ ...options, json: true }, env);

    const rows = tableRows(table.out);
    expect(rows.get('camera gate')?.status).toBe('pass');
    expect(rows.get('camera dead')).toMatchObject({ status: 'FAIL', reason: expect.stringMatching(/^unreachable: .*Connection refused/) as unknown });
    expect(rows.get('camera dead')?.reason).toContain(`rtsp://REDACTED:REDACTED@127.0.0.1:${deadPort}/cam`);
    expect(rows.get('broker 1 (primary)')).toMatchObject({
      status: 'FAIL',
      reason: `${broker.url}: broker refused the credentials (not authorized); check mqtt.username and mqtt.password`,
    });
    expect(rows.get('fleet state folder')).toMatchObject({
      status: 'FAIL',
      reason: `${join(blocker, 'state')}: cannot be created: ${blocker} is not a folder`,
    });
    expect(rows.get('model yolox-nano')?.status).toBe('FAIL');
    const tamperedDigest = createHash('sha256').update(bytes).digest('hex');
    expect(rows.get('model yolox-nano')?.reason).toMatch(
      new RegExp(`^model file ${copy} has sha256 ${tamperedDigest}, which is not one the registry accepts \\[digest_mismatch\\]$`),
    );
    for (const title of ['config', 'ffmpeg', 'outbox folder', 'audit folder']) expect(rows.get(title)?.status).toBe('pass');
    expect(table.out).toMatch(/^doctor FAILED: 11 checks, 7 passed, 0 warnings, 4 failed$/m);
    expect(table.code).toBe(1);

    const report = JSON.parse(json.out) as DoctorReport;
    expect(json.code).toBe(1);
    expect(report).toMatchObject({ schema: 'c5.doctor.v1', config, ok: false, summary: { pass: 7, warn: 0, fail: 4 } });
    const verdicts = Object.fromEntries(report.results.map((result) => [result.id, result.status]));
    expect(verdicts).toEqual({
      config: 'pass',
      ffmpeg: 'pass',
      hwdecode: 'pass',
      'model:yolox-nano': 'fail',
      'camera:gate': 'pass',
      'camera:dead': 'fail',
      'broker:1': 'fail',
      'storage:outbox': 'pass',
      'storage:audit': 'pass',
      'storage:checkpoint-key': 'pass',
      'storage:fleet-state': 'fail',
    });
    // the same reasons in both outputs
    for (const result of report.results) expect(rows.get(result.title)?.reason).toBe(result.reason);
    for (const text of [table.out, table.rest, json.out, json.rest]) expectNoSecret(text);
  });

  it('stops at an invalid config with one failing row that names the field', async () => {
    const config = join(dir, 'invalid.yaml');
    writeFileSync(
      config,
      `version: 1\nsite: { id: x }\nmqtt: { urls: ["${broker.url}"], keepaliveSeconds: -5 }\ncameras:\n  - id: a\n    source: { url: "rtsp://u:${CAMERA_PASSWORD}@10.0.0.1/s" }\n`,
    );
    const table = await runDoctor({ config });
    const json = await runDoctor({ config, json: true });
    expect(table.code).toBe(1);
    const rows = tableRows(table.out);
    expect([...rows.keys()]).toEqual(['config']);
    expect(rows.get('config')?.status).toBe('FAIL');
    expect(rows.get('config')?.reason).toContain('mqtt.keepaliveSeconds');
    const report = JSON.parse(json.out) as DoctorReport;
    expect(report.results.map((result) => [result.id, result.status])).toEqual([['config', 'fail']]);
    for (const text of [table.out, json.out]) expectNoSecret(text);
  });
});
