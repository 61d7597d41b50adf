import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../../../agent/fleet/configState.js';
import type { FleetManager, PushOutcome } from '../../../../agent/fleet/FleetManager.js';
import type { AgentMetrics } from '../../../../agent/observe/metrics.js';
import { applyTotal, fleetHarness, signer, untilProbation, ZONE, type FleetHarness } from '../../../helpers/fleetHarness.js';
import { createSigner } from '../../../helpers/fleetSigner.js';
import { waitFor } from '../../../helpers/recordingListener.js';

/**
 * The push life cycle against a stand-in for the running agent (the real one, with ffmpeg and
 * Mosquitto, is in test/integration/fleet): state files on disk, a manual clock for probation.
 */

const running: FleetManager[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.stop()));
});

async function unverifiedTotal(metrics: AgentMetrics, reason?: string): Promise<number> {
  const { values } = await metrics.configPushUnverifiedTotal.get();
  return values.filter((value) => reason === undefined || value.labels['reason'] === reason).reduce((sum, value) => sum + value.value, 0);
}

function setup(options: { dir?: string; version?: number } = {}): FleetHarness {
  const harness = fleetHarness(options);
  running.push(harness.fleet);
  return harness;
}

describe('FleetManager', () => {
  it('subscribes to the push topic at QoS 1 and ignores an empty (cleared) retained message', async () => {
    const { fleet, link, site } = setup();
    fleet.start();
    expect(link.subscribed).toEqual({ topic: 'c5/site-a/config/push', qos: 1 });
    link.handler!(Buffer.alloc(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.published).toEqual([]);
    expect(site.applied).toEqual([]);
  });

  it('persists a bootstrap version above the stored high-water mark when it starts', async () => {
    const { fleet, store } = setup();
    expect(store.readHighWaterMark()).toBeUndefined();
    fleet.start();
    await waitFor('the high-water mark on disk', () => store.readHighWaterMark()?.version === 5, 5_000);
  });

  it('applies a rules-only push at once, persists it, raises the high-water mark and reports it retained', async () => {
    const { fleet, site, link, metrics, audit, store, yaml } = setup();
    const text = yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' }, ZONE);
    const outcome = (await fleet.receive(signer.push(text), 'mqtt', 'mqtt push')) as ConfigState;
    expect(outcome).toMatchObject({ status: 'applied', version: 6, keyId: 'centre-1', origin: 'mqtt', running: { version: 6 } });
    expect(outcome.changes).toEqual({ added: [], removed: [], restarted: [], reconfigured: ['a', 'b'] });
    expect(site.applied.map((a) => a.version)).toEqual([6]);
    expect(link.published).toHaveLength(1);
    expect(link.published[0]).toMatchObject({ topic: 'c5/site-a/config/state', options: { qos: 1, retain: true } });
    expect(link.versions).toEqual([6]);
    expect(await applyTotal(metrics, 'applied')).toBe(1);
    expect((await metrics.configVersion.get()).values[0]?.value).toBe(6);
    expect(Buffer.from(store.readLastKnownGood()!.payload, 'base64').toString()).toBe(text);
    expect(store.readHighWaterMark()?.version).toBe(6);
    expect(fleet.versionHighWaterMark).toBe(6);
    expect(audit.map((entry) => entry.type)).toEqual(['config_push_accepted', 'config_push_applied']);
    expect(audit[1]).toMatchObject({ version: 6, sha256: outcome.sha256, running: { version: 6 } });
  });

  it('keeps a config that restarts a camera only after the probation window sees it deliver frames', async () => {
    const { fleet, site, clock, store, yaml } = setup();
    const pending = fleet.receive(signer.push(yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.2/b' })), 'mqtt', 'mqtt push');
    await untilProbation(clock);
    expect(site.loaded.config.version).toBe(6);
    expect(store.readLastKnownGood()).toBeUndefined();
    site.deliver('b');
    clock.advance(10_000);
    expect(await pending).toMatchObject({ status: 'applied', version: 6, changes: { restarted: ['b'] } });
    expect(store.readLastKnownGood()?.version).toBe(6);
  });

  it('rolls back when a restarted camera delivers nothing within probation, and says why', async () => {
    const { fleet, site, clock, link, store, metrics, audit, yaml } = setup();
    const before = site.loaded;
    const pending = fleet.receive(signer.push(yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.9.9.9/b' })), 'mqtt', 'mqtt push');
    await untilProbation(clock);
    site.statuses.set('b', { cameraId: 'b', state: 'offline', reason: 'unreachable', detail: 'Connection refused', since: 0 });
    clock.advance(10_000);
    const state = (await pending) as ConfigState;
    expect(state).toMatchObject({ status: 'rolled_back', version: 6, reason: 'probation_failed', running: { version: 5, sha256: before.sha256 } });
    expect(state.error).toBe('camera "b" delivered no frame within 10 s (offline: unreachable, Connection refused)');
    expect(site.loaded).toBe(before);
    expect(site.applied.map((a) => a.version)).toEqual([6, 5]);
    expect(site.applied[1]!.diff.restarted.map((c) => c.id)).toEqual(['b']);
    expect(link.versions).toEqual([6, 5]);
    expect(store.readLastKnownGood()).toBeUndefined();
    // tried once: the same version cannot be pushed again
    expect(store.readHighWaterMark()?.version).toBe(6);
    expect(await applyTotal(metrics, 'rolled_back')).toBe(1);
    expect(audit.map((entry) => entry.type)).toEqual(['config_push_accepted', 'config_push_rolled_back']);
    expect(audit[1]).toMatchObject({ reason: 'probation_failed', version: 6, running: { version: 5 } });
  });

  it('rolls back at once when applying throws', async () => {
    const { fleet, site, yaml } = setup();
    site.failNextApply = true;
    const state = await fleet.receive(signer.push(yaml(6, { a: 'rtsp://10.0.0.1/a' })), 'mqtt', 'mqtt push');
    expect(state).toMatchObject({ status: 'rolled_back', reason: 'apply_failed', error: 'applying failed: model registry exploded', running: { version: 5 } });
  });

  it('rejects without touching the running config, and counts each rejection', async () => {
    const { fleet, site, link, metrics, store, audit, yaml } = setup();
    const forged = createSigner('centre-1').push(yaml(6, { a: 'rtsp://10.0.0.1/a' }));
    expect(await fleet.receive(forged, 'mqtt', 'mqtt push')).toMatchObject({
      status: 'rejected',
      reason: 'bad_signature',
      version: null,
      sha256: null,
      keyId: null,
    });
    expect(await fleet.receive(signer.push(yaml(4, { a: 'rtsp://10.0.0.1/a' })), 'mqtt', 'mqtt push')).toMatchObject({
      status: 'rejected',
      reason: 'stale_version',
      version: 4,
    });
    expect(site.applied).toEqual([]);
    expect(site.loaded.config.version).toBe(5);
    // only the signed one is reported on config/state and counted as an apply result
    expect(link.states.map((s) => [s.reason, s.running.version])).toEqual([['stale_version', 5]]);
    expect(await applyTotal(metrics, 'rejected')).toBe(1);
    expect(await unverifiedTotal(metrics, 'bad_signature')).toBe(1);
    expect(store.readHighWaterMark()).toBeUndefined();
    expect(audit.map((entry) => [entry.type, entry['reason'] ?? entry['byReason']])).toEqual([
      ['config_push_unverified', { bad_signature: 1 }],
      ['config_push_rejected', 'stale_version'],
    ]);
  });

  it('refuses unsigned pushes on arrival: counted, summed in one audit record per minute, never on config/state', async () => {
    const { fleet, link, metrics, audit, clock, yaml } = setup();
    const intruder = createSigner('intruder-7');
    const genuine = signer.envelope(yaml(6, { a: 'rtsp://10.0.0.1/a' }));
    const forgeries = [
      intruder.push(yaml(6, { a: 'rtsp://10.0.0.1/a' })),
      createSigner('centre-1').push(yaml(6, { a: 'rtsp://10.0.0.1/a' })),
      Buffer.from(JSON.stringify({ ...genuine, payload: Buffer.from(yaml(9, { a: 'rtsp://10.0.0.1/a' })).toString('base64') })),
      Buffer.from(JSON.stringify({ ...genuine, [`x${'Q'.repeat(200_000)}`]: 1 })),
      Buffer.alloc(2 * 1024 * 1024, 0x51),
      Buffer.from('version: 6'),
    ];
    const verdicts: PushOutcome[] = [];
    for (let round = 0; round < 10; round += 1) {
      for (const bytes of forgeries) verdicts.push(await fleet.receive(bytes, 'mqtt', 'mqtt push'));
      clock.advance(1_000);
    }
    expect(verdicts.map((verdict) => verdict.status)).toEqual(Array(60).fill('rejected'));
    expect(link.published).toEqual([]);
    expect(await unverifiedTotal(metrics)).toBe(60);
    expect(await applyTotal(metrics, 'rejected')).toBe(0);
    // the first at once, the other 59 at the end of the minute
    expect(audit.map((entry) => entry['count'])).toEqual([1]);
    clock.advance(60_000);
    expect(audit).toEqual([
      expect.objectContaining({ type: 'config_push_unverified', count: 1 }),
      {
        type: 'config_push_unverified',
        count: 59,
        byReason: { unknown_key: 9, bad_signature: 20, malformed_envelope: 20, too_large: 10 },
        firstAt: '2026-03-01T12:00:00.000Z',
        lastAt: '2026-03-01T12:00:09.000Z',
      },
    ]);
    // what the sender is told names no trusted key and echoes no more than a short prefix
    const told = JSON.stringify([...verdicts, ...audit]);
    expect(told).not.toContain('centre-1');
    expect(told).not.toContain('Q'.repeat(41));
    expect(told).toContain('key id \\"intruder-7\\" not trusted by this site');
  });

  it('lets no forged push supersede a genuine one waiting behind a probation', async () => {
    const { fleet, site, clock, link, yaml } = setup();
    const cameras = { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.2/b' };
    const first = fleet.receive(signer.push(yaml(6, cameras)), 'mqtt', 'mqtt push');
    await untilProbation(clock);
    const waiting = fleet.receive(signer.push(yaml(7, cameras, ZONE)), 'mqtt', 'mqtt push');
    const forged = createSigner('centre-1');
    const refused = await Promise.all(Array.from({ length: 50 }, (_, i) => fleet.receive(forged.push(yaml(100 + i, cameras)), 'mqtt', 'mqtt push')));
    expect(refused.map((verdict) => verdict.status)).toEqual(Array(50).fill('rejected'));
    site.deliver('b');
    clock.advance(10_000);
    expect(await first).toMatchObject({ status: 'applied', version: 6 });
    expect(await waiting).toMatchObject({ status: 'applied', version: 7 });
    expect(site.applied.map((a) => a.version)).toEqual([6, 7]);
    expect(link.states.map((s) => [s.status, s.version])).toEqual([
      ['applied', 6],
      ['applied', 7],
    ]);
  });

  it('writes the refusals not yet reported to the audit log when it stops', async () => {
    const { fleet, audit, clock, yaml } = setup();
    const forged = createSigner('centre-1');
    for (let i = 0; i < 5; i += 1) {
      await fleet.receive(forged.push(yaml(6, { a: 'rtsp://10.0.0.1/a' })), 'mqtt', 'mqtt push');
      clock.advance(1_000);
    }
    await fleet.stop();
    expect(audit.map((entry) => [entry.type, entry['count']])).toEqual([
      ['config_push_unverified', 1],
      ['config_push_unverified', 4],
    ]);
  });

  it('ignores the accepted envelope delivered again and the running config pushed again, even after a restart', async () => {
    const first = setup();
    const push = signer.push(first.yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' }, ZONE));
    await first.fleet.receive(push, 'mqtt', 'mqtt push');
    expect(await first.fleet.receive(push, 'mqtt', 'mqtt push')).toEqual({ status: 'unchanged' });
    await first.fleet.stop();

    const restarted = setup({ dir: first.dir, version: 6 });
    restarted.site.loaded = first.site.loaded;
    expect(restarted.fleet.versionHighWaterMark).toBe(6);
    expect(await restarted.fleet.receive(push, 'mqtt', 'mqtt push')).toEqual({ status: 'unchanged' });
    // a fresh signature over the same bytes is another envelope, but still the config that runs
    const resigned = signer.push(first.yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' }, ZONE), { expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(await restarted.fleet.receive(resigned, 'mqtt', 'mqtt push')).toEqual({ status: 'unchanged' });
    expect(restarted.link.published).toEqual([]);
  });

  it('handles one push at a time: a push waiting behind a probation is superseded by a newer one', async () => {
    const { fleet, site, clock, yaml } = setup();
    const cameras = { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.2/b' };
    const first = fleet.receive(signer.push(yaml(6, cameras)), 'mqtt', 'mqtt push');
    await untilProbation(clock);
    const second = fleet.receive(signer.push(yaml(7, cameras, ZONE)), 'mqtt', 'mqtt push');
    const third = fleet.receive(signer.push(yaml(8, cameras, ZONE)), 'drop_folder', 'drop folder v8.json');
    expect(await second).toMatchObject({ status: 'rejected', reason: 'superseded' });
    site.deliver('b');
    clock.advance(10_000);
    expect(await first).toMatchObject({ status: 'applied', version: 6 });
    expect(await third).toMatchObject({ status: 'applied', version: 8, origin: 'drop_folder' });
    expect(site.applied.map((a) => a.version)).toEqual([6, 8]);
  });

  it('on stop during probation keeps neither verdict: nothing persisted, nothing reported', async () => {
    const { fleet, clock, link, store, yaml } = setup();
    const pending = fleet.receive(signer.push(yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.2/b' })), 'mqtt', 'mqtt push');
    await untilProbation(clock);
    await fleet.stop();
    expect(await pending).toEqual({ status: 'ignored' });
    expect(store.readLastKnownGood()).toBeUndefined();
    expect(link.published).toEqual([]);
    expect(await fleet.receive(Buffer.from('{}'), 'mqtt', 'mqtt push')).toEqual({ status: 'ignored' });
  });

  it('takes envelopes from the drop folder and renames each after its outcome', async () => {
    const { fleet, site, dir, clock, yaml } = setup();
    const drop = join(dir, 'drop');
    fleet.start();
    await waitFor('the drop folder', () => existsSync(drop), 5_000, 5);
    writeFileSync(join(drop, 'a-v6.json'), signer.push(yaml(6, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' }, ZONE)));
    writeFileSync(join(drop, 'b-huge.json'), Buffer.alloc(2 * 1024 * 1024, 0x20));
    writeFileSync(join(drop, 'notes.txt'), 'not an envelope');
    const handled = (): boolean => {
      clock.advance(2_000);
      return readdirSync(drop).filter((name) => name.endsWith('.json')).length === 0;
    };
    await waitFor('both files handled', handled, 5_000);
    expect(readdirSync(drop).sort()).toEqual(['a-v6.json.applied', 'b-huge.json.rejected', 'notes.txt']);
    expect(site.loaded.config.version).toBe(6);
  });
});
