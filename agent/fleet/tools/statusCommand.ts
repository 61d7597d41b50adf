import { AgentError } from '../../../pipelines/errors.js';
import type { CommandIo } from '../../cli/CommandIo.js';
import { EXIT } from '../../cli/exitCodes.js';
import { loadFleetRepo } from '../repo/loadFleetRepo.js';
import { connectFleetBroker, type FleetBrokerOptions } from './connectFleetBroker.js';
import { FleetStateCollector, type SiteView } from './FleetStateCollector.js';

export interface StatusOptions extends Omit<FleetBrokerOptions, 'broker'> {
  readonly broker?: string;
  /** the sites to judge are the repository's; without it, every site seen on the broker */
  readonly repo?: string;
  readonly json?: boolean;
  /** seconds without a new retained message before the picture counts as complete (default 3) */
  readonly settle?: number;
  /** every site in the table, not only those not converged */
  readonly all?: boolean;
}

/** Where a site stands, worst first in the summary line. */
export const SITE_STANDINGS = ['converged', 'pending', 'rejected', 'rolled_back', 'offline', 'never_seen'] as const;
export type SiteStanding = (typeof SITE_STANDINGS)[number];

export interface SiteStatusRow {
  readonly siteId: string;
  readonly standing: SiteStanding;
  /** the version of the retained push waiting on config/push; null when none is retained */
  readonly desiredVersion: number | null;
  /** the version the site runs, from its last config/state */
  readonly appliedVersion: number | null;
  /** the verdict of the last push it handled: applied, rejected, rolled_back; null: never reported */
  readonly state: string | null;
  readonly reason: string | null;
  /** online, degraded, offline; null: no retained status */
  readonly site: string | null;
  readonly camerasOnline: number;
  readonly camerasTotal: number;
  /** ISO 8601 UTC of the last message about it this run saw; null: none */
  readonly lastSeen: string | null;
}

const DEFAULT_SETTLE_SECONDS = 3;
/** However busy the broker, the picture is taken after this long. */
const MAX_COLLECT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `c5-agent fleet status` (README, "Fleet operations → status"): collects every site's retained
 * config/state, status, camera statuses and pending push by wildcard subscriptions, and prints
 * the sites that have not converged (or all, `--all`), a summary line, or everything as JSON.
 * Exit 0 when every site runs the version the centre last pushed to it, else 1.
 */
export async function statusCommand(options: StatusOptions, io: CommandIo): Promise<number> {
  if (options.broker === undefined) throw new AgentError('usage', "--broker is needed: the sites' reports are read from it");
  const settleMs = (options.settle ?? DEFAULT_SETTLE_SECONDS) * 1000;
  const repoIds = options.repo === undefined ? undefined : repoSiteIds(options.repo);
  const client = await connectFleetBroker({ ...options, broker: options.broker }, io.env, { clientIdPrefix: 'c5-fleet-status', timeoutMs: CONNECT_TIMEOUT_MS });
  let collector: FleetStateCollector;
  try {
    collector = new FleetStateCollector(client, { prefix: options.prefix, cameras: true, pushes: true });
    await collector.start();
    await collector.settle(settleMs, Math.max(MAX_COLLECT_MS, settleMs));
    collector.stop();
  } finally {
    client.end(false);
  }
  const ids = repoIds ?? [...collector.sites.keys()].sort();
  const rows = ids.map((siteId) => statusRow(siteId, collector.sites.get(siteId)));
  const counts = Object.fromEntries(SITE_STANDINGS.map((standing) => [standing, 0])) as Record<SiteStanding, number>;
  for (const row of rows) counts[row.standing] += 1;
  const converged = rows.every((row) => row.standing === 'converged');
  const summary = summaryLine(rows.length, counts);
  if (options.json === true) {
    io.out.write(`${JSON.stringify({ converged, summary: counts, sites: rows, ignoredMessages: collector.ignored })}\n`);
  } else {
    const shown = options.all === true ? rows : rows.filter((row) => row.standing !== 'converged');
    if (shown.length > 0) io.out.write(formatTable(shown));
    io.out.write(`${summary}\n`);
    if (collector.ignored > 0) io.out.write(`${collector.ignored} messages on the sites' topics were not valid reports and were ignored\n`);
  }
  return converged ? EXIT.ok : EXIT.failure;
}

function repoSiteIds(dir: string): string[] {
  const repo = loadFleetRepo(dir);
  const ids = new Set(repo.sites.map((site) => site.siteId));
  // a site whose file does not validate is still a site of the fleet: its state is reported too
  for (const issue of repo.issues) if (issue.siteId !== undefined) ids.add(issue.siteId);
  return [...ids].sort();
}

export function statusRow(siteId: string, view: SiteView | undefined): SiteStatusRow {
  const state = view?.configState;
  const applied = state?.running.version ?? null;
  const desired = view?.desiredVersion ?? null;
  const siteState = view?.status?.state ?? null;
  const cameras = [...(view?.cameras?.values() ?? [])];
  return {
    siteId,
    standing: standingOf(view),
    desiredVersion: desired,
    appliedVersion: applied,
    state: state?.status ?? null,
    reason: state?.reason ?? null,
    site: siteState,
    camerasOnline: cameras.filter((camera) => camera === 'online').length,
    camerasTotal: cameras.length,
    lastSeen: view?.lastSeen === undefined ? null : new Date(view.lastSeen).toISOString(),
  };
}

/**
 * Converged: it runs the version of the push retained for it, or none is retained (nothing is
 * asked of it). Otherwise the reason it has not: its verdict on that version, offline,
 * never seen, or still pending.
 */
function standingOf(view: SiteView | undefined): SiteStanding {
  if (view === undefined || (view.status === undefined && view.configState === undefined)) return 'never_seen';
  const state = view.configState;
  const desired = view.desiredVersion;
  const runs = state?.running.version;
  // no push retained for it: nothing is asked of it, it runs what it has
  if (desired === undefined || runs === desired) return 'converged';
  if (view.status === undefined || view.status.state === 'offline') return 'offline';
  if (state !== undefined && state.version === desired && state.status !== 'applied') return state.status;
  return 'pending';
}

function summaryLine(total: number, counts: Record<SiteStanding, number>): string {
  const parts = SITE_STANDINGS.filter((standing) => standing === 'converged' || counts[standing] > 0).map(
    (standing) => `${counts[standing]} ${standing.replace('_', ' ')}`,
  );
  return `${total} sites: ${parts.join(', ')}`;
}

const HEADER = ['SITE', 'STANDING', 'DESIRED', 'APPLIED', 'STATE', 'REASON', 'SITE STATUS', 'CAMERAS', 'LAST SEEN'];

function formatTable(rows: readonly SiteStatusRow[]): string {
  const cells = rows.map((row) => [
    row.siteId,
    row.standing,
    row.desiredVersion === null ? '-' : String(row.desiredVersion),
    row.appliedVersion === null ? '-' : String(row.appliedVersion),
    row.state ?? '-',
    row.reason ?? '-',
    row.site ?? '-',
    `${row.camerasOnline}/${row.camerasTotal}`,
    row.lastSeen ?? '-',
  ]);
  const widths = HEADER.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((value, i) => value.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[HEADER, ...cells].map(line).join('\n')}\n`;
}
