import { v7 as uuidv7 } from 'uuid';
import { buildAlert, type Alert } from '../../pipelines/alerts.js';

let seq = 0;

/** A schema-valid `c5.alert.v1` for publish tests; `frameTime` and `now` in epoch ms. */
export function makeAlert(options: { siteId?: string; cameraId?: string; ruleId?: string; frameTime?: number; now?: number } = {}): Alert {
  seq += 1;
  const frameTime = options.frameTime ?? Date.now();
  return buildAlert(
    {
      siteId: options.siteId ?? 'site-a',
      cameraId: options.cameraId ?? 'cam-1',
      model: { name: 'yolox-nano', sha256: 'a'.repeat(64) },
      config: { version: 3, sha256: 'b'.repeat(64) },
    },
    {
      id: uuidv7(),
      seq,
      ruleId: options.ruleId ?? 'people',
      type: 'object_present',
      state: 'start',
      severity: 'medium',
      track: {
        id: 4,
        label: 'person',
        classId: 0,
        box: [0.1, 0.2, 0.3, 0.6],
        score: 0.9,
        scores: [0.9],
        firstSeen: frameTime,
        lastSeen: frameTime,
        anchors: [],
        misses: 0,
      },
      frameTime,
      now: options.now ?? frameTime,
    },
  );
}
