import { diffSiteConfig, startedCameras, type SiteConfigDiff } from '../../pipelines/config/diffSiteConfig.js';
import { toError } from '../../pipelines/errors.js';
import type { CameraStatus } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { AuditEntry } from '../audit/auditRecord.js';
import type { AuditAppender } from '../audit/DecisionRecorder.js';
import { redactUrlsInText, type Logger } from '../observe/logger.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { PublishOptions } from '../mqtt/MqttLink.js';
import { changesOf, type ConfigState, type PushOrigin } from './configState.js';
import type { FleetStateStore, RecordedVerdict } from './FleetStateStore.js';

/** The running site as the fleet sees it; the CameraSupervisor implements it. */
export interface FleetTarget {
  readonly loaded: LoadedSiteConfig;
  applyConfig(next: LoadedSiteConfig, diff: SiteConfigDiff): Promise<void>;
  cameraProgress(cameraId: string): { frames: number; status: CameraStatus | undefined };
}

/** The slice of the MQTT link the fleet uses; MqttLink satisfies it. */
export interface FleetLink {
  subscribe(topic: string, qos: 0 | 1, handler: (payload: Buffer) => void): () => void;
  publish(topic: string, payload: string, options: PublishOptions): Promise<void>;
  setConfigVersion(version: number): void;
}

/** What became of one push; `unchanged`: the running config delivered again (a retained push after a reconnect). */
export type PushOutcome = ConfigState | { readonly status: 'unchanged' | 'ignored' };

/** A report before the running config and the time are filled in. */
export type ConfigReport = Omit<ConfigState, 'siteId' | 'running' | 'time'>;

/** One config that passed its checks and is to replace the running one. */
export interface ConfigChange {
  readonly loaded: LoadedSiteConfig;
  readonly keyId: string | null;
  readonly origin: PushOrigin;
  readonly probationSeconds: number;
  /** persists the config once it passed probation (the last-known-good); absent: nothing to keep */
  readonly keep?: (appliedAt: string) => Promise<void>;
  /**
   * A push's envelope: the apply is journalled (apply-in-progress) so that a crash still ends in
   * a verdict, and the verdict is recorded with the high-water mark. Absent for the local file:
   * after a crash the next start reads the file again, and runs it when its version is above.
   */
  readonly envelopeSha256?: string;
}

/** The verdict once given to an envelope, with the version it carried. */
export type EarlierVerdict = RecordedVerdict & { readonly version: number };

export interface ConfigApplierDeps {
  readonly target: FleetTarget;
  readonly link: Pick<FleetLink, 'publish' | 'setConfigVersion'>;
  readonly siteId: string;
  /** `{prefix}/{site}/config/state`; undefined without a fleet section: verdicts are logged and audited only */
  readonly stateTopic: string | undefined;
  readonly clock: Clock;
  /** already the fleet component's child */
  readonly logger: Logger;
  readonly metrics: Pick<AgentMetrics, 'configApplyTotal' | 'setConfigVersion'>;
  readonly audit: AuditAppender;
  /** the fleet's state folder; undefined without a fleet section (nothing journalled) */
  readonly store: FleetStateStore | undefined;
}

const JSON_PROPERTIES = { contentType: 'application/json' };

/**
 * Applies a checked config to the running agent and keeps it only once every camera it started
 * has delivered frames for the probation window; otherwise it returns the agent to the config it
 * ran before. Every verdict is one retained report on `config/state`, one count in
 * `c5_agent_config_apply_total` and one audit record. The caller runs one change at a time.
 */
export class ConfigApplier {
  private readonly deps: ConfigApplierDeps;
  private readonly log: Logger;
  /** cuts the probation in progress short (stop) */
  private endProbation: (() => void) | undefined;
  private stopped = false;
  /** the latest verdict recorded, before (and whether or not) it reached the disk */
  private lastVerdict: { readonly envelopeSha256: string; readonly verdict: EarlierVerdict } | undefined;

  constructor(deps: ConfigApplierDeps) {
    this.deps = deps;
    this.log = deps.logger;
  }

  /** Ends the probation in progress, and any not begun yet, without a verdict. */
  stop(): void {
    this.stopped = true;
    this.endProbation?.();
  }

  /**
   * Applies `change` over `previous`; resolves with its verdict, or `ignored` when stop() cut it
   * short (then the journal stays, and the next start reports it as interrupted).
   */
  async apply(previous: LoadedSiteConfig, change: ConfigChange): Promise<PushOutcome> {
    const next = change.loaded;
    const diff = diffSiteConfig(previous.config, next.config);
    const facts = { version: next.config.version, sha256: next.sha256, keyId: change.keyId, origin: change.origin, changes: changesOf(diff) };
    try {
      await this.journal(previous, change);
    } catch (error) {
      const { changes: _changes, ...named } = facts;
      return this.report({
        status: 'rejected',
        ...named,
        reason: 'state_unwritable',
        error: `cannot persist the apply in progress: ${toError(error).message}`,
      });
    }
    const outcome = await this.applyAndJudge(previous, change, diff, facts);
    if (outcome.status === 'applied' || outcome.status === 'rolled_back') await this.close(change.envelopeSha256, outcome);
    return outcome;
  }

  /**
   * At a start: a push journalled but never judged was interrupted by a crash or a stop. It did
   * not become the last-known-good (that is written only after probation), so what runs now is
   * the config before it (or a newer file): its verdict is `rolled_back`, reason `interrupted`.
   * The report is made at once; the promise settles once the journal is closed on disk.
   */
  reportInterrupted(): Promise<void> {
    const store = this.deps.store;
    let entry;
    try {
      entry = store?.readApplyInProgress();
    } catch (error) {
      this.log.error({ err: toError(error) }, 'the journal of the apply in progress is unreadable; no verdict for it');
      return Promise.resolve();
    }
    if (!entry) return Promise.resolve();
    const running = this.deps.target.loaded;
    const facts = { version: entry.version, sha256: entry.sha256, keyId: entry.keyId, origin: entry.origin };
    // Kept as last-known-good just before the crash, it runs now: it passed, only the report was lost.
    const state =
      running.sha256 === entry.sha256
        ? this.report({ status: 'applied', ...facts, error: 'the agent stopped after this version passed probation, before its verdict was reported' })
        : this.report({
            status: 'rolled_back',
            ...facts,
            reason: 'interrupted',
            error: `the agent stopped while this version was being applied or on probation (since ${entry.startedAt}); it was not kept, and version ${running.config.version} runs`,
          });
    return this.close(entry.envelopeSha256, state);
  }

  /** The verdict given to this envelope, when it is the one that raised the high-water mark. */
  earlierVerdict(envelopeSha256: string): EarlierVerdict | undefined {
    if (this.lastVerdict?.envelopeSha256 === envelopeSha256) return this.lastVerdict.verdict;
    const mark = this.deps.store?.readHighWaterMark();
    return mark?.envelopeSha256 === envelopeSha256 && mark.verdict ? { ...mark.verdict, version: mark.version } : undefined;
  }

  private async journal(previous: LoadedSiteConfig, change: ConfigChange): Promise<void> {
    if (!this.deps.store || change.envelopeSha256 === undefined) return;
    await this.deps.store.markApplyInProgress({
      version: change.loaded.config.version,
      sha256: change.loaded.sha256,
      envelopeSha256: change.envelopeSha256,
      keyId: change.keyId,
      origin: change.origin,
      from: { version: previous.config.version, sha256: previous.sha256 },
      startedAt: new Date(this.deps.clock.now()).toISOString(),
    });
  }

  /** Records the verdict with the high-water mark, then removes the journal: a crash between them only repeats the record. */
  private async close(envelopeSha256: string | undefined, state: ConfigState): Promise<void> {
    const store = this.deps.store;
    if (!store || envelopeSha256 === undefined || (state.status !== 'applied' && state.status !== 'rolled_back')) return;
    const verdict = { status: state.status, ...(state.reason === undefined ? {} : { reason: state.reason }), time: state.time };
    this.lastVerdict = { envelopeSha256, verdict: { ...verdict, version: state.version ?? 0 } };
    try {
      await store.recordVerdict(envelopeSha256, verdict);
      await store.clearApplyInProgress();
    } catch (error) {
      this.log.error({ err: toError(error) }, 'the verdict is reported but not persisted; the next start may report the push as interrupted');
    }
  }

  private async applyAndJudge(
    previous: LoadedSiteConfig,
    change: ConfigChange,
    diff: SiteConfigDiff,
    facts: Omit<ConfigReport, 'status'>,
  ): Promise<PushOutcome> {
    const next = change.loaded;
    this.log.info({ ...facts, from: previous.config.version, needsRestart: diff.needsRestart }, 'applying pushed config');
    try {
      await this.deps.target.applyConfig(next, diff);
    } catch (error) {
      return this.rollBack(previous, next, facts, 'apply_failed', `applying failed: ${toError(error).message}`);
    }
    this.announceVersion(next.config.version);

    // the window of the config now running, i.e. the one on probation
    const failure = await this.probation(diff, change.probationSeconds);
    if (failure === 'stopped') return { status: 'ignored' };
    if (failure) return this.rollBack(previous, next, facts, 'probation_failed', failure);

    let persistError: string | undefined;
    try {
      await change.keep?.(new Date(this.deps.clock.now()).toISOString());
    } catch (error) {
      // It runs and it works; only a restart would lose it: say so rather than undo it.
      persistError = `applied, but not persisted as last-known-good (${toError(error).message}); a restart returns to the previous config`;
      this.log.error({ err: toError(error) }, 'pushed config not persisted');
    }
    return this.report({
      status: 'applied',
      ...facts,
      ...(persistError === undefined ? {} : { error: persistError }),
      ...(diff.needsRestart.length > 0 ? { needsRestart: diff.needsRestart } : {}),
    });
  }

  /** Publishes the retained state report (with a fleet section), counts it, audits it, logs it. */
  report(entry: ConfigReport): ConfigState {
    const running = this.deps.target.loaded;
    const state: ConfigState = {
      siteId: this.deps.siteId,
      ...entry,
      ...(entry.error === undefined ? {} : { error: redactUrlsInText(entry.error) }),
      running: { version: running.config.version, sha256: running.sha256 },
      time: new Date(this.deps.clock.now()).toISOString(),
    };
    this.deps.metrics.configApplyTotal.inc({ result: state.status });
    // The agent records each switch of the config in effect (`config_applied`); these are the verdicts.
    const { siteId: _site, time: _time, ...fields } = state;
    this.record({ type: `config_push_${state.status}`, ...fields });
    const level = state.status === 'applied' ? 'info' : 'warn';
    this.log[level]({ status: state.status, version: state.version, reason: state.reason, error: state.error, origin: state.origin }, 'config push handled');
    if (this.deps.stateTopic !== undefined) {
      this.deps.link.publish(this.deps.stateTopic, JSON.stringify(state), { qos: 1, retain: true, properties: JSON_PROPERTIES }).catch((error: unknown) => {
        this.log.warn({ err: toError(error) }, 'config state report not delivered');
      });
    }
    return state;
  }

  /** The audit log refuses records once it is shut down; the push outcome still stands. */
  record(entry: AuditEntry): void {
    try {
      this.deps.audit.append(entry);
    } catch (error) {
      this.log.warn({ err: toError(error), type: entry.type }, 'config step not recorded in the audit log');
    }
  }

  /**
   * Waits the probation window, then asks each camera the push (re)started whether it delivered
   * frames and is online. Resolves with the failure text, undefined when all is well, or
   * `stopped`. Nothing to judge (only policy swaps): no wait.
   */
  private probation(diff: SiteConfigDiff, seconds: number): Promise<string | undefined | 'stopped'> {
    const judged = startedCameras(diff);
    if (judged.length === 0) return Promise.resolve(undefined);
    // stop() came while the push was being applied: it ends probations, including one not begun.
    if (this.stopped) return Promise.resolve('stopped');
    this.log.info({ cameras: judged, seconds }, 'probation started');
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimeout(() => {
        this.endProbation = undefined;
        resolve(this.judge(judged, seconds));
      }, seconds * 1000);
      this.endProbation = () => {
        timer.cancel();
        this.endProbation = undefined;
        resolve('stopped');
      };
    });
  }

  private judge(cameras: readonly string[], seconds: number): string | undefined {
    const failures: string[] = [];
    for (const id of cameras) {
      const { frames, status } = this.deps.target.cameraProgress(id);
      if (frames > 0 && status?.state === 'online') continue;
      const why = status && status.state !== 'online' ? ` (${status.state}: ${status.reason ?? 'no reason'}${status.detail ? `, ${status.detail}` : ''})` : '';
      failures.push(frames === 0 ? `camera "${id}" delivered no frame within ${seconds} s${why}` : `camera "${id}" stopped delivering frames${why}`);
    }
    return failures.length > 0 ? failures.join('; ') : undefined;
  }

  private async rollBack(
    previous: LoadedSiteConfig,
    failed: LoadedSiteConfig,
    facts: Omit<ConfigReport, 'status'>,
    reason: 'apply_failed' | 'probation_failed',
    message: string,
  ): Promise<PushOutcome> {
    this.log.warn({ version: failed.config.version, reason, error: redactUrlsInText(message) }, 'rolling back to the last-known-good config');
    let error = message;
    try {
      await this.deps.target.applyConfig(previous, diffSiteConfig(failed.config, previous.config));
    } catch (rollbackError) {
      error += `; rolling back failed too: ${toError(rollbackError).message}`;
      this.log.error({ err: toError(rollbackError) }, 'rollback failed');
    }
    this.announceVersion(this.deps.target.loaded.config.version);
    return this.report({ status: 'rolled_back', ...facts, reason, error });
  }

  private announceVersion(version: number): void {
    this.deps.metrics.setConfigVersion(version);
    this.deps.link.setConfigVersion(version);
  }
}
