import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import type { ConfigState } from '../../../agent/fleet/configState.js';
import { FleetStateStore } from '../../../agent/fleet/FleetStateStore.js';
import { FfmpegFrameSource } from '../../../agent/ingest/FfmpegFrameSource.js';
import { resolveFfmpegPath } from '../../../agent/ingest/resolveFfmpegPath.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { startAgent, type RunningAgent } from '../../../agent/startAgent.js';
import { alertSchema, type Alert } from '../../../pipelines/alerts.js';
import type { CameraConfig } from '../../../pipelines/config/siteConfig.js';
import type { FrameSource, ModelInfo } from '../../../pipelines/stages.js';
import { createSigner, writeTrustedKeys } from '../../helpers/fleetSigner.js';
import { freePort } from '../../helpers/freePort.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type CollectedMessage, type MqttCollector } from '../../helpers/mqttCollector.js';
import { clipPath, sharedModelsDir } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/recordingListener.js';

/**
 * Signed pushes through a real Mosquitto into a running agent: two cameras on the shared clip
 * (real ffmpeg, YOLOX-Nano), nine kinds of bad push rejected, a zone change applied to one
 * camera while the other keeps every frame, an unreachable camera rolled back after probation,
 * and the pushed config running again after a restart from the old bootstrap file.
 *
 * The tests tell one story (each push needs a newer version than the last), so each is a step
 * that first runs, once, the steps before it: every test also passes alone (`-t 'name'`).
 */

const SITE = 'fleet-site';
const STATE_TOPIC = `c5/${SITE}/config/state`;
const PUSH_TOPIC = `c5/${SITE}/config/push`;
const WHOLE_FRAME = '[[0, 0], [1, 0], [1, 1], [0, 1]]';
// Nobody's feet are ever in this sliver of the top-left corner.
const CORNER = '[[0, 0], [0.02, 0], [0, 0.02]]';

const signer = createSigner('centre-2026');
const dir = mkdtempSync(join(tmpdir(), 'c5-fleet-it-'));
const stateDir = join(dir, 'state');
const trustedKeysFile = writeTrustedKeys(join(dir, 'trusted-keys.json'), [signer]);
const env = { ...process.env, C5_MODELS_DIR: sharedModelsDir, C5_AUDIT_DIR: join(dir, 'audit'), C5_OUTBOX_PATH: join(dir, 'outbox.sqlite') };

let broker: MosquittoBroker;
let collector: MqttCollector;
let running: RunningAgent;

function siteYaml(version: number, options: { zoneB?: string; urlB?: string; site?: string; padding?: number } = {}): string {
  const camera = (id: string, url: string, zone: string): string =>
    `  - id: ${id}\n    source: { url: "${url}", loop: true }\n    analyticsFps: 2\n` +
    `    zones: [{ id: walk, polygon: ${zone} }]\n` +
    `    rules: [{ id: people-${id}, type: zone_intrusion, zone: walk, labels: [person], minScore: 0.4 }]\n`;
  return (
    `version: ${version}\nsite: { id: ${options.site ?? SITE} }\n` +
    `mqtt: { urls: ["${broker.url}"], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 2 }\nmetrics: { port: 0 }\n` +
    `fleet: { trustedKeysFile: "${trustedKeysFile}", stateDir: "${stateDir}", probationSeconds: 3, maxPushBytes: 4096 }\n` +
    `cameras:\n${camera('a', clipPath, WHOLE_FRAME)}${camera('b', options.urlB ?? clipPath, options.zoneB ?? CORNER)}` +
    `# ${'x'.repeat(options.padding ?? 0)}\n`
  );
}

/** The capture time of every frame each camera's real ffmpeg source delivered, across restarts. */
const captureTimes = new Map<string, number[]>();

/** The agent's own ffmpeg sources, each frame's capture time noted on its way to the pipeline. */
function recordingFrameSource(camera: CameraConfig, model: ModelInfo): FrameSource {
  const logger = createRootLogger({ level: 'error' });
  const ffmpegPath = resolveFfmpegPath({ configured: undefined, env, logger });
  const source = new FfmpegFrameSource({
    camera,
    sourceUrl: camera.source.url,
    ffmpegPath,
    inputWidth: model.inputWidth,
    inputHeight: model.inputHeight,
    clock: systemClock,
    logger,
  });
  const times = captureTimes.get(camera.id) ?? [];
  captureTimes.set(camera.id, times);
  return {
    cameraId: source.cameraId,
    start: (listener) =>
      source.start({
        onFrame: (frame) => {
          times.push(frame.captureTime);
          listener.onFrame(frame);
        },
        onStatus: (status) => listener.onStatus(status),
        onRestart: (info) => listener.onRestart(info),
      }),
    stop: () => source.stop(),
  };
}

async function start(version: number): Promise<RunningAgent> {
  const loaded = parseSiteConfigText(siteYaml(version), 'bootstrap.yaml', env);
  return startAgent({
    loaded,
    env,
    clock: systemClock,
    logger: createRootLogger({ level: 'error' }),
    version: '0.0.0-test',
    metricsPort: 0,
    createFrameSource: recordingFrameSource,
  });
}

/** Runs `body` once, after `before`; every later call gets the same promise (and the same failure). */
function step<T>(before: (() => Promise<unknown>) | undefined, body: () => Promise<T>): () => Promise<T> {
  let done: Promise<T> | undefined;
  return () =>
    (done ??= (async () => {
      await before?.();
      return body();
    })());
}

const intervals = (times: readonly number[]): number[] => times.slice(1).map((at, i) => at - times[i]!);
const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

/** Publishes a push retained, as C5 does, and waits for the state report it causes. */
async function push(payload: Buffer | string): Promise<ConfigState> {
  const mark = collector.messages.length;
  await collector.client.publishAsync(PUSH_TOPIC, payload, { qos: 1, retain: true });
  const isNewState = (m: CollectedMessage): boolean => m.topic === STATE_TOPIC && collector.messages.indexOf(m) >= mark;
  return (await collector.waitFor(isNewState, 15_000)).payload as ConfigState;
}

/**
 * Publishes a push that fails before its signature holds, and waits for the agent to count it:
 * such a push is never answered on config/state (anyone can send one; the retained verdict there
 * stays the last verified one).
 */
async function pushUnverified(payload: Buffer | string, reason: string): Promise<void> {
  const pattern = new RegExp(`^c5_agent_config_push_unverified_total\\{reason="${reason}"\\} (\\d+)`, 'm');
  const before = await metric(pattern);
  await collector.client.publishAsync(PUSH_TOPIC, payload, { qos: 1, retain: true });
  const deadline = Date.now() + 15_000;
  while ((await metric(pattern)) === before) {
    if (Date.now() > deadline) throw new Error(`the agent did not count the ${reason} push`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const alertsOf = (camera: string): Alert[] =>
  collector.messages.filter((m) => m.topic === `c5/${SITE}/${camera}/alerts`).map((m) => alertSchema.parse(m.payload));

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${running.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

beforeAll(async () => {
  broker = await startMosquitto();
  collector = await collectMqtt({ url: broker.url, topics: [`c5/${SITE}/#`] });
  running = await start(3);
  await waitFor('both cameras delivering frames', () => running.agent.cameraProgress('a').frames > 2 && running.agent.cameraProgress('b').frames > 2, 30_000);
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await collector?.close();
  await broker?.stop();
});

const rejectBadPushes = step(undefined, async () => {
  const before = running.agent.loaded;
  const framesA = running.agent.cameraProgress('a').frames;
  const statesBefore = collector.messages.filter((m) => m.topic === STATE_TOPIC).length;
  const good = siteYaml(9, { zoneB: WHOLE_FRAME });
  const envelope = signer.envelope(good);
  // refused before the signature holds: counted, never reported on config/state
  const unverified: [string, Buffer | string, string][] = [
    [
      'tampered payload',
      JSON.stringify({ ...envelope, payload: Buffer.from(good.replace('minScore: 0.4', 'minScore: 0.1')).toString('base64') }),
      'bad_signature',
    ],
    ['wrong key', createSigner('centre-2026').push(good), 'bad_signature'],
    ['unknown key id', signer.push(good, { keyId: 'centre-1999' }), 'unknown_key'],
    ['oversized', signer.push(siteYaml(9, { padding: 4_000 })), 'too_large'],
    ['non-JSON', 'version: 9', 'malformed_envelope'],
  ];
  for (const [, payload, reason] of unverified) await pushUnverified(payload, reason);
  // signed, then refused: each answered on config/state
  const verified: [string, Buffer | string, string][] = [
    ["another site's config", signer.push(siteYaml(9, { site: 'other-site' })), 'wrong_site'],
    ['older version', signer.push(siteYaml(2)), 'stale_version'],
    ['equal version (replay)', signer.push(siteYaml(3, { zoneB: WHOLE_FRAME })), 'stale_version'],
    ['expired', signer.push(good, { expiresAt: new Date(Date.now() - 1_000) }), 'expired'],
  ];
  for (const [name, payload, reason] of verified) {
    const state = await push(payload);
    expect({ name, status: state.status, reason: state.reason }).toEqual({ name, status: 'rejected', reason });
    expect(state.running).toEqual({ version: 3, sha256: before.sha256 });
    expect(state.error?.length).toBeGreaterThan(0);
  }
  // the only reports: the signed pushes' (so none of the unsigned ones came first)
  const states = collector.messages.filter((m) => m.topic === STATE_TOPIC).slice(statesBefore);
  expect(states.map((m) => (m.payload as ConfigState).reason)).toEqual(verified.map(([, , reason]) => reason));
  expect(running.agent.loaded).toBe(before);
  // the same pipeline: its frame count carried on instead of starting again from 0
  expect(running.agent.cameraProgress('a').frames).toBeGreaterThanOrEqual(framesA);
  expect(await metric(/^c5_agent_config_apply_total\{result="rejected"\} (\d+)/m)).toBe(verified.length);
  expect(await metric(/^c5_agent_config_version (\d+)/m)).toBe(3);
  expect(await metric(/^c5_agent_camera_restarts_total\{camera="a",[^}]*\} (\d+)/m)).toBe(0);
});

const applyZoneChange = step(rejectBadPushes, async () => {
  expect(alertsOf('b')).toEqual([]);
  expect(running.agent.cameraProgress('b').frames).toBeGreaterThan(2);
  // a's rhythm before the push: the yardstick for the gap allowed during it
  const framesA = captureTimes.get('a')!;
  await waitFor('7 frames from camera a', () => framesA.length >= 7, 30_000);
  const samples: { at: number; frames: number }[] = [];
  const sampler = setInterval(() => samples.push({ at: Date.now(), frames: running.agent.cameraProgress('a').frames }), 20);
  const sentAt = Date.now();
  const before = framesA.filter((at) => at <= sentAt).slice(-7);
  try {
    const state = await push(signer.push(siteYaml(4, { zoneB: WHOLE_FRAME })));
    console.info(`zone push: published to applied report in ${Date.now() - sentAt} ms`);
    expect(state).toMatchObject({ status: 'applied', version: 4, keyId: 'centre-2026', running: { version: 4 } });
    expect(state.changes).toEqual({ added: [], removed: [], restarted: [], reconfigured: ['b'] });
    const alert = (await collector.waitFor((m) => m.topic === `c5/${SITE}/b/alerts`, 30_000)).payload as Alert;
    expect(alert).toMatchObject({ cameraId: 'b', ruleId: 'people-b', state: 'start', zone: { id: 'walk' }, config: { version: 4, sha256: state.sha256 } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    clearInterval(sampler);
  }
  // Camera a's pipeline was never rebuilt (its count would restart from 0) and kept counting through the apply.
  const counts = samples.map((sample) => sample.frames);
  expect(counts.every((count, i) => i === 0 || count >= counts[i - 1]!)).toBe(true);
  expect(counts[counts.length - 1]!).toBeGreaterThan(counts[0]! + 2);
  expect(await metric(/^c5_agent_camera_restarts_total\{camera="a",[^}]*\} (\d+)/m)).toBe(0);
  expect(await metric(/^c5_agent_config_version (\d+)/m)).toBe(4);
  expect(await metric(/^c5_agent_config_apply_total\{result="applied"\} (\d+)/m)).toBe(1);
  const birth = await collector.waitFor((m) => m.topic === `c5/${SITE}/status` && (m.payload as { configVersion?: number }).configVersion === 4, 5_000);
  expect(birth.retain).toBe(true);
  // No pause in a's frames, by their capture times: from the last frame before the push to the
  // fourth one after it, no interval longer than three of its usual ones before the push (2 fps: 500 ms).
  await waitFor('4 frames from camera a after the push', () => framesA.filter((at) => at > sentAt).length >= 4, 30_000);
  const during = framesA.filter((at) => at >= before[before.length - 1]!);
  const usualMs = median(intervals(before));
  const gapMs = Math.max(...intervals(during));
  console.info(`camera a: ${during.length - 1} frames over the push, longest interval ${gapMs} ms, usual before it ${usualMs} ms`);
  expect(gapMs).toBeLessThanOrEqual(3 * usualMs);
});

const rollBackUnreachableCamera = step(applyZoneChange, async () => {
  const deadPort = await freePort();
  const state = await push(signer.push(siteYaml(5, { zoneB: WHOLE_FRAME, urlB: `rtsp://operator:pw@127.0.0.1:${deadPort}/cam` })));
  expect(state).toMatchObject({ status: 'rolled_back', version: 5, reason: 'probation_failed', running: { version: 4 } });
  expect(state.changes?.restarted).toEqual(['b']);
  expect(state.error).toMatch(/^camera "b" delivered no frame within 3 s/);
  expect(state.error).not.toContain(':pw@');
  expect(running.agent.loaded.config.version).toBe(4);
  const framesB = running.agent.cameraProgress('b').frames;
  await waitFor('camera b back on its last-known-good source', () => running.agent.cameraProgress('b').frames > framesB + 2, 30_000);
  expect(await metric(/^c5_agent_config_version (\d+)/m)).toBe(4);
  expect(await metric(/^c5_agent_config_apply_total\{result="rolled_back"\} (\d+)/m)).toBe(1);
  const store = new FleetStateStore(stateDir);
  expect(store.readLastKnownGood()?.version).toBe(4);
  expect(store.readHighWaterMark()?.version).toBe(5);
});

describe('fleet configuration over MQTT', () => {
  it('rejects each bad push with its reason and leaves the running config untouched', rejectBadPushes, 90_000);

  it("applies a zone change to camera b in place: a's frames never pause, b's new zone raises alerts", applyZoneChange, 120_000);

  it('rolls back a push whose camera cannot be reached within probation, and says why', rollBackUnreachableCamera, 180_000);

  it('runs the pushed config again after a restart from the older bootstrap file, and audited every step', async () => {
    await rollBackUnreachableCamera();
    await running.stop();
    running = await start(3);
    expect(running.agent.loaded.config.version).toBe(4);
    expect(running.agent.loaded.config.cameras[1]!.zones[0]!.polygon).toEqual(JSON.parse(WHOLE_FRAME));
    expect(running.fleet?.versionHighWaterMark).toBe(5);
    // The high-water mark survived the restart: the version that was rolled back stays refused.
    const replayed = await push(signer.push(siteYaml(5, { zoneB: WHOLE_FRAME })));
    expect(replayed).toMatchObject({ status: 'rejected', reason: 'stale_version' });

    const audit = readdirSync(join(dir, 'audit'))
      .filter((name) => name.endsWith('.jsonl'))
      .flatMap((name) =>
        readFileSync(join(dir, 'audit', name), 'utf8')
          .trim()
          .split('\n'),
      )
      .map((line) => JSON.parse(line) as { type: string; trigger?: string; reason?: string; count?: number; byReason?: Record<string, number> });
    // the unsigned pushes: summed (the first at once, the rest at the end of the minute or at the stop)
    const unverified = audit.filter((record) => record.type === 'config_push_unverified');
    expect(unverified.reduce((sum, record) => sum + record.count!, 0)).toBe(5);
    expect(unverified.length).toBeLessThanOrEqual(2);
    const steps = audit
      .filter((record) => record.type.startsWith('config_') && record.type !== 'config_push_unverified')
      .map((record) => `${record.type}${record.trigger ? `:${record.trigger}` : ''}`);
    // config_applied: each switch of the config in effect; config_push_*: each push's verdict.
    // After the restart, the replayed version 5 is answered; so is the retained one if the broker
    // delivers it again (only when it had lost the agent's subscription: retain handling 1).
    const restart = steps.lastIndexOf('config_applied:startup');
    const afterRestart = steps.slice(restart + 1);
    expect(afterRestart.length).toBeGreaterThanOrEqual(1);
    expect(afterRestart.length).toBeLessThanOrEqual(2);
    expect(new Set(afterRestart)).toEqual(new Set(['config_push_rejected']));
    expect(steps.slice(0, restart + 1)).toEqual([
      'config_applied:startup',
      ...Array<string>(4).fill('config_push_rejected'),
      'config_push_accepted',
      'config_applied:fleet',
      'config_push_applied',
      'config_push_accepted',
      'config_applied:fleet',
      'config_applied:fleet',
      'config_push_rolled_back',
      'config_applied:startup',
    ]);
  }, 240_000);
});
