import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedSiteIds, writeSimulatedRepo } from '../../../../bench/fleetSim/writeSimulatedRepo.js';
import { generateKeys } from '../../../../agent/fleet/fleetCommands.js';
import { startMosquitto, type MosquittoBroker } from '../../../helpers/mosquitto.js';
import { runCli, startCli } from '../../../helpers/runCli.js';
import { ScriptedSites, type SiteScript } from '../../../helpers/scriptedSites.js';

/**
 * `c5-agent fleet push` (the built CLI) against a real Mosquitto and sites played by scripted
 * MQTT clients that answer with the agent's wire reports. Each test has its own topic prefix, so
 * the retained messages of one never reach another.
 */

interface PushReportJson {
  rolloutId: string;
  version: number;
  untouched: string[];
  halted: boolean;
  waves: { index: number; sites: string[]; applied: string[]; failed: { siteId: string; status: string; reason: string }[]; pendingOffline: string[] }[];
}

let broker: MosquittoBroker;
let work: string;
let keyPath: string;
let keyId: string;
let publicKey: KeyObject;
let prefixes = 0;

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'c5-fleet-push-'));
  const key = await generateKeys({ out: join(work, 'keys'), keyId: 'centre-test' });
  keyPath = key.privateKeyPath;
  keyId = key.keyId;
  publicKey = createPublicKey(createPrivateKey(readFileSync(keyPath)));
});

afterAll(async () => {
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** A repository of `count` sites, its own prefix, and its own state folder. */
function fleet(count: number): { repo: string; prefix: string; ids: string[]; state: string } {
  prefixes += 1;
  const prefix = `t${prefixes}`;
  const repo = join(work, `repo-${prefix}`);
  const ids = simulatedSiteIds(count);
  writeSimulatedRepo({
    dir: repo,
    siteIds: ids,
    camerasPerSite: 1,
    brokerUrl: broker.url,
    prefix,
    trustedKeysFile: '/etc/c5/trusted-keys.json',
    probationSeconds: 1,
  });
  return { repo, prefix, ids, state: join(repo, '.c5-fleet') };
}

function scripts(ids: readonly string[], script: (siteId: string, i: number) => SiteScript = () => 'apply'): Map<string, SiteScript> {
  return new Map(ids.map((id, i) => [id, script(id, i)]));
}

function pushArgs(f: { repo: string; prefix: string }, extra: readonly string[]): string[] {
  return ['fleet', 'push', '--repo', f.repo, '--broker', broker.url, '--prefix', f.prefix, '--key', keyPath, '--json', ...extra];
}

async function retainedPushSites(prefix: string): Promise<string[]> {
  const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  const sites = new Set<string>();
  client.on('message', (topic, payload) => {
    if (payload.length > 0) sites.add(topic.split('/')[1]!);
  });
  await client.subscribeAsync(`${prefix}/+/config/push`, { qos: 1 });
  // retained messages follow the SUBACK at once; a quiet half second means they are all in
  await new Promise((resolve) => setTimeout(resolve, 500));
  await client.endAsync();
  return [...sites].sort();
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();

describe('c5-agent fleet push', () => {
  it('converges 40 sites through a canary and two waves of the sizes asked for, each site signed once with the next version', async () => {
    const f = fleet(40);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids), publicKey });
    try {
      const result = await runCli(pushArgs(f, ['--canary', '10%', '--waves', '50%,100%', '--wave-deadline', '20s']), { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as PushReportJson;
      // 10 % of 40 is 4; 50 % done after wave 2 is 20 (16 more); the rest, 20.
      expect(report.waves.map((wave) => wave.sites.length)).toEqual([4, 16, 20]);
      expect(sorted(report.waves.flatMap((wave) => wave.sites))).toEqual(f.ids);
      // every site reports configVersion 1 in its status: the push gives 2
      expect(report.version).toBe(2);
      for (const wave of report.waves) {
        expect(sorted(wave.applied)).toEqual(sorted(wave.sites));
        expect(wave.failed).toEqual([]);
      }
      for (const id of f.ids) expect(sites.pushesTo(id).map((push) => push.version)).toEqual([2]);
      expect(result.stderr).toMatch(/wave 1\/3 \(canary\): 4 sites, 4 applied, 0 failed, 0 pending \(offline\), \d+ s/);
      // the archive holds each site's signed text under its sha256
      expect(readdirSync(join(f.state, 'pushed'))).toHaveLength(40);
    } finally {
      await sites.stop();
    }
  }, 90_000);

  it('halts after the canary when canary sites roll back, names each with its status and reason, and pushes no other site', async () => {
    const f = fleet(20);
    const failing = new Set(f.ids.filter((_, i) => i % 2 === 0));
    const sites = await ScriptedSites.start({
      url: broker.url,
      prefix: f.prefix,
      sites: scripts(f.ids, (id) => (failing.has(id) ? 'rollback' : 'apply')),
      publicKey,
    });
    try {
      // A canary of 10 out of 20 with 10 failing holds at least one of them but with odds of 1 in 184,756.
      const result = await runCli(pushArgs(f, ['--canary', '10', '--waves', '100%', '--wave-deadline', '20s']), { timeoutMs: 60_000 });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as PushReportJson;
      expect(report.halted).toBe(true);
      const canary = report.waves[0]!;
      const expected = sorted(canary.sites.filter((id) => failing.has(id)));
      expect(expected.length).toBeGreaterThan(0);
      expect(sorted(canary.failed.map((failure) => failure.siteId))).toEqual(expected);
      for (const failure of canary.failed) expect(failure).toMatchObject({ status: 'rolled_back', reason: 'probation_failed' });
      for (const id of expected) expect(result.stderr).toMatch(new RegExp(`  ${id}  rolled_back  probation_failed`));
      expect(report.waves[1]!.applied).toEqual([]);
      expect(await retainedPushSites(f.prefix)).toEqual(sorted(canary.sites));
    } finally {
      await sites.stop();
    }
  }, 90_000);

  it('a site that is online and never answers times out at the wave deadline and halts the rollout', async () => {
    const f = fleet(3);
    const silent = f.ids[1]!;
    const sites = await ScriptedSites.start({
      url: broker.url,
      prefix: f.prefix,
      sites: scripts(f.ids, (id) => (id === silent ? 'silent' : 'apply')),
      publicKey,
    });
    try {
      const result = await runCli(pushArgs(f, ['--canary', '100%', '--wave-deadline', '2s']), { timeoutMs: 60_000 });
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as PushReportJson;
      expect(report.waves[0]!.failed).toEqual([{ siteId: silent, status: 'timeout', reason: 'timeout' }]);
      expect(sorted(report.waves[0]!.applied)).toEqual(f.ids.filter((id) => id !== silent));
    } finally {
      await sites.stop();
    }
  }, 60_000);

  it('--max-failures lets a wave with that many failures go on', async () => {
    const f = fleet(4);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids, (_, i) => (i === 0 ? 'reject' : 'apply')), publicKey });
    try {
      const result = await runCli(pushArgs(f, ['--canary', '100%', '--max-failures', '1', '--wave-deadline', '20s']), { timeoutMs: 60_000 });
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as PushReportJson;
      expect(report.waves[0]!.failed).toEqual([{ siteId: f.ids[0], status: 'rejected', reason: 'config_invalid' }]);
      expect(report.halted).toBe(false);
    } finally {
      await sites.stop();
    }
  }, 60_000);

  it('offline sites are pending without holding the wave, and apply the retained push when they come back', async () => {
    const f = fleet(6);
    const offline = new Set([f.ids[2]!, f.ids[4]!]);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids), offline, publicKey });
    try {
      const result = await runCli(pushArgs(f, ['--canary', '100%', '--wave-deadline', '60s']), { timeoutMs: 60_000 });
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as PushReportJson;
      expect(sorted(report.waves[0]!.pendingOffline)).toEqual(sorted([...offline]));
      expect(sorted(report.waves[0]!.applied)).toEqual(f.ids.filter((id) => !offline.has(id)));
      for (const id of offline) expect(sites.pushesTo(id)).toEqual([]);

      const before = await runCli(['fleet', 'status', '--repo', f.repo, '--broker', broker.url, '--prefix', f.prefix, '--settle', '0.5'], {
        timeoutMs: 30_000,
      });
      expect(before.code).toBe(1);
      expect(before.stdout).toContain('6 sites: 4 converged, 2 offline');

      for (const id of offline) await sites.bringOnline(id);
      await waitUntil(() => [...offline].every((id) => sites.pushesTo(id).length === 1), 10_000);
      for (const id of offline) expect(sites.pushesTo(id).map((push) => push.version)).toEqual([report.version]);
      const after = await runCli(['fleet', 'status', '--repo', f.repo, '--broker', broker.url, '--prefix', f.prefix, '--settle', '0.5'], { timeoutMs: 30_000 });
      expect(after.code, after.stdout).toBe(0);
      expect(after.stdout).toContain('6 sites: 6 converged');
    } finally {
      await sites.stop();
    }
  }, 90_000);

  it('--dry-run prints the waves and the untouched sites and publishes nothing, without a key', async () => {
    const f = fleet(10);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids), publicKey });
    try {
      const result = await runCli([
        'fleet',
        'push',
        '--repo',
        f.repo,
        '--broker',
        broker.url,
        '--prefix',
        f.prefix,
        '--dry-run',
        '--canary',
        '2',
        '--waves',
        '50%',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('dry run: version 2 to 10 sites in 3 waves, 0 untouched; nothing published');
      // canary 2, then 50 % of 10 done (3 more), then the rest (5)
      expect(result.stdout).toMatch(/wave 1\/3 \(canary\): 2 sites: /);
      expect(result.stdout).toMatch(/wave 2\/3: 3 sites: /);
      expect(result.stdout).toMatch(/wave 3\/3: 5 sites: /);
      expect(await retainedPushSites(f.prefix)).toEqual([]);
      for (const id of f.ids) expect(sites.pushesTo(id)).toEqual([]);
    } finally {
      await sites.stop();
    }
  }, 60_000);

  it('a second push of an unchanged repository finds every site untouched and publishes nothing', async () => {
    const f = fleet(5);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids), publicKey });
    try {
      const first = await runCli(pushArgs(f, ['--canary', '100%', '--wave-deadline', '20s']), { timeoutMs: 60_000 });
      expect(first.code).toBe(0);
      const again = await runCli(pushArgs(f, ['--canary', '100%', '--wave-deadline', '20s']), { timeoutMs: 60_000 });
      expect(again.code).toBe(0);
      const report = JSON.parse(again.stdout) as PushReportJson;
      expect(sorted(report.untouched)).toEqual(f.ids);
      expect(report.waves).toEqual([]);
      for (const id of f.ids) expect(sites.pushesTo(id)).toHaveLength(1);
    } finally {
      await sites.stop();
    }
  }, 90_000);

  it('--resume latest after the push is killed between waves: same version and envelopes, the finished waves not pushed again', async () => {
    const f = fleet(12);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids), publicKey });
    try {
      const first = startCli(pushArgs(f, ['--canary', '3', '--waves', '50%,100%', '--wave-deadline', '20s']), { timeoutMs: 60_000 });
      await waitUntil(() => /wave 1\/3 \(canary\): 3 sites, 3 applied/.test(first.stderr()), 30_000);
      first.child.kill('SIGKILL');
      await first.done;
      const journal = JSON.parse(readFileSync(join(f.state, 'rollouts', readdirSync(join(f.state, 'rollouts'))[0]!), 'utf8')) as {
        rolloutId: string;
        version: number;
        waves: { sites: string[] }[];
      };
      const canary = journal.waves[0]!.sites;

      const resumed = await runCli(
        ['fleet', 'push', '--repo', f.repo, '--broker', broker.url, '--prefix', f.prefix, '--key', keyPath, '--resume', 'latest', '--json'],
        { timeoutMs: 60_000 },
      );
      expect(resumed.code, resumed.stderr).toBe(0);
      const report = JSON.parse(resumed.stdout) as PushReportJson;
      expect(report.rolloutId).toBe(journal.rolloutId);
      expect(report.version).toBe(journal.version);
      expect(sorted(report.waves.flatMap((wave) => wave.applied))).toEqual(f.ids);
      // each site took one push: the canary was not pushed again, and a wave cut off mid-publish
      // got byte-identical envelopes (Ed25519 is deterministic; the site ignores a repeat)
      for (const id of f.ids) expect(sites.pushesTo(id).map((push) => push.version)).toEqual([journal.version]);
      expect(resumed.stderr).not.toMatch(/wave 1\/3/);
      expect(canary).toHaveLength(3);
    } finally {
      await sites.stop();
    }
  }, 90_000);

  it('refuses a --config-version that a site already reports, before publishing anything', async () => {
    const f = fleet(2);
    const sites = await ScriptedSites.start({ url: broker.url, prefix: f.prefix, sites: scripts(f.ids), publicKey });
    try {
      const result = await runCli(pushArgs(f, ['--config-version', '1']), { timeoutMs: 30_000 });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--config-version 1 is not above version 1');
      expect(await retainedPushSites(f.prefix)).toEqual([]);
    } finally {
      await sites.stop();
    }
  }, 60_000);

  it('names the signing key id it checked: a key the trusted-keys file lacks is refused', async () => {
    const f = fleet(1);
    const result = await runCli(pushArgs(f, ['--key-id', 'not-trusted']), { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--key-id "not-trusted" is not in');
    expect(keyId).toBe('centre-test');
  }, 30_000);
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
