import { sha256Hex } from '../../sha256Hex.js';
import type { RenderedSite } from '../repo/loadFleetRepo.js';
import { siteConfigText } from '../repo/siteConfigText.js';
import type { SiteView } from './FleetStateCollector.js';
import type { RolloutJournalData } from './RolloutJournal.js';

/** What `fleet push` decides from the sites' reports, and what it prints (README, "Fleet operations → push"). */

/** The highest config version any site reports (its last push, what it runs, its status), 0 when none. */
export function highestVersionSeen(views: ReadonlyMap<string, SiteView>): number {
  let highest = 0;
  for (const view of views.values()) {
    highest = Math.max(highest, view.configState?.version ?? 0, view.configState?.running.version ?? 0, view.status?.configVersion ?? 0);
  }
  return highest;
}

/**
 * True when the site runs exactly what the repository renders for it: the text it reports running
 * (version and sha256) is the rendered text at that version, byte for byte. A site that never
 * reported, or runs anything else, gets the push.
 */
export function isUntouched(site: RenderedSite, view: SiteView | undefined): boolean {
  const running = view?.configState?.running;
  if (running === undefined) return false;
  return sha256Hex(siteConfigText(site, running.version)) === running.sha256;
}

/** The `--json` document: the rollout and each wave's verdict. */
export function pushReport(data: RolloutJournalData, ignoredMessages = 0): Record<string, unknown> {
  return {
    rolloutId: data.rolloutId,
    version: data.version,
    sites: data.waves.reduce((sum, wave) => sum + wave.sites.length, 0) + data.untouched.length,
    untouched: data.untouched,
    waves: data.waves.map((wave) => ({
      index: wave.index,
      state: wave.state,
      sites: wave.sites,
      applied: wave.applied,
      failed: wave.failed,
      pendingOffline: wave.pendingOffline,
      ...(wave.seconds === undefined ? {} : { seconds: wave.seconds }),
      ...(wave.publishSeconds === undefined ? {} : { publishSeconds: wave.publishSeconds }),
    })),
    halted: data.halted,
    ignoredMessages,
  };
}

/** At most this many site ids per wave line; the JSON has them all. */
const IDS_SHOWN = 20;

export function sayDryRun(data: RolloutJournalData, say: (line: string) => unknown): void {
  const changed = data.waves.reduce((sum, wave) => sum + wave.sites.length, 0);
  say(`dry run: version ${data.version} to ${changed} sites in ${data.waves.length} waves, ${data.untouched.length} untouched; nothing published`);
  for (const wave of data.waves)
    say(`wave ${wave.index}/${data.waves.length}${wave.index === 1 ? ' (canary)' : ''}: ${wave.sites.length} sites: ${ids(wave.sites)}`);
  if (data.untouched.length > 0) say(`untouched (already run this content): ${ids(data.untouched)}`);
}

function ids(siteIds: readonly string[]): string {
  const shown = siteIds.slice(0, IDS_SHOWN).join(', ');
  return siteIds.length > IDS_SHOWN ? `${shown}, ... (${siteIds.length - IDS_SHOWN} more)` : shown;
}
