import { describe, expect, it } from 'vitest';
import { checkPush } from '../../../../agent/fleet/checkPush.js';
import { parseTrustedKeys } from '../../../../agent/fleet/trustedKeys.js';
import type { ModelLabels } from '../../../../pipelines/config/labelIssues.js';
import { createSigner } from '../../../helpers/fleetSigner.js';

/** A signed push whose rules name a label the camera's model lacks is refused before it is applied. */

const signer = createSigner('centre-1');
const trusted = parseTrustedKeys(JSON.stringify({ keys: [{ keyId: signer.keyId, publicKey: signer.publicKey }] }), 'keys.json');
const modelLabels = new Map<string, ModelLabels>([['yolox-nano', { labels: ['person', 'car', 'motorcycle'], source: 'labels.txt' }]]);

function push(labels: string): Buffer {
  return signer.push(
    `version: 9\nsite: { id: site-a }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n` +
      `fleet: { trustedKeysFile: /etc/c5/keys.json, stateDir: /var/lib/c5 }\n` +
      `cameras:\n  - id: cam-1\n    source: { url: "rtsp://10.0.0.2/a" }\n    rules: [{ id: r, type: object_present, labels: [${labels}] }]\n`,
  );
}

const check = (bytes: Buffer, withLabels = true): unknown =>
  checkPush(bytes, {
    maxBytes: 64 * 1024,
    trustedKeys: () => trusted,
    siteId: 'site-a',
    highWaterMark: 5,
    now: Date.parse('2026-03-01T12:00:00Z'),
    env: {},
    source: 'mqtt push',
    ...(withLabels ? { modelLabels } : {}),
  });

describe('checkPush: labels', () => {
  it('rejects a push naming a label the model lacks, as config_invalid naming the field', () => {
    expect(check(push('person, motorbike'))).toMatchObject({
      ok: false,
      reason: 'config_invalid',
      version: 9,
      keyId: 'centre-1',
      message: 'mqtt push: invalid site config:\n  cameras[0].rules[0].labels[1]: "motorbike" is not a label of model yolox-nano; did you mean "motorcycle"?',
    });
  });

  it('accepts labels the model has, and checks nothing when given no labels', () => {
    expect(check(push('person, motorcycle'))).toMatchObject({ ok: true });
    expect(check(push('motorbike'), false)).toMatchObject({ ok: true });
  });
});
