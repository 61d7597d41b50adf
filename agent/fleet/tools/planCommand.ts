import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { diffSiteConfig } from '../../../pipelines/config/diffSiteConfig.js';
import { parseSiteConfig, type SiteConfig } from '../../../pipelines/config/siteConfig.js';
import { AgentError } from '../../../pipelines/errors.js';
import type { CommandIo } from '../../cli/CommandIo.js';
import { EXIT } from '../../cli/exitCodes.js';
import { loadModelLabels } from '../../config/loadModelLabels.js';
import { formatFleetIssue, loadFleetRepo, type RenderedSite } from '../repo/loadFleetRepo.js';
import { connectFleetBroker, type FleetBrokerOptions } from './connectFleetBroker.js';
import { FleetStateCollector, type SiteView } from './FleetStateCollector.js';
import { PushedArchive } from './PushedArchive.js';
import { isUntouched } from './pushReport.js';

export interface PlanOptions extends Omit<FleetBrokerOptions, 'broker'> {
  readonly repo: string;
  readonly broker?: string;
  readonly state?: string;
  readonly json?: boolean;
}

/**
 * unchanged: the site runs exactly this; changed: diffed against what it runs; new: it never
 * reported a config; unknown_baseline: what it runs is not in the pushed/ archive (pushed by
 * hand, or from another machine's state folder), so only "something changes" is known.
 */
export type PlanKind = 'unchanged' | 'changed' | 'new' | 'unknown_baseline';

export interface SitePlan {
  readonly siteId: string;
  readonly kind: PlanKind;
  /** the version the site runs (null: never reported) */
  readonly runningVersion: number | null;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** decoder settings changed: the camera restarts */
  readonly restarted: readonly string[];
  /** only policy settings changed: swapped into the running pipeline */
  readonly hotSwapped: readonly string[];
  readonly untouched: readonly string[];
  /** site settings that take effect only when the agent restarts */
  readonly needsRestart: readonly string[];
}

const CONNECT_TIMEOUT_MS = 10_000;
const SETTLE_QUIET_MS = 1_000;
const SETTLE_MAX_MS = 60_000;

/**
 * `c5-agent fleet plan` (README, "Fleet operations → plan"): for each site, what a push of the
 * repository would do, from the existing config diff (`diffSiteConfig`) between the rendered
 * config and the one the site last reported running (`running.sha256`, looked up in pushed/).
 * Publishes nothing. Exit 0, or 1 when the repository has errors (listed; the valid sites are planned).
 */
export async function planCommand(options: PlanOptions, io: CommandIo): Promise<number> {
  if (options.broker === undefined) throw new AgentError('usage', '--broker is needed: the plan is against what the sites report running');
  const repo = loadFleetRepo(options.repo, { models: await loadModelLabels() });
  const archive = new PushedArchive(options.state ?? join(options.repo, '.c5-fleet'));
  const client = await connectFleetBroker({ ...options, broker: options.broker }, io.env, { clientIdPrefix: 'c5-fleet-plan', timeoutMs: CONNECT_TIMEOUT_MS });
  let collector: FleetStateCollector;
  try {
    collector = new FleetStateCollector(client, { prefix: options.prefix });
    await collector.start();
    await collector.settle(SETTLE_QUIET_MS, SETTLE_MAX_MS);
    collector.stop();
  } finally {
    client.end(false);
  }
  const plans = repo.sites.map((site) => planSite(site, collector.sites.get(site.siteId), archive));
  const counts = { unchanged: 0, changed: 0, new: 0, unknown_baseline: 0 } satisfies Record<PlanKind, number>;
  const cameras = { added: 0, removed: 0, restarted: 0, hotSwapped: 0, untouched: 0 };
  for (const plan of plans) {
    counts[plan.kind] += 1;
    cameras.added += plan.added.length;
    cameras.removed += plan.removed.length;
    cameras.restarted += plan.restarted.length;
    cameras.hotSwapped += plan.hotSwapped.length;
    cameras.untouched += plan.untouched.length;
  }
  if (options.json === true) {
    io.out.write(`${JSON.stringify({ sites: plans, summary: { ...counts, cameras }, issues: repo.issues })}\n`);
  } else {
    for (const issue of repo.issues) io.err.write(`${formatFleetIssue(issue)}\n`);
    for (const plan of plans) if (plan.kind !== 'unchanged') io.out.write(`${planLine(plan)}\n`);
    io.out.write(
      `${plans.length} sites: ${counts.changed} changed, ${counts.new} new, ${counts.unknown_baseline} unknown baseline, ${counts.unchanged} unchanged; ` +
        `cameras: ${cameras.restarted} restarted, ${cameras.hotSwapped} hot-swapped, ${cameras.added} added, ${cameras.removed} removed, ${cameras.untouched} untouched\n`,
    );
  }
  return repo.issues.length === 0 ? EXIT.ok : EXIT.failure;
}

export function planSite(site: RenderedSite, view: SiteView | undefined, archive: PushedArchive): SitePlan {
  const running = view?.configState?.running;
  const enabled = site.config.cameras.filter((camera) => camera.enabled).map((camera) => camera.id);
  const base = { siteId: site.siteId, runningVersion: running?.version ?? null, removed: [], restarted: [], hotSwapped: [], needsRestart: [] };
  if (running === undefined) return { ...base, kind: 'new', added: enabled, untouched: [] };
  if (isUntouched(site, view)) return { ...base, kind: 'unchanged', added: [], untouched: enabled };
  const previous = archivedConfig(archive, running.sha256);
  if (previous === undefined) return { ...base, kind: 'unknown_baseline', added: [], untouched: [] };
  const diff = diffSiteConfig(previous, site.config);
  return {
    ...base,
    kind: 'changed',
    added: diff.added,
    removed: diff.removed,
    restarted: diff.restarted.map((change) => change.id),
    hotSwapped: diff.reconfigured.map((change) => change.id),
    untouched: diff.unchanged,
    needsRestart: diff.needsRestart,
  };
}

/** The archived text's config, its secret references as written (nothing is resolved here). */
function archivedConfig(archive: PushedArchive, sha256: string): SiteConfig | undefined {
  const text = archive.get(sha256);
  if (text === undefined) return undefined;
  let document: unknown;
  try {
    document = parseYaml(text, { logLevel: 'error' });
  } catch {
    // an archive file the tool wrote is YAML; one that is not is no baseline
    return undefined;
  }
  const parsed = parseSiteConfig(document);
  return parsed.ok ? parsed.config : undefined;
}

function planLine(plan: SitePlan): string {
  if (plan.kind === 'new') return `${plan.siteId}: new site (never reported): ${plan.added.length} cameras start`;
  if (plan.kind === 'unknown_baseline')
    return `${plan.siteId}: unknown baseline (runs version ${plan.runningVersion ?? '?'}, not in the pushed/ archive): changes`;
  const parts = [
    ['restarted', plan.restarted],
    ['hot-swapped', plan.hotSwapped],
    ['added', plan.added],
    ['removed', plan.removed],
  ] as const;
  const said = parts.filter(([, ids]) => ids.length > 0).map(([label, ids]) => `${ids.length} ${label} (${ids.join(', ')})`);
  said.push(`${plan.untouched.length} untouched`);
  const restart = plan.needsRestart.length > 0 ? `; needs an agent restart: ${plan.needsRestart.join(', ')}` : '';
  return `${plan.siteId}: changed from version ${plan.runningVersion ?? '?'}: ${said.join(', ')}${restart}`;
}
