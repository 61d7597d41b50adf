import type { WireChannelId } from './wireChannels.js';

/**
 * One example payload per channel for the AsyncAPI contract (what the centre's developers read
 * first). Realistic values taken from the README's examples, made complete: a test validates
 * each against its schema, so an example cannot drift from the contract either. The digests,
 * keys and signatures are well-formed but illustrative.
 */

const SITE = 'cdmx-cuauhtemoc-0042';
const CONFIG_SHA = '9f1c2e5b7a3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60';
const PUSHED_SHA = '6b1f0e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeef';

export const WIRE_EXAMPLES: Readonly<Record<WireChannelId, { readonly name: string; readonly summary: string; readonly payload: unknown }>> = {
  siteStatus: {
    name: 'online',
    summary: 'A connected agent running config version 14',
    payload: { state: 'online', siteId: SITE, version: '0.1.0', configVersion: 14, startedAt: '2026-03-01T11:58:02.114Z' },
  },
  cameraStatus: {
    name: 'unreachable',
    summary: 'A camera whose RTSP server refuses connections; credentials redacted',
    payload: {
      cameraId: 'cam-depot',
      state: 'offline',
      reason: 'unreachable',
      detail: 'ffmpeg exited with code 1: rtsp://REDACTED:REDACTED@10.20.0.12/stream1: Connection refused',
      since: '2026-03-01T12:00:14.530Z',
    },
  },
  alerts: {
    name: 'zoneIntrusionStart',
    summary: 'A person entered the zone "centre"',
    payload: {
      schema: 'c5.alert.v1',
      id: '019ac8a5-3d4e-7c31-9a0b-5f2d8e61c4a7',
      seq: 12,
      siteId: 'demo-site',
      cameraId: 'plaza',
      ruleId: 'centre-intrusion',
      type: 'zone_intrusion',
      state: 'start',
      severity: 'medium',
      object: { label: 'person', trackId: 53, score: 0.78, bbox: [0.479, 0.304, 0.52, 0.429] },
      zone: { id: 'centre' },
      frameTime: '2026-11-29T01:59:15.752Z',
      createdAt: '2026-11-29T01:59:15.769Z',
      model: { name: 'yolox-nano', sha256: 'e8af0749c2d6b1a3f5e7d9c0b2a4f6e8d0c2b4a6f8e0d2c4b6a8f0e2d4c6b8a0' },
      config: { version: 1, sha256: CONFIG_SHA },
      audit: { seq: 812, hash: '7df1129cc7965e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809123' },
    },
  },
  stats: {
    name: 'oneCamera',
    summary: 'A one-camera site over a 60 s interval',
    payload: {
      schema: 'c5.stats.v1',
      siteId: 'demo-site',
      at: '2026-11-29T02:00:00.000Z',
      periodSeconds: 60,
      configVersion: 12,
      mqttConnected: true,
      cameras: [{ id: 'plaza', up: true, fps: { processed: 5, dropped: 0, skipped: 0, failed: 0 } }],
      inference: [{ model: 'yolox-nano', calls: 300, meanMs: 12.6, p95Ms: 18.4 }],
      alerts: { published: 14, failed: 0 },
      outbox: { depth: 0, oldestAgeSeconds: 0 },
    },
  },
  configPush: {
    name: 'signedPush',
    summary: 'A config signed with key fleet-2026, valid for 7 days',
    payload: {
      payload: 'dmVyc2lvbjogMTQKc2l0ZTogeyBpZDogY2RteC1jdWF1aHRlbW9jLTAwNDIgfQo=',
      keyId: 'fleet-2026',
      expiresAt: '2026-03-08T12:00:00.000Z',
      sig: 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEg==',
    },
  },
  configState: {
    name: 'rolledBack',
    summary: 'Version 14 failed its probation; version 13 runs again',
    payload: {
      siteId: SITE,
      status: 'rolled_back',
      version: 14,
      sha256: PUSHED_SHA,
      keyId: 'fleet-2026',
      origin: 'mqtt',
      reason: 'probation_failed',
      error: 'camera "cam-depot" delivered no frame within 30 s (offline: unreachable)',
      running: { version: 13, sha256: CONFIG_SHA },
      changes: { added: [], removed: [], restarted: ['cam-depot'], reconfigured: [] },
      time: '2026-03-01T12:00:31.204Z',
    },
  },
  auditCheckpoint: {
    name: 'head',
    summary: "The audit log's head at record 812",
    payload: {
      schema: 'c5.audit-checkpoint.v1',
      siteId: 'demo-site',
      seq: 812,
      hash: '7df1129cc7965e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809123',
      time: '2026-11-29T02:00:00.000Z',
      keyId: 'ed25519-3f9a1c0b7e2d4a65',
      publicKey: 'Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=',
      sig: 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEg==',
    },
  },
};
