import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import type { AuditEntry } from '../../agent/audit/auditRecord.js';
import type { AuditAppender } from '../../agent/audit/DecisionRecorder.js';
import { systemClock } from '../../agent/clock.js';
import { generateKeys } from '../../agent/fleet/fleetCommands.js';
import { parseConfigBytes } from '../../agent/fleet/parseConfigBytes.js';
import { formatFleetIssue, loadFleetRepo } from '../../agent/fleet/repo/loadFleetRepo.js';
import { siteConfigText } from '../../agent/fleet/repo/siteConfigText.js';
import { createRootLogger } from '../../agent/observe/logger.js';
import { sha256Hex } from '../../agent/sha256Hex.js';
import { SimulatedSite, type FleetSimMetrics } from './SimulatedSite.js';
import { SiteConnectionPool } from './SiteConnectionPool.js';
import { simulatedSiteIds, writeFleetYaml, writeSimulatedRepo } from './writeSimulatedRepo.js';

/**
 * N simulated sites in one process (bench/fleetSim/SimulatedSite.ts) over a few shared MQTT
 * connections, with the fleet repository they were rendered from, the signing key their
 * trusted-keys file names, and each site's running config (version 1) seeded as if an earlier
 * `fleet push` had delivered it: its text in the tool's pushed/ archive, its retained
 * `config/state` on the broker. Failure injection: a share of sites whose cameras fail probation
 * under any pushed config, and a share that is offline (Last Will retained) until reconnect().
 */

export interface SimulatedFleetOptions {
  readonly sites: number;
  readonly camerasPerSite: number;
  readonly brokerUrl: string;
  readonly prefix: string;
  /** a fresh folder: the repository, the keys and every site's state go under it */
  readonly workDir: string;
  /** 0..1 of the sites, chosen by hash of the site id */
  readonly failProbationShare: number;
  /** 0..1 of the sites, disjoint from the failing ones */
  readonly offlineShare: number;
  readonly probationSeconds: number;
  /** how long a (re)started simulated camera takes to deliver its first frame */
  readonly frameDelayMs: number;
  readonly sitesPerConnection: number;
  /** writes more site files into the repository before it is loaded (a real agent's site) */
  readonly addSites?: (repoDir: string, context: { trustedKeysFile: string }) => void;
}

/** The version every simulated site runs at the start, as if pushed before. */
export const SEED_VERSION = 1;

export class SimulatedFleet {
  readonly repoDir: string;
  readonly keyPath: string;
  readonly keyId: string;
  readonly trustedKeysFile: string;
  readonly sites: readonly SimulatedSite[];
  /** sites whose cameras fail probation under a pushed config */
  readonly failing: ReadonlySet<string>;
  /** sites offline until reconnect() */
  readonly offline: ReadonlySet<string>;
  /** audit records of every site, by type */
  readonly auditCounts: ReadonlyMap<string, number>;
  /** the sites' log lines at warn and above, by message */
  readonly logCounts: ReadonlyMap<string, number>;
  readonly metricsRegistry: Registry;
  private readonly options: SimulatedFleetOptions;
  private readonly pool: SiteConnectionPool;

  private constructor(init: {
    options: SimulatedFleetOptions;
    keyPath: string;
    keyId: string;
    trustedKeysFile: string;
    sites: SimulatedSite[];
    failing: Set<string>;
    offline: Set<string>;
    auditCounts: Map<string, number>;
    logCounts: Map<string, number>;
    registry: Registry;
    pool: SiteConnectionPool;
  }) {
    this.options = init.options;
    this.repoDir = join(init.options.workDir, 'repo');
    this.keyPath = init.keyPath;
    this.keyId = init.keyId;
    this.trustedKeysFile = init.trustedKeysFile;
    this.sites = init.sites;
    this.failing = init.failing;
    this.offline = init.offline;
    this.auditCounts = init.auditCounts;
    this.logCounts = init.logCounts;
    this.metricsRegistry = init.registry;
    this.pool = init.pool;
  }

  static async create(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
    const repoDir = join(options.workDir, 'repo');
    const key = await generateKeys({ out: join(options.workDir, 'keys'), keyId: 'fleet-sim-1' });
    const siteIds = simulatedSiteIds(options.sites);
    const repoOptions = {
      dir: repoDir,
      siteIds,
      camerasPerSite: options.camerasPerSite,
      brokerUrl: options.brokerUrl,
      prefix: options.prefix,
      trustedKeysFile: key.trustedKeysPath,
      probationSeconds: options.probationSeconds,
    };
    writeSimulatedRepo(repoOptions);
    options.addSites?.(repoDir, { trustedKeysFile: key.trustedKeysPath });
    const repo = loadFleetRepo(repoDir);
    if (repo.issues.length > 0)
      throw new Error(`the simulated fleet repository does not validate:\n${repo.issues.slice(0, 10).map(formatFleetIssue).join('\n')}`);

    const failing = new Set(siteIds.filter((id) => hashShare(id, 'fail') < options.failProbationShare));
    const offline = new Set(siteIds.filter((id) => !failing.has(id) && hashShare(id, 'offline') < options.offlineShare));
    const registry = new Registry();
    const metrics: FleetSimMetrics = {
      configApplyTotal: new Counter({
        name: 'c5_sim_config_apply_total',
        help: 'verdicts of every simulated site',
        labelNames: ['result'],
        registers: [registry],
      }),
      configPushUnverifiedTotal: new Counter({
        name: 'c5_sim_config_push_unverified_total',
        help: 'unverified pushes',
        labelNames: ['reason'],
        registers: [registry],
      }),
      setConfigVersion: () => undefined,
    };
    const auditCounts = new Map<string, number>();
    const audit: AuditAppender = {
      append: (entry: AuditEntry) => {
        auditCounts.set(entry.type, (auditCounts.get(entry.type) ?? 0) + 1);
        return undefined;
      },
    };
    // 14,000 sites' lines would drown the figures: each warning or error is counted by its message instead.
    const logCounts = new Map<string, number>();
    const logger = createRootLogger({
      level: 'warn',
      format: 'json',
      destination: {
        write: (line: string) => {
          const msg = (JSON.parse(line) as { msg?: string }).msg ?? '(no message)';
          logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1);
        },
      },
    });
    const pool = await SiteConnectionPool.open({
      url: options.brokerUrl,
      connections: Math.max(1, Math.ceil(options.sites / options.sitesPerConnection)),
      clientIdPrefix: 'c5-fleet-sim',
      timeoutMs: 10_000,
    });

    // Version 1 as an earlier push left it: the text it signed is in the tool's archive, so a plan can diff against it.
    const pushedDir = join(repoDir, '.c5-fleet', 'pushed');
    mkdirSync(pushedDir, { recursive: true });
    const stateRoot = join(options.workDir, 'site-state');
    const simulated = new Set(siteIds);
    const sites = repo.sites
      .filter((site) => simulated.has(site.siteId))
      .map((site) => {
        const text = siteConfigText(site, SEED_VERSION);
        const sha256 = sha256Hex(text);
        writeFileSync(join(pushedDir, `${sha256}.yaml`), text);
        return new SimulatedSite({
          seed: parseConfigBytes(Buffer.from(text), `${site.file} (seed)`, {}, sha256),
          connection: pool.take(),
          stateDir: join(stateRoot, site.siteId),
          failProbation: failing.has(site.siteId),
          frameDelayMs: options.frameDelayMs,
          metrics,
          audit,
          clock: systemClock,
          logger,
          softwareVersion: 'fleet-sim',
        });
      });
    const fleet = new SimulatedFleet({
      options,
      keyPath: key.privateKeyPath,
      keyId: key.keyId,
      trustedKeysFile: key.trustedKeysPath,
      sites,
      failing,
      offline,
      auditCounts,
      logCounts,
      registry,
      pool,
    });
    await inBatches(sites, async (site) => {
      await site.seedState(key.keyId);
      await (offline.has(site.siteId) ? site.announceOffline() : site.connect());
    });
    return fleet;
  }

  /** The fleet-wide change a push then rolls out: every camera analyses `analyticsFps` frames a second (restart, probation). */
  changeAnalyticsFps(analyticsFps: number): void {
    writeFleetYaml(
      {
        dir: this.repoDir,
        brokerUrl: this.options.brokerUrl,
        prefix: this.options.prefix,
        trustedKeysFile: this.trustedKeysFile,
        probationSeconds: this.options.probationSeconds,
      },
      analyticsFps,
    );
  }

  /** The offline sites come back: each subscribes and gets the retained push, if one waits. */
  async reconnectOffline(): Promise<void> {
    await inBatches(
      this.sites.filter((site) => this.offline.has(site.siteId)),
      (site) => site.connect(),
    );
  }

  /** Sites whose last report is not `status` at `version` (all sites, or those given). */
  notAt(version: number, status: 'applied' | 'rolled_back', siteIds?: ReadonlySet<string>): string[] {
    return this.sites
      .filter((site) => siteIds === undefined || siteIds.has(site.siteId))
      .filter((site) => site.lastState?.version !== version || site.lastState.status !== status)
      .map((site) => site.siteId);
  }

  /** Polls until notAt() is empty or timeoutMs passed; resolves with the sites still missing. */
  async waitFor(version: number, status: 'applied' | 'rolled_back', siteIds: ReadonlySet<string> | undefined, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let missing = this.notAt(version, status, siteIds);
    while (missing.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      missing = this.notAt(version, status, siteIds);
    }
    return missing;
  }

  /** Publishes the sites handed to the broker so far. */
  get published(): number {
    return this.pool.published;
  }

  get connections(): number {
    return this.pool.size;
  }

  async stop(): Promise<void> {
    await inBatches(this.sites, (site) => site.stop());
    await this.pool.close();
  }
}

/** 0..1 from the site id and a salt: the same sites each run, independent of the rollout's order. */
export function hashShare(siteId: string, salt: string): number {
  return createHash('sha256').update(`${salt}:${siteId}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Runs `each` over the items, 500 at a time, so 14,000 sites never open 14,000 state files at once. */
async function inBatches<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 500) await Promise.all(items.slice(i, i + 500).map(each));
}
