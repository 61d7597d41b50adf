import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSiteConfigFile } from '../../../../agent/config/loadSiteConfig.js';
import { ConfigApplier } from '../../../../agent/fleet/ConfigApplier.js';
import { ConfigFileReload } from '../../../../agent/fleet/ConfigFileReload.js';
import type { ConfigState } from '../../../../agent/fleet/configState.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { applyTotal, fleetHarness, signer, untilProbation, ZONE, type FleetHarness } from '../../../helpers/fleetHarness.js';

/**
 * SIGHUP's path: the --config file read again and applied as a push is (origin `local_file`),
 * with a fleet section (verdict on config/state, high-water mark) and without (log and audit).
 */

const logger = createRootLogger({ level: 'silent' });
const CAMERAS = { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

interface Bench extends FleetHarness {
  reload: ConfigFileReload;
  path: string;
  write(text: string): void;
}

/** `fleet: false`: the same site without a fleet section, so without a FleetManager. */
function setup(options: { fleet: boolean }): Bench {
  const harness = fleetHarness();
  const path = join(harness.dir, 'site.yaml');
  const write = (text: string): void => writeFileSync(path, options.fleet ? text : withoutFleet(text));
  if (!options.fleet) harness.site.loaded = { ...loadSiteConfigFile(writeAndReturn(path, withoutFleet(harness.yaml(5, CAMERAS))), {}) };
  const applier = options.fleet
    ? harness.fleet.configApplier
    : new ConfigApplier({
        ...harness,
        target: harness.site,
        siteId: 'site-a',
        stateTopic: undefined,
        logger,
        audit: { append: (entry) => void harness.audit.push(entry) },
        store: undefined,
      });
  const reload = new ConfigFileReload({
    path,
    read: (file) => loadSiteConfigFile(file, {}),
    target: harness.site,
    fleet: options.fleet ? harness.fleet : undefined,
    applier,
    logger,
  });
  stops.push(async () => {
    await harness.fleet.stop();
    await reload.stop();
  });
  return { ...harness, reload, path, write };
}

function withoutFleet(text: string): string {
  return text.replace(/^fleet: .*\n/m, '');
}

function writeAndReturn(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

describe('ConfigFileReload', () => {
  it('applies an edited file with a higher version through the push path and reports it on config/state', async () => {
    const { reload, write, yaml, site, link, audit, store, fleet, metrics } = setup({ fleet: true });
    write(yaml(6, CAMERAS, ZONE));
    const state = (await reload.reload()) as ConfigState;
    expect(state).toMatchObject({ status: 'applied', version: 6, origin: 'local_file', keyId: null, running: { version: 6 } });
    expect(state.changes).toEqual({ added: [], removed: [], restarted: [], reconfigured: ['a', 'b'] });
    expect(site.loaded.config.version).toBe(6);
    expect(link.published).toEqual([expect.objectContaining({ topic: 'c5/site-a/config/state', options: expect.objectContaining({ retain: true }) })]);
    expect(audit.map((entry) => [entry.type, entry['origin']])).toEqual([
      ['config_push_accepted', 'local_file'],
      ['config_push_applied', 'local_file'],
    ]);
    expect(await applyTotal(metrics, 'applied')).toBe(1);
    // the file counts as accepted, as at a start; nothing to keep: the file itself is the record
    expect(fleet.versionHighWaterMark).toBe(6);
    expect(store.readHighWaterMark()?.version).toBe(6);
    expect(store.readLastKnownGood()).toBeUndefined();
    expect(store.readApplyInProgress()).toBeUndefined();
    // a pushed version 6 is now stale
    expect(await fleet.receive(signer.push(yaml(6, CAMERAS)), 'mqtt', 'mqtt push')).toMatchObject({ status: 'rejected', reason: 'stale_version' });
  });

  it('leaves the running config untouched for a bad file and says why, each time', async () => {
    const { reload, write, yaml, site, link } = setup({ fleet: true });
    const before = site.loaded;
    const cases: [string, string, string, RegExp][] = [
      ['syntax', 'version: [6\n', 'config_syntax', /not valid YAML/],
      ['schema', yaml(6, CAMERAS).replace('probationSeconds: 10', 'probationSeconds: -1'), 'config_invalid', /fleet\.probationSeconds/],
      ['unresolved secret', yaml(6, { a: 'env:C5_TEST_NO_SUCH_URL', b: CAMERAS.b }), 'secret_unresolved', /C5_TEST_NO_SUCH_URL/],
      [
        'same version',
        yaml(5, CAMERAS, ZONE),
        'stale_version',
        /version 5 is not above the running version 5; the file wins only when its version is above what runs/,
      ],
      ['older version', yaml(4, CAMERAS, ZONE), 'stale_version', /version 4 is not above/],
      ['another site', yaml(6, CAMERAS).replace('site: { id: site-a }', 'site: { id: site-b }'), 'wrong_site', /site-b/],
      ['fleet section dropped', withoutFleet(yaml(6, CAMERAS)), 'config_invalid', /no fleet section/],
    ];
    for (const [name, text, reason, error] of cases) {
      write(text);
      const state = (await reload.reload()) as ConfigState;
      expect({ name, status: state.status, reason: state.reason, origin: state.origin }).toEqual({ name, status: 'rejected', reason, origin: 'local_file' });
      expect(state.error).toMatch(error);
      expect(state.running.version).toBe(5);
    }
    expect(site.loaded).toBe(before);
    expect(site.applied).toEqual([]);
    expect(link.states).toHaveLength(cases.length);
  });

  it('runs reloads one at a time, and after a push in probation', async () => {
    const { reload, write, yaml, site, clock, fleet } = setup({ fleet: true });
    const moved = { ...CAMERAS, b: 'rtsp://10.0.0.2/b' };
    // a push that restarts camera b is on probation
    const push = fleet.receive(signer.push(yaml(6, moved)), 'mqtt', 'mqtt push');
    await untilProbation(clock);
    write(yaml(7, moved, ZONE));
    const first = reload.reload();
    site.deliver('b');
    clock.advance(10_000);
    expect(await push).toMatchObject({ status: 'applied', version: 6 });
    expect(await first).toMatchObject({ status: 'applied', version: 7, origin: 'local_file' });

    let release = (): void => undefined;
    site.gate = new Promise((resolve) => (release = resolve));
    write(yaml(8, moved));
    const second = reload.reload();
    await new Promise((resolve) => setImmediate(resolve));
    write(yaml(9, moved, ZONE));
    const third = reload.reload();
    release();
    expect(await second).toMatchObject({ status: 'applied', version: 8 });
    expect(await third).toMatchObject({ status: 'applied', version: 9 });
    expect(site.applied.map((apply) => apply.version)).toEqual([6, 7, 8, 9]);
    expect(site.maxConcurrentApplies).toBe(1);
  });

  it('without a fleet section: applies, logs and audits the verdict, publishes nothing, and serialises reloads', async () => {
    const { reload, write, yaml, site, link, audit } = setup({ fleet: false });
    expect(site.loaded.config.fleet).toBeUndefined();
    let release = (): void => undefined;
    site.gate = new Promise((resolve) => (release = resolve));
    write(yaml(6, CAMERAS, ZONE));
    const first = reload.reload();
    const second = reload.reload();
    await new Promise((resolve) => setImmediate(resolve));
    expect(site.applying).toBe(1);
    release();
    expect(await first).toMatchObject({ status: 'applied', version: 6, origin: 'local_file' });
    // the second read the same file: it is what runs now
    expect(await second).toEqual({ status: 'unchanged' });
    write('cameras: nope\n');
    expect(await reload.reload()).toMatchObject({ status: 'rejected', reason: 'config_invalid' });
    expect(site.loaded.config.version).toBe(6);
    expect(site.maxConcurrentApplies).toBe(1);
    expect(link.published).toEqual([]);
    expect(audit.map((entry) => entry.type)).toEqual(['config_push_accepted', 'config_push_applied', 'config_push_rejected']);
  });
});
