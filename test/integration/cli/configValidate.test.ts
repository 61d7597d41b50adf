import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';
import { runCli } from '../../helpers/runCli.js';

/** `c5-agent config validate` as an operator runs it (the built CLI: `npm run build` first). */

const siteExample = join(repoRoot, 'config', 'examples', 'site.yaml');
// What the example's header says to set (test/unit/config/examples.test.ts reads the list from it).
const documented = { CAM_NORTH_URL: 'rtsp://u:p@10.20.0.11/102', CAM_DEPOT_URL: 'rtsp://u:p@10.20.0.12/102', MQTT_USERNAME: 'site', MQTT_PASSWORD: 'pw' };
// Only what the child needs to start: no secret of this machine's environment leaks into the run.
const baseEnv = { PATH: process.env['PATH'] ?? '' };

describe('c5-agent config validate', () => {
  it('passes the shipped site example with the environment it documents', async () => {
    const result = await runCli(['config', 'validate', siteExample], { env: { ...baseEnv, ...documented } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok: .*site\.yaml: site cdmx-cuauhtemoc-0042, version 12, 2 camera\(s\), sha256 [0-9a-f]{64}\n$/);
  });

  it('names every unresolved secret of the example in one run (exit 1)', async () => {
    const result = await runCli(['config', 'validate', siteExample], { env: baseEnv });
    expect(result.code).toBe(1);
    for (const name of Object.keys(documented)) expect(result.stderr).toContain(`environment variable ${name} is not set`);
    expect(result.stderr).toContain('[secret_unresolved]');
  });

  it('refuses a label the model lacks, suggesting the one meant, and warns on stderr about a camera without rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c5-validate-cli-'));
    const file = join(dir, 'site.yaml');
    const cameras =
      '  - id: gate\n    source: { url: x }\n    rules: [{ id: bikes, type: object_present, labels: [motorbike] }]\n' +
      '  - id: lobby\n    source: { url: x }\n';
    writeFileSync(file, `version: 1\nsite: { id: s }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\ncameras:\n${cameras}`);
    const refused = await runCli(['config', 'validate', file], { env: baseEnv });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `c5-agent: ${file}: invalid site config:\n` +
        '  cameras[0].rules[0].labels[0]: "motorbike" is not a label of model yolox-nano; did you mean "motorcycle"? [config_invalid]\n',
    );

    writeFileSync(file, `version: 1\nsite: { id: s }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\ncameras:\n${cameras.replace('motorbike', 'motorcycle')}`);
    const warned = await runCli(['config', 'validate', file], { env: baseEnv });
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/^ok: /);
    expect(warned.stderr).toBe('warning: cameras[1] (id "lobby"): no rules, it will detect but never alert\n');
  });
});

describe('c5-agent run', () => {
  it('refuses at start a config naming a label the model lacks (exit 1), as validate does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c5-run-labels-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      'version: 1\nsite: { id: s }\nmqtt: { urls: ["mqtt://127.0.0.1:1"] }\naudit: { dir: ' +
        JSON.stringify(join(dir, 'audit')) +
        ' }\ncameras:\n  - id: gate\n    source: { url: x }\n    rules: [{ id: p, type: object_present, labels: [persons] }]\n',
    );
    const result = await runCli(['run', '--config', file], { env: baseEnv, timeoutMs: 20_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `c5-agent: ${file}: invalid site config:\n  cameras[0].rules[0].labels[0]: "persons" is not a label of model yolox-nano; did you mean "person"? [config_invalid]`,
    );
  });
});
