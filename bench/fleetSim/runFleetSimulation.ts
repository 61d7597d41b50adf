import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto } from '../../test/helpers/mosquitto.js';
import { BrokerCounters, countsBetween, SYS_INTERVAL_CONFIG, type BrokerCounts } from './BrokerCounters.js';
import { parsePushReport, wavesRun, type PushReport } from './pushReport.js';
import { runFleetCli } from './runFleetCli.js';
import { SEED_VERSION, SimulatedFleet } from './SimulatedFleet.js';

/**
 * One measured rollout (`npm run fleet:sim`): a real Mosquitto, N simulated sites, the real
 * `c5-agent fleet push --json` as a child process over a fleet-wide change, the offline sites
 * reconnecting once the push is done, then the real `c5-agent fleet status --json`. Returns the
 * figures; the caller prints them.
 */

export interface FleetSimulationOptions {
  readonly sites: number;
  readonly camerasPerSite: number;
  /** 0..1 */
  readonly failProbationShare: number;
  /** 0..1 */
  readonly offlineShare: number;
  readonly probationSeconds: number;
  readonly frameDelayMs: number;
  readonly sitesPerConnection: number;
  /** passed to fleet push as given; undefined: its default */
  readonly canary?: string;
  readonly waves?: string;
  readonly waveDeadline?: string;
  readonly maxFailures?: string;
  /** bound on the push child */
  readonly pushTimeoutMs: number;
  /** bound on the offline sites' catch-up after the push */
  readonly catchUpTimeoutMs: number;
  /** the offline sites reconnect this long after the push starts (during its waves); default: once it is done */
  readonly reconnectAfterSeconds?: number;
  readonly say: (text: string) => void;
  /** Mosquitto's own per-client limits (max_queued_messages 1000, max_inflight_messages 20) instead of none */
  readonly brokerDefaults?: boolean;
  /** the push's own progress lines (its stderr), as they come */
  readonly pushProgress?: (text: string) => void;
}

export interface FleetSimulationResult {
  readonly sites: number;
  readonly cameras: number;
  readonly connections: number;
  readonly failing: readonly string[];
  readonly offline: readonly string[];
  readonly setupSeconds: number;
  readonly version: number;
  /** `fleet plan` before the push: its summary line */
  readonly plan: { readonly seconds: number; readonly peakRssMb: number; readonly summary: string };
  readonly push: { readonly code: number | null; readonly seconds: number; readonly peakRssMb: number; readonly stderr: string };
  readonly report: PushReport;
  /** sites whose last config/state is `applied` at the pushed version, once the offline ones caught up */
  readonly converged: number;
  readonly rolledBack: number;
  /** the offline sites pushed to: their reconnect to their last report; undefined with no offline site */
  readonly catchUp: { readonly sites: number; readonly seconds: number; readonly missing: readonly string[] } | undefined;
  /** push start to the last site's report (catch-up included) */
  readonly endToEndSeconds: number;
  /** broker counts from the push's start to the end (gauges: their change) */
  readonly broker: BrokerCounts;
  /** the broker's counts and gauges at the end (retained store) */
  readonly brokerAtEnd: BrokerCounts;
  /** envelopes the push published: one per site of every wave it started */
  readonly pushesPublished: number;
  /** publishes the simulated sites made from the push's start to the end (reports and statuses) */
  readonly simulatorPublished: number;
  readonly simulatorPeakRssMb: number;
  /** the simulated sites' warnings and errors, by message (rollbacks are expected ones) */
  readonly siteLogCounts: Readonly<Record<string, number>>;
  readonly status: { readonly code: number | null; readonly seconds: number; readonly peakRssMb: number; readonly stdout: string; readonly stderr: string };
}

/**
 * Mosquitto as the simulator runs it: counts each second, and no per-client queue limit, because
 * the simulator carries many sites on one connection (`--sites-per-connection`, 500 by default):
 * a wave's pushes to those sites would pass a real box's per-client queue at once. The fleet tools
 * need no such setting (their reads are QoS 0): `--broker-defaults --sites-per-connection 1` runs
 * Mosquitto as installed, one connection per site, as the real fleet does.
 */
export const SIMULATOR_BROKER_CONFIG = [SYS_INTERVAL_CONFIG, 'max_queued_messages 0', 'max_inflight_messages 0'].join('\n');

export async function runFleetSimulation(options: FleetSimulationOptions): Promise<FleetSimulationResult> {
  const { say } = options;
  // State files are written with fsync as on a box; tmpfs keeps 14,000 sites' worth off the disk.
  const workDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'c5-fleet-sim-'));
  const broker = await startMosquitto({ config: options.brokerDefaults === true ? SYS_INTERVAL_CONFIG : SIMULATOR_BROKER_CONFIG });
  let fleet: SimulatedFleet | undefined;
  let counters: BrokerCounters | undefined;
  try {
    say(`broker ${broker.url}; work folder ${workDir}`);
    const setupStarted = Date.now();
    fleet = await SimulatedFleet.create({
      sites: options.sites,
      camerasPerSite: options.camerasPerSite,
      brokerUrl: broker.url,
      prefix: 'c5',
      workDir,
      failProbationShare: options.failProbationShare,
      offlineShare: options.offlineShare,
      probationSeconds: options.probationSeconds,
      frameDelayMs: options.frameDelayMs,
      sitesPerConnection: options.sitesPerConnection,
    });
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    say(
      `${fleet.sites.length} sites up in ${setupSeconds.toFixed(1)} s over ${fleet.connections} connections (${fleet.failing.size} to fail probation, ${fleet.offline.size} offline)`,
    );

    fleet.changeAnalyticsFps(3);
    say('fleet plan');
    const plan = await runFleetCli(['fleet', 'plan', '--repo', fleet.repoDir, '--broker', broker.url], { timeoutMs: 300_000 });
    if (plan.code !== 0) throw new Error(`fleet plan exited with ${plan.code ?? plan.signal}:\n${plan.stderr.slice(-2_000)}`);
    // The counts cover the push and the catch-up only: the plan's reads come before.
    counters = await BrokerCounters.open(broker.url);
    const before = await counters.read();
    const publishedBefore = fleet.published;
    const flag = (name: string, value: string | undefined): string[] => (value === undefined ? [] : [name, value]);
    // No --version: the push takes 1 + the highest version a site reports (the seed's).
    say('fleet push');
    const pushStarted = Date.now();
    let reconnectedAt: number | undefined;
    const reconnect = (): Promise<void> => {
      reconnectedAt = Date.now();
      return fleet!.reconnectOffline();
    };
    // Offline sites that come back while the waves run; by default they return after the push.
    let reconnecting: Promise<void> | undefined;
    const reconnectTimer =
      options.reconnectAfterSeconds === undefined || fleet.offline.size === 0
        ? undefined
        : setTimeout(() => (reconnecting = reconnect()), options.reconnectAfterSeconds * 1000);
    const push = await runFleetCli(
      [
        'fleet',
        'push',
        ...['--repo', fleet.repoDir, '--broker', broker.url, '--key', fleet.keyPath, '--key-id', fleet.keyId, '--trusted', fleet.trustedKeysFile],
        '--json',
        ...flag('--canary', options.canary),
        ...flag('--waves', options.waves),
        ...flag('--wave-deadline', options.waveDeadline),
        ...flag('--max-failures', options.maxFailures),
      ],
      { timeoutMs: options.pushTimeoutMs, onStderr: options.pushProgress },
    );
    if (push.code !== 0 && push.code !== 1) throw new Error(`fleet push exited with ${push.code ?? push.signal}:\n${push.stderr.slice(-2_000)}`);
    const report = parsePushReport(push.stdout);
    const version = report.version;
    if (version !== SEED_VERSION + 1) throw new Error(`fleet push gave version ${version}; the sites run ${SEED_VERSION}, so ${SEED_VERSION + 1} was expected`);
    say(`fleet push exited ${push.code} after ${push.seconds.toFixed(1)} s${report.halted ? ', halted' : ''}`);

    clearTimeout(reconnectTimer);
    let catchUp: FleetSimulationResult['catchUp'];
    if (fleet.offline.size > 0) {
      await (reconnecting ?? reconnect());
      // Only the sites a started wave pushed to have a retained push waiting for them.
      const pushed = new Set(wavesRun(report).flatMap((wave) => wave.sites));
      const returning = new Set([...fleet.offline].filter((site) => pushed.has(site)));
      const missing = await fleet.waitFor(version, 'applied', returning, options.catchUpTimeoutMs);
      catchUp = { sites: returning.size, seconds: (Date.now() - reconnectedAt!) / 1000, missing };
      say(
        `${fleet.offline.size} offline sites reconnected; of the ${returning.size} pushed to, ${returning.size - missing.length} applied ${catchUp.seconds.toFixed(1)} s after reconnecting`,
      );
    }
    const endToEndSeconds = (Date.now() - pushStarted) / 1000;
    const after = await counters.read();
    const converged = fleet.sites.length - fleet.notAt(version, 'applied').length;
    const rolledBack = fleet.sites.length - fleet.notAt(version, 'rolled_back').length;

    say('fleet status --json');
    const status = await runFleetCli(['fleet', 'status', '--repo', fleet.repoDir, '--broker', broker.url, '--json'], { timeoutMs: 120_000 });
    return {
      sites: fleet.sites.length,
      cameras: fleet.sites.length * options.camerasPerSite,
      connections: fleet.connections,
      failing: [...fleet.failing],
      offline: [...fleet.offline],
      setupSeconds,
      version,
      plan: { seconds: plan.seconds, peakRssMb: plan.peakRssMb, summary: plan.stdout.trimEnd().split('\n').at(-1) ?? '' },
      push: { code: push.code, seconds: push.seconds, peakRssMb: push.peakRssMb, stderr: push.stderr },
      report,
      converged,
      rolledBack,
      catchUp,
      endToEndSeconds,
      broker: countsBetween(before, after),
      brokerAtEnd: after,
      pushesPublished: report.waves
        .filter((wave) => wave.applied.length + wave.failed.length + wave.pendingOffline.length > 0)
        .reduce((sum, wave) => sum + wave.sites.length, 0),
      simulatorPublished: fleet.published - publishedBefore,
      simulatorPeakRssMb: process.resourceUsage().maxRSS / 1024,
      siteLogCounts: Object.fromEntries(fleet.logCounts),
      status: { code: status.code, seconds: status.seconds, peakRssMb: status.peakRssMb, stdout: status.stdout, stderr: status.stderr },
    };
  } finally {
    await counters?.close();
    await fleet?.stop();
    await broker.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}
