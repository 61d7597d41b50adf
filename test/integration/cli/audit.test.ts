import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertSchema } from '../../../pipelines/alerts.js';
import { auditFiles, readRecords, tempAuditDir, writeSampleLog } from '../../helpers/auditLog.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt } from '../../helpers/mqttCollector.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';
import { runCli, startCli } from '../../helpers/runCli.js';

describe('c5-agent audit', () => {
  it('verify says OK (exit 0) for a whole log and names the first broken record (exit 3, integrity broken) for a tampered one', async () => {
    const dir = await writeSampleLog(5);
    const ok = await runCli(['audit', 'verify', dir]);
    expect(ok.stdout).toBe('OK: 5 records in 1 files, last seq 5\n');
    expect(ok.code).toBe(0);

    const file = join(dir, auditFiles(dir)[0]!);
    const lines = readFileSync(file, 'utf8').split('\n');
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeFileSync(file, lines.join('\n'));
    const broken = await runCli(['audit', 'verify', dir]);
    expect(broken.stdout).toMatch(/^BROKEN: audit-\d{4}-\d\d-\d\d\.jsonl line 2, seq 3: reordered: expected seq 2, found seq 3/);
    expect(broken.code).toBe(3);
  });

  describe('on a running agent', () => {
    let broker: MosquittoBroker;
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker?.stop();
    });

    it('publishes alerts that point at their audit records, and explains one from the log', async () => {
      const work = tempAuditDir();
      // a folder the agent has to create
      const auditDir = join(work, 'audit');
      const config = join(work, 'site.yaml');
      writeFileSync(
        config,
        `version: 2\nsite: {id: audit-site}\nmqtt: {urls: ["${broker.url}"]}\nmetrics: {port: 0}\naudit: {dir: "${auditDir}", fsyncIntervalMs: 100}\n` +
          `cameras:\n  - id: plaza\n    source: {url: "${clipPath}", loop: true}\n` +
          `    rules: [{id: people, type: object_present, labels: [person], minScore: 0.5}]\n`,
      );
      const collector = await collectMqtt({ url: broker.url, topics: ['c5/audit-site/plaza/alerts'] });
      const agent = startCli(['run', '--config', config], { env: { ...process.env, C5_MODELS_DIR: sharedModelsDir }, timeoutMs: 60_000 });
      try {
        const first = alertSchema.parse((await collector.waitFor(() => collector.messages.length >= 3, 30_000)).payload);
        agent.child.kill('SIGTERM');
        expect((await agent.done).code).toBe(0);

        const records = readRecords(auditDir);
        expect(records.map((r) => r.type).slice(0, 3)).toEqual(['agent_started', 'config_applied', 'model_loaded']);
        expect(records[records.length - 1]?.type).toBe('agent_stopped');
        for (const message of collector.messages) {
          const alert = alertSchema.parse(message.payload);
          const record = records.find((r) => r.type === 'alert' && (r['alert'] as { id: string }).id === alert.id);
          expect(alert.audit).toEqual({ seq: record?.seq, hash: record?.hash });
        }

        const verified = await runCli(['audit', 'verify', auditDir]);
        expect(verified.stdout).toMatch(new RegExp(`^OK: ${records.length} records in 1 files, last seq ${records.length}\\n`));
        const explained = await runCli(['audit', 'explain', first.id, '--dir', auditDir]);
        expect(explained.code).toBe(0);
        expect(explained.stdout).toContain(`alert ${first.id}: object_present start, camera plaza, rule people, track ${first.object?.trackId}`);
        expect(explained.stdout).toMatch(new RegExp(`seq ${first.audit!.seq} +alert +start +matched .*<- this alert`));
        expect(explained.stdout).toContain('model: yolox-nano sha256 e8af074932d4...');
      } finally {
        agent.child.kill('SIGKILL');
        await collector.close();
      }
    }, 60_000);
  });
});
