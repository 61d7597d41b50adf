import { diffSiteConfig, startedCameras, type SiteConfigDiff } from '../../pipelines/config/diffSiteConfig.js';
import { toError } from '../../pipelines/errors.js';
import type { CameraStatus } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { AuditEntry } from '../observe/auditRecord.js';
import type { AuditAppender } from '../observe/DecisionRecorder.js';
import { redactUrlsInText, type Logger } from '../observe/logger.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { PublishOptions } from '../publish/MqttLink.js';
import { configPushTopic, configStateTopic } from '../publish/topics.js';
import { checkPush, type AcceptedPush, type RejectReason } from './checkPush.js';
import { changesOf, type ConfigState, type PushOrigin } from './configState.js';
import { DropFolder } from './DropFolder.js';
import type { FleetStateStore } from './FleetStateStore.js';
import { sha256Hex } from './parseConfigBytes.js';
import { loadTrustedKeys } from './trustedKeys.js';

/** The running site as the fleet sees it; the Agent implements it. */
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

export interface FleetManagerDeps {
  readonly target: FleetTarget;
  readonly link: FleetLink;
  /** the bootstrap file's state folder (selectStartupConfig) */
  readonly store: FleetStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Pick<AgentMetrics, 'configApplyTotal' | 'setConfigVersion'>;
  /** resolves the pushed config's `env:` references */
  readonly env: NodeJS.ProcessEnv;
  /** every verdict: `config_push_accepted`, then `config_push_applied`, `_rejected` or `_rolled_back` */
  readonly audit: AuditAppender;
}

/** What became of one push; `unchanged`: the running config delivered again (a retained push after a reconnect). */
export type PushOutcome = ConfigState | { readonly status: 'unchanged' | 'ignored' };

interface Incoming {
  readonly bytes: Buffer;
  readonly origin: PushOrigin;
  readonly label: string;
  readonly resolve: (outcome: PushOutcome) => void;
}

const JSON_PROPERTIES = { contentType: 'application/json' };

/**
 * Takes signed config pushes from the broker and the drop folder, one at a time: checks them
 * (checkPush), raises the version high-water mark, applies the difference to the running agent,
 * and keeps the new config only once every camera it started has delivered frames for the
 * probation window; otherwise it returns the agent to the config it ran before. Every push ends
 * in one retained report on `config/state` and one count in `c5_agent_config_apply_total`.
 */
export class FleetManager {
  private readonly deps: FleetManagerDeps;
  private readonly log: Logger;
  private readonly siteId: string;
  private readonly pushTopic: string;
  private readonly stateTopic: string;
  private highWaterMark: number;
  private readonly storedHighWaterMark: number;
  /** a push's own write of the mark waits for this one, so the file can only move up */
  private startupMarkSaved: Promise<void> = Promise.resolve();
  /** the envelope that raised the high-water mark; delivered again (retained), it is not news */
  private lastEnvelopeSha256: string | undefined;
  /** at most one push waits while another is handled; a newer one supersedes it */
  private waiting: Incoming | undefined;
  private busy = false;
  private idle: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private dropFolder: DropFolder | undefined;
  /** cuts the probation in progress short (stop) */
  private endProbation: (() => void) | undefined;
  private stopped = false;

  constructor(deps: FleetManagerDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'fleet' });
    const { config } = deps.target.loaded;
    this.siteId = config.site.id;
    this.pushTopic = configPushTopic(config.mqtt.prefix, config.site.id);
    this.stateTopic = configStateTopic(config.mqtt.prefix, config.site.id);
    const stored = deps.store.readHighWaterMark();
    this.storedHighWaterMark = stored?.version ?? 0;
    this.highWaterMark = Math.max(this.storedHighWaterMark, config.version);
    this.lastEnvelopeSha256 = stored?.envelopeSha256;
  }

  /** The highest config version this site has accepted; a push must be above it. */
  get versionHighWaterMark(): number {
    return this.highWaterMark;
  }

  /** Subscribes to the push topic (QoS 1) and starts watching the drop folder. */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    this.unsubscribe = this.deps.link.subscribe(this.pushTopic, 1, (payload) => {
      // A zero-length retained message is how C5 clears the push topic, not a push.
      if (payload.length > 0) void this.receive(payload, 'mqtt', `mqtt push on ${this.pushTopic}`);
    });
    const dropDir = this.deps.target.loaded.config.fleet?.dropDir;
    if (dropDir) {
      this.dropFolder = new DropFolder({
        dir: dropDir,
        maxBytes: () => this.fleet().maxPushBytes,
        handle: async (bytes, name) => {
          const { status } = await this.receive(bytes, 'drop_folder', `drop folder ${name}`);
          // Cut short by a shutdown: left in place for the next start.
          return status === 'ignored' ? undefined : status;
        },
        clock: this.deps.clock,
        logger: this.log,
      });
      this.dropFolder.start();
    }
    this.log.info({ pushTopic: this.pushTopic, dropDir, highWaterMark: this.highWaterMark }, 'taking signed config pushes');
    if (this.highWaterMark > this.storedHighWaterMark) {
      // A config file newer than every push counts as accepted too: the mark on disk follows it.
      const mark = { version: this.highWaterMark, updatedAt: new Date(this.deps.clock.now()).toISOString() };
      this.startupMarkSaved = this.deps.store.raiseHighWaterMark(mark).catch((error: unknown) => {
        this.log.error({ err: toError(error) }, 'cannot persist the version high-water mark');
      });
    }
  }

  /**
   * Queues one envelope; resolves once it is handled. A push that arrives while another is in
   * probation waits; if yet another arrives meanwhile, the waiting one is rejected as superseded.
   */
  receive(bytes: Buffer, origin: PushOrigin, label: string): Promise<PushOutcome> {
    if (this.stopped) return Promise.resolve({ status: 'ignored' });
    return new Promise((resolve) => {
      const superseded = this.waiting;
      this.waiting = { bytes, origin, label, resolve };
      if (superseded) {
        superseded.resolve(this.reject(superseded, 'superseded', `a newer push arrived while it waited (${label})`));
      }
      this.pump();
    });
  }

  /**
   * Stops taking pushes and waits for the one in hand. A probation cut short keeps neither
   * verdict: the new config is not persisted, so the next start runs the last-known-good.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.waiting?.resolve({ status: 'ignored' });
    this.waiting = undefined;
    this.endProbation?.();
    await this.dropFolder?.stop();
    await this.idle;
  }

  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    this.idle = (async () => {
      try {
        while (this.waiting && !this.stopped) {
          const item = this.waiting;
          this.waiting = undefined;
          item.resolve(await this.handle(item).catch((error: unknown) => this.failed(item, error)));
        }
      } finally {
        // In the same turn as the last look at `waiting`, so no push can slip in between.
        this.busy = false;
      }
    })();
  }

  /** A bug, not a verdict: logged, and the push is neither applied nor reported. */
  private failed(item: Incoming, error: unknown): PushOutcome {
    this.log.error({ err: toError(error), origin: item.origin, push: item.label }, 'config push handling failed');
    return { status: 'ignored' };
  }

  private async handle(item: Incoming): Promise<PushOutcome> {
    const running = this.deps.target.loaded;
    const envelopeSha256 = sha256Hex(item.bytes);
    if (envelopeSha256 === this.lastEnvelopeSha256) {
      this.log.debug({ origin: item.origin }, 'the last envelope accepted, delivered again; ignored');
      return { status: 'unchanged' };
    }
    const fleet = this.fleet();
    const verdict = checkPush(item.bytes, {
      maxBytes: fleet.maxPushBytes,
      trustedKeys: () => loadTrustedKeys(fleet.trustedKeysFile),
      siteId: this.siteId,
      highWaterMark: this.highWaterMark,
      now: this.deps.clock.now(),
      env: this.deps.env,
      source: item.label,
    });
    if (!verdict.ok) {
      if (verdict.reason === 'stale_version' && verdict.sha256 === running.sha256 && verdict.version === running.config.version) {
        this.log.debug({ version: verdict.version }, 'the running config, pushed again; nothing to do');
        return { status: 'unchanged' };
      }
      return this.reject(item, verdict.reason, verdict.message, verdict);
    }
    const version = verdict.loaded.config.version;
    try {
      // Before applying: a version is tried at most once, even if the agent dies mid-apply.
      await this.startupMarkSaved;
      await this.deps.store.raiseHighWaterMark({ version, envelopeSha256, updatedAt: new Date(this.deps.clock.now()).toISOString() });
      this.highWaterMark = version;
      this.lastEnvelopeSha256 = envelopeSha256;
    } catch (error) {
      return this.reject(item, 'state_unwritable', `cannot persist the version high-water mark: ${toError(error).message}`, {
        version,
        sha256: verdict.loaded.sha256,
        keyId: verdict.keyId,
      });
    }
    this.record({
      type: 'config_push_accepted',
      origin: item.origin,
      version,
      sha256: verdict.loaded.sha256,
      keyId: verdict.keyId,
      ...(verdict.expiresAt === undefined ? {} : { expiresAt: verdict.expiresAt }),
      from: { version: running.config.version, sha256: running.sha256 },
    });
    return this.apply(item, running, verdict);
  }

  private async apply(item: Incoming, previous: LoadedSiteConfig, push: AcceptedPush): Promise<PushOutcome> {
    const next = push.loaded;
    const diff = diffSiteConfig(previous.config, next.config);
    const facts = { version: next.config.version, sha256: next.sha256, keyId: push.keyId, origin: item.origin, changes: changesOf(diff) };
    this.log.info({ ...facts, from: previous.config.version, needsRestart: diff.needsRestart }, 'applying pushed config');
    try {
      await this.deps.target.applyConfig(next, diff);
    } catch (error) {
      return this.rollBack(previous, next, facts, 'apply_failed', `applying failed: ${toError(error).message}`);
    }
    this.announceVersion(next.config.version);

    // the window of the config now running, i.e. the one on probation
    const failure = await this.probation(diff, this.fleet().probationSeconds);
    if (failure === 'stopped') return { status: 'ignored' };
    if (failure) return this.rollBack(previous, next, facts, 'probation_failed', failure);

    let persistError: string | undefined;
    try {
      await this.deps.store.saveLastKnownGood(
        { version: next.config.version, sha256: next.sha256, keyId: push.keyId, appliedAt: new Date(this.deps.clock.now()).toISOString() },
        push.payload,
      );
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
    facts: Omit<ConfigState, 'siteId' | 'status' | 'running' | 'time'>,
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

  private reject(item: Incoming, reason: RejectReason, message: string, facts: { version?: number; sha256?: string; keyId?: string } = {}): ConfigState {
    return this.report({
      status: 'rejected',
      version: facts.version ?? null,
      sha256: facts.sha256 ?? null,
      keyId: facts.keyId ?? null,
      origin: item.origin,
      reason,
      error: message,
    });
  }

  /** Publishes the retained state report, counts it, logs it. */
  private report(entry: Omit<ConfigState, 'siteId' | 'running' | 'time'>): ConfigState {
    const running = this.deps.target.loaded;
    const state: ConfigState = {
      siteId: this.siteId,
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
    this.deps.link.publish(this.stateTopic, JSON.stringify(state), { qos: 1, retain: true, properties: JSON_PROPERTIES }).catch((error: unknown) => {
      this.log.warn({ err: toError(error) }, 'config state report not delivered');
    });
    return state;
  }

  /** The audit log refuses records once it is shut down; the push outcome still stands. */
  private record(entry: AuditEntry): void {
    try {
      this.deps.audit.append(entry);
    } catch (error) {
      this.log.warn({ err: toError(error), type: entry.type }, 'config step not recorded in the audit log');
    }
  }

  private announceVersion(version: number): void {
    this.deps.metrics.setConfigVersion(version);
    this.deps.link.setConfigVersion(version);
  }

  /** The running config's fleet settings; a push must keep the section, so it is always there. */
  private fleet(): NonNullable<LoadedSiteConfig['config']['fleet']> {
    const fleet = this.deps.target.loaded.config.fleet;
    if (!fleet) throw new Error('FleetManager needs a config with a fleet section');
    return fleet;
  }
}
