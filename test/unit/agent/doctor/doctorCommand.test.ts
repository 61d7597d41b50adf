import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../../../agent/doctor/doctorCommand.js';
import type { DoctorReport } from '../../../../agent/doctor/formatDoctorReport.js';
import { AgentError } from '../../../../pipelines/errors.js';
import { captureIo } from '../../../helpers/doctorIo.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-doctor-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'site.yaml');
writeFileSync(
  config,
  'version: 1\nsite: { id: unit }\nmqtt: { urls: ["mqtt://127.0.0.1:1"], username: u, password: "Unit-Secret-77aa" }\n' +
    `audit: { dir: "${join(dir, 'audit')}" }\noutbox: { path: "${join(dir, 'outbox.sqlite')}" }\n` +
    'cameras:\n  - id: a\n    source: { url: /nonexistent.mp4 }\n',
);

async function usageError(options: Parameters<typeof doctorCommand>[0]): Promise<unknown> {
  return await doctorCommand(options, captureIo(process.env).io).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('doctorCommand options', () => {
  it('refuses unknown checks, --only with --skip, and time limits out of range as usage errors', async () => {
    for (const options of [
      { config, only: ['cameras', 'webcams'] },
      { config, only: ['clock'], skip: ['cameras'] },
      { config, timeoutSeconds: 0 },
      { config, cameraTimeoutSeconds: Number.NaN },
      { config, timeoutSeconds: 601 },
    ]) {
      const error = await usageError(options);
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).code).toBe('usage');
    }
  });

  it('runs only the families --only names, after the config row', async () => {
    const captured = captureIo(process.env);
    const code = await doctorCommand({ config, json: true, only: ['storage', 'metrics'] }, captured.io);
    const report = JSON.parse(captured.out()) as DoctorReport;
    expect(report.results.map((result) => result.id)).toEqual(['config', 'storage:outbox', 'storage:audit', 'storage:checkpoint-key', 'metrics-port']);
    expect(code).toBe(report.ok ? 0 : 1);
    expect(captured.out()).not.toContain('Unit-Secret-77aa');
  });

  it('--skip leaves those families out', async () => {
    const captured = captureIo(process.env);
    await doctorCommand({ config, json: true, skip: ['ffmpeg', 'hwdecode', 'models', 'cameras', 'brokers', 'clock', 'metrics'] }, captured.io);
    const report = JSON.parse(captured.out()) as DoctorReport;
    expect(report.results.map((result) => result.id)).toEqual(['config', 'storage:outbox', 'storage:audit', 'storage:checkpoint-key']);
  });

  it('reports a config file that cannot be read as one failing row, exit 1', async () => {
    const captured = captureIo(process.env);
    const code = await doctorCommand({ config: join(dir, 'missing.yaml') }, captured.io);
    expect(code).toBe(1);
    expect(captured.out()).toMatch(new RegExp(`^FAIL    config  cannot read site config ${join(dir, 'missing.yaml')} \\(.*\\) \\[config_unreadable\\]$`, 'm'));
    expect(captured.out()).toContain('doctor FAILED: 1 checks, 0 passed, 0 warnings, 1 failed');
  });
});
