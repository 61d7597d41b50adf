import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { CameraPipeline } from '../../../../agent/CameraPipeline.js';
import { AuditRecorder } from '../../../../agent/audit/DecisionRecorder.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { verifyAuditLog } from '../../../../agent/audit/verifyAuditLog.js';
import { alertSchema } from '../../../../pipelines/alerts.js';
import type { Policy, Tracker } from '../../../../pipelines/stages.js';
import type { Decision, Track } from '../../../../pipelines/types.js';
import { openTestLog, readRecords, tempAuditDir } from '../../../helpers/auditLog.js';
import { fakeFrame, GatedDetector, ManualFrameSource, MemorySink, RecordingMetrics } from '../../../helpers/fakeStages.js';
import { ManualClock } from '../../../helpers/manualClock.js';
import { boxAround, policyCamera } from '../../../helpers/policyScene.js';

const T0 = 1_764_460_000_000;
const track: Track = {
  id: 7,
  label: 'person',
  classId: 0,
  box: boxAround([0.45, 0.7]),
  score: 0.8,
  scores: [0.8],
  firstSeen: T0,
  lastSeen: T0,
  anchors: [[0.45, 0.7]],
  misses: 0,
};

/** The policy's answers frame by frame: recording is under test here, not the rules. */
function scriptedPolicy(script: Decision[][]): Policy {
  return { evaluate: () => script.shift() ?? [] };
}
const oneTrack: Tracker = { update: () => ({ active: [track], ended: [] }) };

describe('AuditRecorder in a camera pipeline', () => {
  it("records each suppression and alert before publishing, and the alert carries its record's seq and hash", async () => {
    const camera = policyCamera({
      id: 'gate-cam',
      zones: [
        {
          id: 'gate',
          polygon: [
            [0.3, 0.5],
            [0.7, 0.5],
            [0.7, 1],
            [0.3, 1],
          ],
        },
      ],
      rules: [{ id: 'gate-watch', type: 'zone_intrusion', zone: 'gate', labels: ['person'] }],
    });
    const dir = tempAuditDir();
    const clock = new ManualClock(T0);
    const audit = openTestLog(dir, { clock });
    const source = new ManualFrameSource('gate-cam');
    const detector = new GatedDetector();
    const sink = new MemorySink();
    const pipeline = new CameraPipeline({
      camera,
      source,
      detector,
      tracker: oneTrack,
      policy: scriptedPolicy([
        [{ ruleId: 'gate-watch', trackId: 7, outcome: 'suppress', reason: 'outside_zone', values: { anchorY: 0.45, zone: 'gate' } }],
        [{ ruleId: 'gate-watch', trackId: 7, outcome: 'alert', state: 'start', reason: 'matched', values: { anchorY: 0.7 }, event: { zoneId: 'gate' } }],
      ]),
      sink,
      alertContext: { siteId: 'site-a', cameraId: 'gate-cam', model: { name: 'm', sha256: 'a'.repeat(64) }, config: { version: 4, sha256: 'b'.repeat(64) } },
      nextAlertSeq: (() => {
        let seq = 0;
        return () => ++seq;
      })(),
      newAlertId: () => uuidv7(),
      onStatus: () => undefined,
      clock,
      logger: createRootLogger({ level: 'silent' }),
      metrics: new RecordingMetrics(),
      recorder: new AuditRecorder(audit),
    });
    pipeline.start();
    for (const n of [1, 2]) {
      source.listener!.onFrame(fakeFrame('gate-cam', n, T0 + n * 200));
      detector.finish([]);
      await pipeline.idle();
    }
    await pipeline.stop();
    await audit.stop();

    const [suppression, alertRecord] = readRecords(dir);
    expect(suppression).toMatchObject({
      seq: 1,
      type: 'suppression',
      camera: 'gate-cam',
      frameSeq: 1,
      frameTime: new Date(T0 + 200).toISOString(),
      decision: { ruleId: 'gate-watch', trackId: 7, outcome: 'suppress', reason: 'outside_zone', values: { anchorY: 0.45, zone: 'gate' } },
    });
    const alert = alertSchema.parse(sink.alerts[0]);
    expect(alert.audit).toEqual({ seq: 2, hash: alertRecord!.hash });
    const { audit: _ref, ...published } = alert;
    expect(alertRecord).toMatchObject({
      seq: 2,
      type: 'alert',
      camera: 'gate-cam',
      frameSeq: 2,
      alert: published,
      decision: { state: 'start', event: { zoneId: 'gate' } },
    });
    expect(verifyAuditLog(dir).ok).toBe(true);
  });
});
