import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';
import { runCli } from '../../helpers/runCli.js';

/**
 * Issue 14: the operator's commands through the built CLI, as commander wires them (the commands'
 * own behaviour is tested beside their modules): validate --no-secrets on the shipped example,
 * snapshot on a clip, doctor's exit code and JSON report.
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'c5-operator-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('operator commands through the CLI', () => {
  it('config validate --no-secrets passes the shipped example with no secret set, listing every reference', async () => {
    const result = await runCli(['config', 'validate', '--no-secrets', join(repoRoot, 'config/examples/site.yaml')], { env: { PATH: process.env['PATH'] } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // the four variables the example's header documents
    for (const ref of [
      'mqtt.username: env:MQTT_USERNAME',
      'mqtt.password: env:MQTT_PASSWORD',
      'cameras[0].source.url: env:CAM_NORTH_URL',
      'cameras[1].source.url: env:CAM_DEPOT_URL',
    ]) {
      expect(result.stdout).toContain(`  ${ref}`);
    }
    const resolved = await runCli(['config', 'validate', join(repoRoot, 'config/examples/site.yaml')], { env: { PATH: process.env['PATH'] } });
    expect(resolved.code).toBe(1);
    expect(resolved.stderr).toContain('CAM_NORTH_URL');
  });

  it('snapshot --input writes a PNG of the clip at its own size, with the zone drawn where the config puts it', async () => {
    const clip = join(dir, 'grey.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0x808080:s=320x240:r=5:d=2', '-pix_fmt', 'yuv420p', '-y', clip]);
    const config = join(dir, 'site.yaml');
    // a zone over the right half: x 0.5..1 (pixels 160..319), y 0..1
    writeFileSync(
      config,
      [
        'version: 1',
        'site: { id: snap-site }',
        'mqtt: { urls: ["mqtt://127.0.0.1:1"] }',
        'cameras:',
        '  - id: cam',
        '    source: { url: "rtsp://127.0.0.1:1/x" }',
        '    zones: [{ id: right, polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }]',
        '    rules: [{ id: r, type: zone_intrusion, zone: right, labels: [person] }]',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'frame.png');
    const result = await runCli(['snapshot', '--config', config, '--camera', 'cam', '--input', clip, '--at', '1', '--out', out], { timeoutMs: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([320, 240]);
    const at = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    // left of the zone the clip's grey is untouched; inside, the translucent fill changes it
    expect(at(40, 200).every((v) => Math.abs(v - 128) <= 3)).toBe(true);
    expect(at(280, 200).some((v) => Math.abs(v - 128) > 10)).toBe(true);
  }, 60_000);

  it('doctor fails (exit 1) on a config that does not load, in the table and in --json', async () => {
    const missing = join(dir, 'missing.yaml');
    const table = await runCli(['doctor', '--config', missing]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^FAIL\s+config\s+.*missing\.yaml/m);
    const json = await runCli(['doctor', '--config', missing, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; results: { id: string; status: string }[] };
    expect(report.ok).toBe(false);
    expect(report.results.find((r) => r.id === 'config')?.status).toBe('fail');
    const bad = await runCli(['doctor', '--config', missing, '--only', 'Cameras!']);
    expect(bad.code).toBe(2);
  });
});
