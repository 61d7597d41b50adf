import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePushReport, type PushReport } from '../../../bench/fleetSim/pushReport.js';
import { runFleetCli, type FleetCliResult } from '../../../bench/fleetSim/runFleetCli.js';
import { runFleetSimulation, SIMULATOR_BROKER_CONFIG } from '../../../bench/fleetSim/runFleetSimulation.js';
import { SimulatedFleet, type SimulatedFleetOptions } from '../../../bench/fleetSim/SimulatedFleet.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { readRetained } from '../../helpers/retainedMessage.js';

/**
 * The fleet at scale: simulated sites (the agent's real config intake: signature, checks,
 * high-water mark, apply, probation on the real clock, rollback, retained config/state) on a real
 * Mosquitto, taking the real `c5-agent fleet push` as an operator runs it. Expected sets come from
 * the injection (which sites fail, which are offline) and the push's own wave lists, never from
 * the simulator's view of the outcome alone.
 */

const ids = (count: number): string[] => Array.from({ length: count }, (_, i) => `site-${String(i + 1).padStart(5, '0')}`);
const sorted = (values: Iterable<string>): string[] => [...values].sort();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function brokerAndFleet(options: Partial<SimulatedFleetOptions> & { sites: number }): Promise<{ broker: MosquittoBroker; fleet: SimulatedFleet }> {
  const workDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'c5-fleet-sim-test-'));
  cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));
  const broker = await startMosquitto({ config: SIMULATOR_BROKER_CONFIG });
  cleanups.push(() => broker.stop());
  const fleet = await SimulatedFleet.create({
    camerasPerSite: 2,
    brokerUrl: broker.url,
    prefix: 'c5',
    workDir,
    failProbationShare: 0,
    offlineShare: 0,
    probationSeconds: 1,
    frameDelayMs: 100,
    sitesPerConnection: 500,
    ...options,
  });
  cleanups.push(() => fleet.stop());
  return { broker, fleet };
}

async function push(fleet: SimulatedFleet, broker: MosquittoBroker, flags: readonly string[]): Promise<{ result: FleetCliResult; report: PushReport }> {
  const result = await runFleetCli(
    [
      'fleet',
      'push',
      '--repo',
      fleet.repoDir,
      '--broker',
      broker.url,
      '--key',
      fleet.keyPath,
      '--key-id',
      fleet.keyId,
      '--trusted',
      fleet.trustedKeysFile,
      '--json',
      ...flags,
    ],
    { timeoutMs: 100_000 },
  );
  if (result.code !== 0 && result.code !== 1) throw new Error(`fleet push exited ${result.code ?? result.signal}: ${result.stderr.slice(-2_000)}`);
  return { result, report: parsePushReport(result.stdout) };
}

function status(fleet: SimulatedFleet, broker: MosquittoBroker): Promise<FleetCliResult> {
  return runFleetCli(['fleet', 'status', '--repo', fleet.repoDir, '--broker', broker.url, '--json'], { timeoutMs: 60_000 });
}

describe('fleet simulator', () => {
  it('2,000 sites converge through a canary and three waves, and fleet status says so', async () => {
    const result = await runFleetSimulation({
      sites: 2_000,
      camerasPerSite: 2,
      failProbationShare: 0,
      offlineShare: 0,
      probationSeconds: 1,
      frameDelayMs: 100,
      sitesPerConnection: 500,
      canary: '1%',
      waves: '10%,50%,100%',
      waveDeadline: '60s',
      pushTimeoutMs: 100_000,
      catchUpTimeoutMs: 30_000,
      say: () => undefined,
    });
    expect(result.push.code).toBe(0);
    expect(result.report.halted).toBe(false);
    // 1 % of 2,000, then 10 %, 50 %, 100 % of the fleet done after each wave: 20, 180, 800, 1,000 sites.
    expect(result.report.waves.map((wave) => wave.sites.length)).toEqual([20, 180, 800, 1_000]);
    expect(sorted(result.report.waves.flatMap((wave) => wave.sites))).toEqual(ids(2_000));
    for (const wave of result.report.waves) {
      expect(sorted(wave.applied)).toEqual(sorted(wave.sites));
      expect(wave.failed).toEqual([]);
    }
    // Each site's own retained report, as it published it: applied at the pushed version.
    expect(result.converged).toBe(2_000);
    expect(result.status.code).toBe(0);
    // Every push went through the broker to its site, and every site answered through it (2 packets in per site at least).
    expect(result.broker.publishSent).toBeGreaterThanOrEqual(2_000);
    expect(result.broker.packetsReceived).toBeGreaterThanOrEqual(2 * 2_000);
  }, 120_000);

  it('5 % of sites failing probation: the rollout halts after the canary and names exactly the failing canary sites', async () => {
    const { broker, fleet } = await brokerAndFleet({ sites: 2_000, failProbationShare: 0.05 });
    fleet.changeAnalyticsFps(3);
    // A canary of 200: with 5 % failing it holds some of them (all but certainly: 0.95^200 < 4e-5).
    const { result, report } = await push(fleet, broker, ['--canary', '10%', '--waves', '50%,100%', '--wave-deadline', '60s']);
    expect(result.code).toBe(1);
    expect(report.halted).toBe(true);
    const canary = report.waves[0]!;
    expect(canary.sites).toHaveLength(200);
    const expectedFailing = sorted(canary.sites.filter((site) => fleet.failing.has(site)));
    expect(expectedFailing.length).toBeGreaterThan(0);
    expect(sorted(canary.failed.map((failure) => failure.siteId))).toEqual(expectedFailing);
    for (const failure of canary.failed) expect(failure).toMatchObject({ status: 'rolled_back', reason: 'probation_failed' });
    expect(sorted(canary.applied)).toEqual(sorted(canary.sites.filter((site) => !fleet.failing.has(site))));
    for (const site of expectedFailing) expect(result.stdout + result.stderr).toContain(site);
    // No site outside the canary got the push: the broker holds a retained push for the canary only.
    const pushes = await readRetained(broker.url, 'c5/+/config/push', 2_000);
    expect(sorted(pushes.filter((message) => message.raw.length > 0).map((message) => message.topic.split('/')[1]!))).toEqual(sorted(canary.sites));
    for (const wave of report.waves.slice(1)) expect(wave.applied).toEqual([]);
  }, 120_000);

  it('sites offline during the push are pending, and apply it when they come back', async () => {
    const { broker, fleet } = await brokerAndFleet({ sites: 400, offlineShare: 0.1 });
    expect(fleet.offline.size).toBeGreaterThan(10);
    fleet.changeAnalyticsFps(3);
    const { result, report } = await push(fleet, broker, ['--canary', '5%', '--waves', '100%', '--wave-deadline', '30s']);
    expect(result.code).toBe(0);
    expect(sorted(report.waves.flatMap((wave) => wave.pendingOffline))).toEqual(sorted(fleet.offline));
    expect(sorted(report.waves.flatMap((wave) => wave.applied))).toEqual(sorted(ids(400).filter((site) => !fleet.offline.has(site))));
    // Not converged while they are away...
    expect((await status(fleet, broker)).code).not.toBe(0);

    await fleet.reconnectOffline();
    expect(await fleet.waitFor(2, 'applied', fleet.offline, 30_000)).toEqual([]);
    // ...converged once they caught up from the retained push.
    const after = await status(fleet, broker);
    expect(after.code, after.stderr.slice(-500)).toBe(0);
    const states = await readRetained(broker.url, 'c5/+/config/state', 2_000);
    const applied = states.filter(
      (message) => (message.payload as { status?: string; version?: number }).status === 'applied' && (message.payload as { version?: number }).version === 2,
    );
    expect(applied).toHaveLength(400);
  }, 120_000);
});
