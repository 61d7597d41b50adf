import type { MqttClient } from 'mqtt';
import { allowedFailures, parseShare } from '../../../pipelines/fleet/rolloutWaves.js';
import { configPushTopic } from '../../mqtt/topics.js';
import type { FleetStateCollector, SiteView } from './FleetStateCollector.js';
import { publishWindowed, type OutgoingMessage } from './publishWindowed.js';
import type { RolloutJournal, RolloutJournalData, WaveFailure, WaveRecord } from './RolloutJournal.js';

/**
 * The waves of a rollout, one after the other (README, "Fleet operations → push"): publish the
 * wave's signed envelopes retained, wait (event-driven, bounded by the wave deadline) until every
 * site of it that is not offline reported `config/state` at the pushed version, judge the wave,
 * journal it, and halt when its failures pass `--max-failures`. Waves the journal marks completed
 * are skipped, so a resumed rollout goes on where the interrupted one stopped.
 */

export interface RolloutDeps {
  readonly client: MqttClient;
  readonly collector: FleetStateCollector;
  readonly journal: RolloutJournal;
  /** the signed envelope (JSON bytes) of a site in this rollout */
  readonly envelopeOf: (siteId: string) => Buffer;
  /** one line of progress for people */
  readonly say: (line: string) => void;
  readonly now?: () => number;
}

export async function runRollout(data: RolloutJournalData, deps: RolloutDeps): Promise<RolloutJournalData> {
  const now = deps.now ?? Date.now;
  const maxFailures = parseShare(data.maxFailures, '--max-failures', { allowZero: true });
  const expirySeconds = data.expiresAt === null ? undefined : Math.max(1, (Date.parse(data.expiresAt) - now()) / 1000);
  const count = data.waves.length;
  for (const wave of data.waves) {
    if (wave.state === 'completed') continue;
    const label = `wave ${wave.index}/${count}${wave.index === 1 ? ' (canary)' : ''}`;
    deps.say(`${label}: ${wave.sites.length} sites, publishing version ${data.version}`);
    const started = now();
    const messages: OutgoingMessage[] = wave.sites.map((siteId) => ({
      key: siteId,
      topic: configPushTopic(data.prefix, siteId),
      payload: deps.envelopeOf(siteId),
    }));
    const publishFailures = await publishWindowed(deps.client, messages, { retain: true, ...(expirySeconds === undefined ? {} : { expirySeconds }) });
    wave.publishSeconds = (now() - started) / 1000;
    wave.state = 'published';
    await deps.journal.save(data);

    const unsettled = await waitForWave(wave, data.version, publishFailures, deps.collector, data.waveDeadlineMs);
    if (unsettled > 0) {
      // A report the broker dropped on the way would read as a time-out: read the retained
      // reports once more before judging.
      await deps.collector.refresh();
      await deps.collector.settle(REFRESH_QUIET_MS, REFRESH_MAX_MS);
    }
    judgeWave(wave, data.version, publishFailures, deps.collector.sites);
    wave.seconds = (now() - started) / 1000;
    const allowed = allowedFailures(maxFailures, wave.sites.length);
    const halted = wave.failed.length > allowed;
    wave.state = halted ? 'halted' : 'completed';
    data.halted = halted;
    await deps.journal.save(data);
    deps.say(
      `${label}: ${wave.sites.length} sites, ${wave.applied.length} applied, ${wave.failed.length} failed, ` +
        `${wave.pendingOffline.length} pending (offline), ${Math.round(wave.seconds)} s`,
    );
    if (halted) {
      deps.say(`halted: ${wave.failed.length} failed in ${label}, more than the ${allowed} allowed (--max-failures ${data.maxFailures}):`);
      for (const failure of wave.failed) deps.say(`  ${failure.siteId}  ${failure.status}  ${failure.reason}`);
      break;
    }
  }
  return data;
}

/** After a re-read: no message for this long means the retained reports are in. */
const REFRESH_QUIET_MS = 500;
const REFRESH_MAX_MS = 30_000;

/** True when the site reported its verdict on this version. */
function reported(view: SiteView | undefined, version: number): boolean {
  return view?.configState?.version === version;
}

/** Offline, or never seen on the broker: the retained push waits for it, and the wave does not. */
function away(view: SiteView | undefined): boolean {
  return view?.status === undefined || view.status.state === 'offline';
}

/**
 * Resolves when every site of the wave reported, failed to publish, or is away; or at the
 * deadline, with the number of online sites still unreported.
 */
function waitForWave(
  wave: WaveRecord,
  version: number,
  publishFailures: ReadonlyMap<string, string>,
  collector: FleetStateCollector,
  deadlineMs: number,
): Promise<number> {
  const waiting = new Set(wave.sites.filter((siteId) => !publishFailures.has(siteId) && !reported(collector.sites.get(siteId), version)));
  const settled = (siteId: string): boolean => {
    const view = collector.sites.get(siteId);
    return reported(view, version) || away(view);
  };
  // `unsettled` counts the waiting sites that are online and unreported; it is recounted only
  // when one of them changes, so each message costs O(1), not a pass over the wave.
  let unsettled = 0;
  for (const siteId of waiting) if (!settled(siteId)) unsettled += 1;
  if (unsettled === 0) return Promise.resolve(0);
  const isUnsettled = new Map<string, boolean>([...waiting].map((siteId) => [siteId, !settled(siteId)]));
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      stopListening();
      resolve(unsettled);
    };
    const timer = setTimeout(finish, deadlineMs);
    const stopListening = collector.onChange((siteId) => {
      const before = isUnsettled.get(siteId);
      if (before === undefined) return;
      const now = !settled(siteId);
      if (now !== before) {
        isUnsettled.set(siteId, now);
        unsettled += now ? 1 : -1;
      }
      if (unsettled === 0) finish();
    });
  });
}

/** Each site of the wave, once: applied, failed (with status and reason), or pending because it is away. */
function judgeWave(wave: WaveRecord, version: number, publishFailures: ReadonlyMap<string, string>, views: ReadonlyMap<string, SiteView>): void {
  const applied: string[] = [];
  const failed: WaveFailure[] = [];
  const pendingOffline: string[] = [];
  for (const siteId of wave.sites) {
    const failure = publishFailures.get(siteId);
    const view = views.get(siteId);
    const state = view?.configState;
    if (failure !== undefined) failed.push({ siteId, status: 'publish_failed', reason: failure });
    else if (state !== undefined && state.version === version) {
      if (state.status === 'applied') applied.push(siteId);
      else failed.push({ siteId, status: state.status, reason: state.reason ?? 'unknown' });
    } else if (away(view)) pendingOffline.push(siteId);
    else failed.push({ siteId, status: 'timeout', reason: 'timeout' });
  }
  wave.applied = applied;
  wave.failed = failed;
  wave.pendingOffline = pendingOffline;
}
