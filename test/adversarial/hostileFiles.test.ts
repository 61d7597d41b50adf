import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliMeasured, type MeasuredRun } from '../helpers/measuredCli.js';
import { clipPath } from '../helpers/paths.js';

/**
 * Issue 12, cases 3 and 9: hostile files on the box. A `file:` secret that is a FIFO or a device,
 * a 50 MB config file, a self-intersecting or collinear zone, several unresolved secrets: each is
 * refused by the real CLI promptly, with bounded memory, naming the field, all problems at once.
 * "Promptly" and "bounded" are ratios to validating a small good config in the same run.
 */

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'c5-hostile-files-'));
/** more than this over the small config's peak is not "a few tens of MB" */
const EXTRA_MEMORY_BOUND = 40 * MiB;
/** a refusal may cost this many times a good small config's validation, not a hang */
const WALL_RATIO_BOUND = 5;
const HANG_TIMEOUT_MS = 20_000;

function siteYaml(options: { mqttAuth?: string; cameraUrl?: string; zones?: string; padding?: string } = {}): string {
  return (
    `version: 1\nsite: { id: hostile-site }\n` +
    `mqtt: { urls: ["mqtt://127.0.0.1:1"]${options.mqttAuth ? `, ${options.mqttAuth}` : ''} }\n` +
    `metrics: { port: 0 }\n` +
    `cameras:\n  - id: a\n    source: { url: "${options.cameraUrl ?? clipPath}", loop: true }\n` +
    (options.zones ? `    zones:\n${options.zones}` : '') +
    (options.padding ?? '')
  );
}

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const mb = (bytes: number): string => (bytes / MiB).toFixed(1);
const describeRun = (run: MeasuredRun): string =>
  `exit ${run.code}${run.timedOut ? ' (killed: hung)' : ''} in ${run.wallMs.toFixed(0)} ms, max RSS ${mb(run.maxRssBytes)} MiB`;

let baseline: MeasuredRun;

beforeAll(async () => {
  const good = configFile('good.yaml', siteYaml({ mqttAuth: 'username: operator, password: "file:' + configFile('password.txt', 'pw-1\n') + '"' }));
  // twice: the first run also warms the file cache for the CLI's modules
  await runCliMeasured(['config', 'validate', good]);
  baseline = await runCliMeasured(['config', 'validate', good]);
  console.log(`baseline: config validate of a small good config: ${describeRun(baseline)}`);
  expect(baseline.code).toBe(0);
}, 60_000);

// the 50 MB file must not pile up in /tmp run after run
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile files', () => {
  it('refuses a file: secret that is a FIFO, promptly, in config validate and in run, naming the field', async () => {
    const fifo = join(dir, 'password.fifo');
    execFileSync('mkfifo', [fifo]);
    const config = configFile('fifo.yaml', siteYaml({ mqttAuth: `username: operator, password: "file:${fifo}"` }));
    for (const args of [
      ['config', 'validate', config],
      ['run', '--config', config],
    ]) {
      const run = await runCliMeasured(args, { timeoutMs: HANG_TIMEOUT_MS });
      console.log(`file: FIFO, ${args[0]}: ${describeRun(run)}: ${run.stderr.trim()}`);
      expect(run.timedOut).toBe(false);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('mqtt.password');
      expect(run.wallMs).toBeLessThan(baseline.wallMs * WALL_RATIO_BOUND);
    }
  }, 60_000);

  it('refuses file:/dev/zero with bounded memory, naming the field', async () => {
    const config = configFile('zero.yaml', siteYaml({ cameraUrl: 'file:/dev/zero' }));
    const run = await runCliMeasured(['config', 'validate', config], { timeoutMs: HANG_TIMEOUT_MS });
    console.log(`file:/dev/zero: ${describeRun(run)} (baseline ${mb(baseline.maxRssBytes)} MiB): ${run.stderr.trim()}`);
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cameras[0].source.url');
    expect(run.maxRssBytes - baseline.maxRssBytes).toBeLessThan(EXTRA_MEMORY_BOUND);
  }, 60_000);

  it('refuses a 50 MB config file quickly, within a few tens of MB, in config validate and in run', async () => {
    // a plausible config grown by a long list: parsing it whole is what costs
    const entry = '  - { id: pad, source: { url: "rtsp://127.0.0.1/x" } }\n';
    const padding = `extraCameras:\n${entry.repeat(Math.ceil((50 * MiB) / entry.length))}`;
    const path = configFile('huge.yaml', siteYaml({ padding }));
    for (const args of [
      ['config', 'validate', path],
      ['run', '--config', path],
    ]) {
      const run = await runCliMeasured(args, { timeoutMs: 60_000 });
      console.log(`50 MB config, ${args[0]}: ${describeRun(run)} (baseline ${describeRun(baseline)}): ${run.stderr.trim().slice(0, 300)}`);
      expect(run.timedOut).toBe(false);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(path);
      // both name the documented 1 MiB cap of a site config
      expect(run.stderr).toContain(String(MiB));
      expect(run.maxRssBytes - baseline.maxRssBytes, `${args[0]}: memory over the baseline`).toBeLessThan(EXTRA_MEMORY_BOUND);
      expect(run.wallMs, `${args[0]}: wall time`).toBeLessThan(baseline.wallMs * WALL_RATIO_BOUND);
    }
  }, 120_000);

  it('refuses a self-intersecting zone and a collinear one, naming both zone paths in one run', async () => {
    const zones =
      '      - { id: bowtie, polygon: [[0, 0], [1, 1], [1, 0], [0, 1]] }\n' + // its edges cross at the centre
      '      - { id: flat, polygon: [[0, 0], [0.5, 0.5], [1, 1]] }\n'; // three points on one line: no area
    const run = await runCliMeasured(['config', 'validate', configFile('zones.yaml', siteYaml({ zones }))]);
    console.log(`bad zones: ${describeRun(run)}: ${run.stderr.trim()}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cameras[0].zones[0].polygon');
    expect(run.stderr).toContain('cameras[0].zones[1].polygon');
  }, 30_000);

  it('reports every unresolved secret in one run', async () => {
    const env = { ...process.env };
    delete env['C5_ADV_MISSING_USER'];
    delete env['C5_ADV_MISSING_URL'];
    const config = configFile(
      'secrets.yaml',
      siteYaml({ mqttAuth: `username: "env:C5_ADV_MISSING_USER", password: "file:${join(dir, 'no-such-secret')}"`, cameraUrl: 'env:C5_ADV_MISSING_URL' }),
    );
    const run = await runCliMeasured(['config', 'validate', config], { env });
    console.log(`unresolved secrets: ${describeRun(run)}: ${run.stderr.trim()}`);
    expect(run.code).toBe(1);
    for (const field of ['mqtt.username', 'mqtt.password', 'cameras[0].source.url']) expect(run.stderr).toContain(field);
  }, 30_000);
});
