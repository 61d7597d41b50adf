import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../../../agent/fleet/configState.js';
import type { FleetManager } from '../../../../agent/fleet/FleetManager.js';
import { applyTotal, fleetHarness, signer, untilProbation, ZONE, type FleetHarness } from '../../../helpers/fleetHarness.js';
import { waitFor } from '../../../helpers/recordingListener.js';

/**
 * Every accepted push ends with a verdict, also across a crash: the apply is journalled before
 * it starts, and a journal found at the next start becomes `rolled_back`, reason `interrupted`.
 * A "crash" here is a FleetManager left mid-probation and a new one started on the same folder.
 */

const running: FleetManager[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fleet) => fleet.stop()));
});

function setup(options: { dir?: string; version?: number } = {}): FleetHarness {
  const harness = fleetHarness(options);
  running.push(harness.fleet);
  return harness;
}

const CAMERAS = { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' };

describe('ConfigApplier', () => {
  it('reports a push interrupted in its probation as rolled_back/interrupted at the next start, once', async () => {
    const crashed = setup();
    // camera b moves to another host: it is on probation for 10 s
    const envelope = signer.push(crashed.yaml(6, { ...CAMERAS, b: 'rtsp://10.0.0.2/b' }));
    void crashed.fleet.receive(envelope, 'mqtt', 'mqtt push');
    await untilProbation(crashed.clock);
    expect(crashed.store.readApplyInProgress()).toMatchObject({ version: 6, origin: 'mqtt', keyId: 'centre-1', from: { version: 5 } });
    running.splice(0); // never stopped: the process died here

    const restarted = setup({ dir: crashed.dir });
    restarted.fleet.start();
    expect(restarted.link.states).toHaveLength(1);
    const verdict = restarted.link.states[0]!;
    expect(verdict).toMatchObject({ status: 'rolled_back', reason: 'interrupted', version: 6, keyId: 'centre-1', origin: 'mqtt', running: { version: 5 } });
    expect(verdict.error).toContain('version 5 runs');
    expect(restarted.link.published[0]).toMatchObject({ topic: 'c5/site-a/config/state', options: { qos: 1, retain: true } });
    expect(restarted.audit).toEqual([expect.objectContaining({ type: 'config_push_rolled_back', reason: 'interrupted', version: 6 })]);
    expect(await applyTotal(restarted.metrics, 'rolled_back')).toBe(1);
    await waitFor('the journal closed', () => restarted.store.readApplyInProgress() === undefined, 5_000, 5);
    expect(restarted.store.readHighWaterMark()).toMatchObject({ version: 6, verdict: { status: 'rolled_back', reason: 'interrupted' } });
    await restarted.fleet.stop();

    const again = setup({ dir: crashed.dir });
    again.fleet.start();
    expect(again.link.published).toEqual([]);
    expect(again.audit).toEqual([]);
    // The same envelope delivered again is answered, naming the verdict; a newer version is applied.
    const answer = (await again.fleet.receive(envelope, 'mqtt', 'mqtt push')) as ConfigState;
    expect(answer).toMatchObject({ status: 'rejected', reason: 'stale_version', version: 6, running: { version: 5 } });
    expect(answer.error).toContain('rolled_back (interrupted)');
    expect(again.link.states).toEqual([answer]);
    expect(await again.fleet.receive(signer.push(again.yaml(7, CAMERAS, ZONE)), 'mqtt', 'mqtt push')).toMatchObject({ status: 'applied', version: 7 });
  });

  it('answers the envelope of a push rolled back by its probation when it comes again, and keeps no journal', async () => {
    const { fleet, site, clock, store, link, yaml } = setup();
    const envelope = signer.push(yaml(6, { ...CAMERAS, b: 'rtsp://10.9.9.9/b' }));
    const pending = fleet.receive(envelope, 'mqtt', 'mqtt push');
    await untilProbation(clock);
    clock.advance(10_000);
    expect(await pending).toMatchObject({ status: 'rolled_back', reason: 'probation_failed' });
    expect(store.readApplyInProgress()).toBeUndefined();
    const answer = (await fleet.receive(envelope, 'mqtt', 'mqtt push')) as ConfigState;
    expect(answer).toMatchObject({ status: 'rejected', reason: 'stale_version', version: 6 });
    expect(answer.error).toMatch(/already tried: rolled_back \(probation_failed\).*push version 7 or higher/);
    expect(link.states.map((state) => state.status)).toEqual(['rolled_back', 'rejected']);
    expect(site.applied.map((apply) => apply.version)).toEqual([6, 5]);
  });

  it('on stop during probation leaves the journal, so the next start gives the verdict', async () => {
    const first = setup();
    const pending = first.fleet.receive(signer.push(first.yaml(6, { ...CAMERAS, b: 'rtsp://10.0.0.2/b' })), 'drop_folder', 'drop folder v6.json');
    await untilProbation(first.clock);
    await first.fleet.stop();
    expect(await pending).toEqual({ status: 'ignored' });
    expect(first.link.published).toEqual([]);

    const next = setup({ dir: first.dir });
    next.fleet.start();
    expect(next.link.states).toEqual([expect.objectContaining({ status: 'rolled_back', reason: 'interrupted', version: 6, origin: 'drop_folder' })]);
  });

  it('reports applied when the crash came after the push was kept as last-known-good', async () => {
    const first = setup();
    const text = first.yaml(6, { ...CAMERAS, b: 'rtsp://10.0.0.2/b' });
    void first.fleet.receive(signer.push(text), 'mqtt', 'mqtt push');
    await untilProbation(first.clock);
    // what the crash left: the journal, and (written just before it) the last-known-good
    const journal = first.store.readApplyInProgress()!;
    await first.store.saveLastKnownGood({ version: 6, sha256: journal.sha256, appliedAt: '2026-03-01T12:00:10.000Z' }, Buffer.from(text));
    running.splice(0);

    // selectStartupConfig starts on the last-known-good: version 6 runs
    const next = setup({ dir: first.dir, version: 6 });
    next.site.loaded = first.site.loaded;
    next.fleet.start();
    expect(next.link.states).toEqual([expect.objectContaining({ status: 'applied', version: 6, running: { version: 6, sha256: journal.sha256 } })]);
  });
});
