import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt } from '../../helpers/mqttCollector.js';
import { clipPath, repoRoot, sharedMediaDir, sharedModelsDir } from '../../helpers/paths.js';
import { runCli, startCli } from '../../helpers/runCli.js';
import { waitFor } from '../../helpers/recordingListener.js';

const dir = mkdtempSync(join(tmpdir(), 'c5-cli-'));

describe('c5-agent CLI', () => {
  it('validates a good config and names the field of a bad one', async () => {
    const good = await runCli(['config', 'validate', join(repoRoot, 'config/examples/demo.yaml')], {
      env: { ...process.env, C5_DEMO_CLIP: clipPath },
    });
    expect(good.stdout).toMatch(/^ok: .*demo\.yaml: site demo-site, version 1, 1 camera\(s\), sha256 [0-9a-f]{64}\n$/);
    expect(good.code).toBe(0);

    const badFile = join(dir, 'bad.yaml');
    writeFileSync(badFile, 'version: 2\nsite: {id: s}\nmqtt: {urls: ["mqtt://127.0.0.1:1"]}\ncameras:\n  - id: c\n    source: {url: x}\n    analyticsFps: 0\n');
    const bad = await runCli(['config', 'validate', badFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('cameras[0].analyticsFps: Too small: expected number to be >0 (received 0)');
    expect(bad.stderr).toContain('[config_invalid]');
  });

  it('prints usage for help and refuses unknown commands', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: c5-agent [options] [command]');
    expect(help.stdout).toMatch(/^\s+run \[options\]\s+run the agent on a site config/m);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('says clearly when the config file cannot be read', async () => {
    const result = await runCli(['run', '--config', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot read site config ${join(dir, 'missing.yaml')} (ENOENT)`);
  });

  describe('run', () => {
    let broker: MosquittoBroker;
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('runs a site, then on SIGTERM stops intake, leaves a retained offline status and exits 0 within 10 s', async () => {
      const config = join(dir, 'site.yaml');
      const outboxPath = join(dir, 'state', 'outbox.sqlite');
      const auditDir = join(dir, 'state', 'audit');
      writeFileSync(
        config,
        `version: 3\nsite: {id: cli-site}\nmqtt: {urls: ["${broker.url}"]}\nmetrics: {port: 0}\n` +
          `outbox: {path: "${outboxPath}"}\naudit: {dir: "${auditDir}"}\n` +
          `cameras:\n  - id: lobby\n    source: {url: "${clipPath}", loop: true}\n`,
      );
      const collector = await collectMqtt({ url: broker.url, topics: ['c5/cli-site/#'] });
      const agent = startCli(['run', '--config', config], { env: { ...process.env, C5_MODELS_DIR: sharedModelsDir }, timeoutMs: 60_000 });
      try {
        await collector.waitFor((m) => m.topic === 'c5/cli-site/lobby/status' && (m.payload as { state: string }).state === 'online', 30_000);
        await waitFor('agent started log line', () => agent.stdout().includes('"msg":"agent started"'), 10_000);
        const signalledAt = Date.now();
        agent.child.kill('SIGTERM');
        const result = await agent.done;
        // The 10 s systemd (TimeoutStopSec) and `docker stop` allow before SIGKILL: a contract, not a speed figure.
        expect(Date.now() - signalledAt).toBeLessThan(10_000);
        expect(result.code).toBe(0);
        // intake stops first, then the link says offline, then the process ends
        const steps = ['shutting down', 'camera ingest stopped', 'MQTT link shut down', 'agent stopped'];
        const at = steps.map((msg) => result.stdout.indexOf(`"msg":"${msg}"`));
        expect(
          at.every((index) => index >= 0),
          `missing shutdown step in:\n${result.stdout}`,
        ).toBe(true);
        expect(at).toEqual([...at].sort((a, b) => a - b));
        await collector.waitFor((m) => m.topic === 'c5/cli-site/status' && (m.payload as { state: string }).state === 'offline', 5_000);
        // retained: a subscriber that arrives after the agent is gone still reads why
        const late = await collectMqtt({ url: broker.url, topics: ['c5/cli-site/status'] });
        try {
          const status = await late.waitFor((m) => m.topic === 'c5/cli-site/status', 5_000);
          expect(status.retain).toBe(true);
          expect(status.payload).toMatchObject({ state: 'offline', reason: 'shutdown', siteId: 'cli-site', configVersion: 3 });
        } finally {
          await late.close();
        }
        // the outbox was closed, not abandoned: SQLite folds and removes its WAL on a clean close
        expect(existsSync(`${outboxPath}-wal`)).toBe(false);
        const outbox = new Database(outboxPath, { readonly: true });
        try {
          expect(outbox.pragma('integrity_check', { simple: true })).toBe('ok');
        } finally {
          outbox.close();
        }
        // the audit file was closed with its last record in the chain
        const audit = await runCli(['audit', 'verify', auditDir]);
        expect(audit.stdout).toMatch(/^OK: \d+ records/);
        expect(audit.code).toBe(0);
        const auditFiles = readdirSync(auditDir)
          .filter((f) => f.endsWith('.jsonl'))
          .sort();
        const lastLine = readFileSync(join(auditDir, auditFiles.at(-1)!), 'utf8')
          .trimEnd()
          .split('\n')
          .at(-1)!;
        expect(JSON.parse(lastLine)).toMatchObject({ type: 'agent_stopped' });
      } finally {
        agent.child.kill('SIGKILL');
        await collector.close();
      }
    }, 60_000);
  });

  it('runs the demo: alerts printed from the embedded broker, with the metrics address', async () => {
    const result = await runCli(['demo', '--duration', '12', '--metrics-port', '0'], {
      env: { ...process.env, C5_MODELS_DIR: sharedModelsDir, C5_MEDIA_DIR: sharedMediaDir },
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(result.stdout).toMatch(/plaza {2}centre-intrusion +start person #\d+ score 0\.\d\d box \[/);
    expect(result.stdout).not.toContain('INVALID');
    expect(result.stdout).toMatch(/stopped after [1-9]\d* alert\(s\)/);
  }, 70_000);
});
