import { describe, expect, it } from 'vitest';
import type { LoadedSiteConfig } from '../../../../agent/config/loadSiteConfig.js';
import { agentStartedEntry } from '../../../../agent/audit/auditEntries.js';
import { AuditRecorder } from '../../../../agent/audit/DecisionRecorder.js';
import { explainAlert, formatExplanation } from '../../../../agent/audit/explainAlert.js';
import { parseSiteConfig } from '../../../../pipelines/config/siteConfig.js';
import type { Decision } from '../../../../pipelines/types.js';
import { makeAlert } from '../../../helpers/alertFixture.js';
import { openTestLog, tempAuditDir } from '../../../helpers/auditLog.js';
import { fakeFrame, fakeModel } from '../../../helpers/fakeStages.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const T0 = 1_764_460_000_000;

function loadedConfig(): LoadedSiteConfig {
  const parsed = parseSiteConfig({
    version: 5,
    site: { id: 'site-a' },
    mqtt: { urls: ['mqtt://127.0.0.1:1'] },
    cameras: [{ id: 'plaza', source: { url: 'x' } }],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return { config: parsed.config, sha256: 'c'.repeat(64), source: '/etc/c5-agent/site.yaml' };
}

const suppress = (ruleId: string, trackId: number, reason: Decision['reason']): Decision => ({
  ruleId,
  trackId,
  outcome: 'suppress',
  reason,
  values: { score: 0.61 },
});
const alertDecision = (trackId: number, state: 'start' | 'end'): Decision => ({
  ruleId: 'centre',
  trackId,
  outcome: 'alert',
  state,
  reason: state === 'start' ? 'matched' : 'left_zone',
  values: { score: 0.8 },
});

/** Two runs of an agent; track 7 exists in both, since track ids start again with each process. */
async function writeTwoRuns(dir: string): Promise<{ start: string; end: string }> {
  const clock = new ManualClock(T0);
  const log = openTestLog(dir, { clock });
  const recorder = new AuditRecorder(log);
  const frame = (n: number) => fakeFrame('plaza', n, T0 + n * 200);
  const emit = (n: number, decision: Decision): string => {
    const alert = makeAlert({ cameraId: 'plaza', ruleId: 'centre', frameTime: T0 + n * 200 });
    recorder.alert({ decision, alert, frame: frame(n) });
    return alert.id;
  };
  const startRun = (): void => {
    log.append(agentStartedEntry({ version: '0.1.0', loaded: loadedConfig(), pid: 4242 }));
    recorder.configApplied(loadedConfig(), 'startup');
    recorder.modelLoaded({ ...fakeModel, name: 'yolox-nano' });
  };
  startRun();
  recorder.suppression({ decision: suppress('centre', 7, 'below_min_score'), cameraId: 'plaza', frame: frame(1) });
  emit(2, alertDecision(7, 'start'));
  startRun();
  recorder.suppression({ decision: suppress('centre', 7, 'outside_zone'), cameraId: 'plaza', frame: frame(1) });
  recorder.suppression({ decision: suppress('centre', 8, 'outside_zone'), cameraId: 'plaza', frame: frame(1) });
  recorder.suppression({ decision: suppress('other-rule', 7, 'outside_zone'), cameraId: 'plaza', frame: frame(1) });
  const start = emit(3, alertDecision(7, 'start'));
  const end = emit(9, alertDecision(7, 'end'));
  await log.stop();
  return { start, end };
}

describe('explainAlert', () => {
  it("gives the alert's run, config, model, and the earlier decisions on the same rule and track in that run", async () => {
    const dir = tempAuditDir();
    const { start, end } = await writeTwoRuns(dir);

    const explained = explainAlert(dir, end);
    expect(explained.run).toMatchObject({ seq: 6, type: 'agent_started' });
    expect(explained.config).toMatchObject({ seq: 7, trigger: 'startup', config: { version: 5 } });
    expect(explained.model).toMatchObject({ seq: 8, model: { name: 'yolox-nano' } });
    expect(explained.trail.map(({ record }) => [record.seq, record.type, (record['decision'] as Decision).reason])).toEqual([
      [9, 'suppression', 'outside_zone'],
      [12, 'alert', 'matched'],
      [13, 'alert', 'left_zone'],
    ]);
    expect(explained.integrity.ok).toBe(true);

    const text = formatExplanation(explainAlert(dir, start));
    expect(text).toContain(`alert ${start}: object_present start, camera plaza, rule centre, track 7`);
    expect(text).toContain('config: version 5 sha256 cccccccccccc... from /etc/c5-agent/site.yaml (startup, seq 7)');
    expect(text).toMatch(/seq 9 +suppress +outside_zone +score=0\.61/);
    expect(text).toMatch(/seq 12 +alert +start +matched +score=0\.8 +<- this alert/);
    expect(text).not.toMatch(/seq 13 +alert/);
    expect(text).toContain('log integrity: OK: 13 records in 1 files, last seq 13');
  });

  it('says which alert it could not find', async () => {
    const dir = tempAuditDir();
    await writeTwoRuns(dir);
    expect(() => explainAlert(dir, '019ac8a5-0000-7000-8000-000000000000')).toThrow(/no alert 019ac8a5-0000-7000-8000-000000000000 in the audit log/);
  });
});
