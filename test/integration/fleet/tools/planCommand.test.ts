import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedSiteIds, writeSimulatedRepo } from '../../../../bench/fleetSim/writeSimulatedRepo.js';
import { generateKeys } from '../../../../agent/fleet/fleetCommands.js';
import { startMosquitto, type MosquittoBroker } from '../../../helpers/mosquitto.js';
import { runCli } from '../../../helpers/runCli.js';
import { ScriptedSites, type SiteScript } from '../../../helpers/scriptedSites.js';

/**
 * `c5-agent fleet plan` and `fleet status` against what scripted sites report, on a Mosquitto that
 * takes only a user with a password (given in C5_FLEET_PASSWORD, which must appear in no output).
 */

const exec = promisify(execFile);
const USER = 'centre';
const PASSWORD = 'Plan-Secret-7f3a9c';

let broker: MosquittoBroker;
let work: string;
let keyPath: string;
let publicKey: KeyObject;
const env = { ...process.env, C5_FLEET_PASSWORD: PASSWORD };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'c5-fleet-plan-'));
  const passwordFile = join(work, 'mosquitto.passwd');
  writeFileSync(passwordFile, '');
  await exec('mosquitto_passwd', ['-b', passwordFile, USER, PASSWORD]);
  broker = await startMosquitto({ config: `allow_anonymous false\npassword_file ${passwordFile}` });
  const key = await generateKeys({ out: join(work, 'keys'), keyId: 'centre-plan' });
  keyPath = key.privateKeyPath;
  publicKey = createPublicKey(createPrivateKey(readFileSync(keyPath)));
});

afterAll(async () => {
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

const brokerArgs = (): string[] => ['--broker', broker.url, '--username', USER];
const camera = (siteId: string, extra = ''): string =>
  `site: { id: ${siteId} }\ncameras:\n  - id: cam-01\n    source: { url: "rtsp://sim.invalid/${siteId}/cam-01" }\n${extra}`;

describe('c5-agent fleet plan and status', () => {
  it('classifies each site against what it runs: restarted, hot-swapped, untouched, new; status converges; the password is never printed', async () => {
    const repo = join(work, 'repo');
    const ids = simulatedSiteIds(3);
    writeSimulatedRepo({
      dir: repo,
      siteIds: ids,
      camerasPerSite: 1,
      brokerUrl: broker.url,
      prefix: 'c5',
      trustedKeysFile: '/etc/c5/trusted-keys.json',
      probationSeconds: 1,
    });
    const sites = await ScriptedSites.start({
      url: broker.url,
      username: USER,
      password: PASSWORD,
      sites: new Map<string, SiteScript>(ids.map((id) => [id, 'apply'])),
      publicKey,
      cameras: 1,
    });
    try {
      const push = await runCli(['fleet', 'push', '--repo', repo, ...brokerArgs(), '--key', keyPath, '--canary', '100%', '--wave-deadline', '20s'], {
        env,
        timeoutMs: 60_000,
      });
      expect(push.code, push.stderr).toBe(0);
      const status = await runCli(['fleet', 'status', '--repo', repo, ...brokerArgs(), '--settle', '0.5', '--all'], { env, timeoutMs: 30_000 });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('3 sites: 3 converged');
      expect(status.stdout).toMatch(/site-00001 +converged +2 +2 +applied +- +online +1\/1/);

      // site 1: a new source URL (restarts the camera); site 2: a new name (swapped in place);
      // site 3: as it is; site 4: never reported.
      writeFileSync(join(repo, 'sites', `${ids[0]}.yaml`), camera(ids[0]!).replace('/cam-01"', '/cam-01b"'));
      writeFileSync(join(repo, 'sites', `${ids[1]}.yaml`), camera(ids[1]!).replace('  - id: cam-01\n', '  - id: cam-01\n    name: Gate\n'));
      writeFileSync(join(repo, 'sites', 'site-00004.yaml'), camera('site-00004'));
      const plan = await runCli(['fleet', 'plan', '--repo', repo, ...brokerArgs(), '--json'], { env, timeoutMs: 30_000 });
      expect(plan.code, plan.stderr).toBe(0);
      const report = JSON.parse(plan.stdout) as {
        sites: { siteId: string; kind: string; restarted: string[]; hotSwapped: string[]; untouched: string[]; added: string[] }[];
      };
      const bySite = new Map(report.sites.map((site) => [site.siteId, site]));
      expect(bySite.get(ids[0]!)).toMatchObject({ kind: 'changed', restarted: ['cam-01'], hotSwapped: [], untouched: [] });
      expect(bySite.get(ids[1]!)).toMatchObject({ kind: 'changed', restarted: [], hotSwapped: ['cam-01'], untouched: [] });
      expect(bySite.get(ids[2]!)).toMatchObject({ kind: 'unchanged', untouched: ['cam-01'] });
      expect(bySite.get('site-00004')).toMatchObject({ kind: 'new', added: ['cam-01'] });

      const human = await runCli(['fleet', 'plan', '--repo', repo, ...brokerArgs()], { env, timeoutMs: 30_000 });
      expect(human.stdout).toContain(`${ids[0]}: changed from version 2: 1 restarted (cam-01), 0 untouched`);
      expect(human.stdout).toContain('4 sites: 2 changed, 1 new, 0 unknown baseline, 1 unchanged');
      for (const output of [push, status, plan, human]) expect(output.stdout + output.stderr).not.toContain(PASSWORD);
    } finally {
      await sites.stop();
    }
  }, 120_000);

  it('a wrong password is refused as such, exit 1, and appears in no output', async () => {
    const wrong = 'Wrong-Secret-19d2e7';
    const result = await runCli(['fleet', 'status', ...brokerArgs()], { env: { ...process.env, C5_FLEET_PASSWORD: wrong }, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[broker_refused]');
    expect(result.stdout + result.stderr).not.toContain(wrong);
  }, 30_000);
});
