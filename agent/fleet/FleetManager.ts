import { toError } from '../../pipelines/errors.js';
import type { Clock } from '../clock.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { AuditAppender } from '../audit/DecisionRecorder.js';
import type { Logger } from '../observe/logger.js';
import type { AgentMetrics } from '../observe/metrics.js';
import { configPushTopic, configStateTopic } from '../mqtt/topics.js';
import { checkVerifiedPush, verifyPush, type ContentChecks, type RejectReason, type UnverifiedRejection, type VerifiedEnvelope } from './checkPush.js';
import { ConfigApplier, type FleetLink, type FleetTarget, type PushOutcome } from './ConfigApplier.js';
import type { ConfigState, PushOrigin } from './configState.js';
import { DropFolder } from './DropFolder.js';
import type { FleetStateStore } from './FleetStateStore.js';
import { sha256Hex } from '../sha256Hex.js';
import { loadTrustedKeys } from './trustedKeys.js';
import { UnverifiedPushLimiter } from './UnverifiedPushLimiter.js';

export type { FleetLink, FleetTarget, PushOutcome } from './ConfigApplier.js';

export interface FleetManagerDeps {
  readonly target: FleetTarget;
  readonly link: FleetLink;
  /** the bootstrap file's state folder (selectStartupConfig) */
  readonly store: FleetStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Pick<AgentMetrics, 'configApplyTotal' | 'configPushUnverifiedTotal' | 'setConfigVersion'>;
  /** resolves the pushed config's `env:` references */
  readonly env: NodeJS.ProcessEnv;
  /** each registry model's labels: a push naming a label its model lacks is rejected; absent: not checked */
  readonly modelLabels?: ContentChecks['modelLabels'];
  /** every verdict: `config_push_accepted`, then `config_push_applied`, `_rejected` or `_rolled_back`; `config_push_unverified` sums */
  readonly audit: AuditAppender;
}

interface Incoming {
  readonly bytes: Buffer;
  readonly origin: PushOrigin;
  readonly label: string;
  readonly resolve: (outcome: PushOutcome) => void;
  /** a change that is not an envelope (the local file on SIGHUP): run in its turn instead of handle() */
  readonly run?: () => Promise<PushOutcome>;
  /** its signature held on arrival; absent for the accepted envelope delivered again, checked in its turn */
  readonly verified?: VerifiedEnvelope;
  readonly envelopeSha256?: string;
}

/**
 * Takes signed config pushes from the broker and the drop folder, one at a time: verifies each on
 * arrival (verifyPush), checks its config in turn (checkVerifiedPush), raises the version
 * high-water mark and hands each accepted config to the ConfigApplier (apply, probation,
 * rollback). Every signed push ends in one retained report on `config/state` and one count in
 * `c5_agent_config_apply_total`; a push refused before its signature held is only counted and
 * summed (UnverifiedPushLimiter), since anyone can send one.
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
  private readonly applier: ConfigApplier;
  /** pushes refused before a signature held: counted, summed, never reported on config/state */
  private readonly unverified: UnverifiedPushLimiter;
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
    this.applier = new ConfigApplier({
      target: deps.target,
      link: deps.link,
      siteId: this.siteId,
      stateTopic: this.stateTopic,
      clock: deps.clock,
      logger: this.log,
      metrics: deps.metrics,
      audit: deps.audit,
      store: deps.store,
    });
    this.unverified = new UnverifiedPushLimiter({
      clock: deps.clock,
      log: this.log,
      counter: deps.metrics.configPushUnverifiedTotal,
      record: (entry) => this.applier.record(entry),
    });
  }

  /** The apply side, shared with the local file's reload so that both judge and report alike. */
  get configApplier(): ConfigApplier {
    return this.applier;
  }

  /** The highest config version this site has accepted; a push must be above it. */
  get versionHighWaterMark(): number {
    return this.highWaterMark;
  }

  /** Subscribes to the push topic (QoS 1) and starts watching the drop folder. */
  start(): void {
    if (this.unsubscribe || this.stopped) return;
    // Before the subscription: the retained push that was interrupted comes again, and meets its verdict.
    const interruptedReported = this.applier.reportInterrupted();
    this.startupMarkSaved = interruptedReported;
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
      this.startupMarkSaved = interruptedReported
        .then(() => this.deps.store.raiseHighWaterMark(mark))
        .catch((error: unknown) => {
          this.log.error({ err: toError(error) }, 'cannot persist the version high-water mark');
        });
    }
  }

  /**
   * Checks one envelope's size, shape and signature at once, then queues it; resolves once it is
   * handled. One that fails those checks is refused here, synchronously and cheaply, and never
   * takes the waiting place: a flood of forgeries cannot supersede a genuine push. A signed push
   * that arrives while another is in probation waits; if another signed one arrives meanwhile,
   * the waiting one is rejected as superseded.
   */
  receive(bytes: Buffer, origin: PushOrigin, label: string): Promise<PushOutcome> {
    if (this.stopped) return Promise.resolve({ status: 'ignored' });
    // Size first: a message over fleet.maxPushBytes is not even hashed (verify refuses it as too_large).
    const envelopeSha256 = bytes.length <= this.fleet().maxPushBytes ? sha256Hex(bytes) : undefined;
    // The envelope that raised the mark, delivered again: its signature held when it was accepted.
    if (envelopeSha256 !== undefined && envelopeSha256 === this.lastEnvelopeSha256) return this.enqueue({ bytes, origin, label, envelopeSha256 });
    const verified = this.verify(bytes);
    if (!verified.ok) return Promise.resolve(this.refuseUnverified(verified, origin));
    return this.enqueue({ bytes, origin, label, verified, ...(envelopeSha256 === undefined ? {} : { envelopeSha256 }) });
  }

  /** Queues a change from the local file (SIGHUP) with the pushes: one apply at a time, whatever its source. */
  queueLocalChange(label: string, run: () => Promise<PushOutcome>): Promise<PushOutcome> {
    return this.enqueue({ bytes: Buffer.alloc(0), origin: 'local_file', label, run });
  }

  /** The local file's version, accepted: it raises the high-water mark as a push does (and as at a start). */
  async acceptLocalVersion(version: number): Promise<void> {
    await this.startupMarkSaved;
    if (version <= this.highWaterMark) return;
    await this.deps.store.raiseHighWaterMark({ version, updatedAt: new Date(this.deps.clock.now()).toISOString() });
    this.highWaterMark = version;
    this.lastEnvelopeSha256 = undefined;
  }

  private enqueue(incoming: Omit<Incoming, 'resolve'>): Promise<PushOutcome> {
    if (this.stopped) return Promise.resolve({ status: 'ignored' });
    const { label } = incoming;
    return new Promise((resolve) => {
      const superseded = this.waiting;
      this.waiting = { ...incoming, resolve };
      if (superseded) {
        superseded.resolve(this.reject(superseded, 'superseded', `a newer push arrived while it waited (${label})`));
      }
      this.pump();
    });
  }

  /**
   * Stops taking pushes and waits for the one in hand. A probation cut short keeps neither
   * verdict: the new config is not persisted, so the next start runs the last-known-good and
   * reports the push as rolled back, `interrupted` (its journal stays on disk).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.waiting?.resolve({ status: 'ignored' });
    this.waiting = undefined;
    this.applier.stop();
    await this.dropFolder?.stop();
    await this.idle;
    this.unverified.flush();
  }

  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    this.idle = (async () => {
      try {
        while (this.waiting && !this.stopped) {
          const item = this.waiting;
          this.waiting = undefined;
          item.resolve(await (item.run ? item.run() : this.handle(item)).catch((error: unknown) => this.failed(item, error)));
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
    const envelopeSha256 = item.envelopeSha256 ?? sha256Hex(item.bytes);
    if (envelopeSha256 === this.lastEnvelopeSha256) {
      // A version is tried once. The envelope whose try failed (rolled back, also `interrupted` by a
      // crash) gets an answer each time it comes again, naming that verdict, so its sender is not left
      // guessing; the envelope that runs, delivered again (a retained push after a reconnect), is not news.
      const earlier = this.applier.earlierVerdict(envelopeSha256);
      if (earlier?.status === 'rolled_back') {
        const message = `this envelope (version ${earlier.version}) was already tried: rolled_back (${earlier.reason ?? 'no reason'}) at ${earlier.time}; push version ${this.highWaterMark + 1} or higher`;
        return this.reject(item, 'stale_version', message, { version: earlier.version });
      }
      this.log.debug({ origin: item.origin }, 'the last envelope accepted, delivered again; ignored');
      return { status: 'unchanged' };
    }
    const fleet = this.fleet();
    const verified = item.verified ?? this.verify(item.bytes);
    if (!verified.ok) return this.refuseUnverified(verified, item.origin);
    const verdict = checkVerifiedPush(verified, {
      siteId: this.siteId,
      highWaterMark: this.highWaterMark,
      now: this.deps.clock.now(),
      env: this.deps.env,
      source: item.label,
      modelLabels: this.deps.modelLabels,
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
    this.applier.record({
      type: 'config_push_accepted',
      origin: item.origin,
      version,
      sha256: verdict.loaded.sha256,
      keyId: verdict.keyId,
      ...(verdict.expiresAt === undefined ? {} : { expiresAt: verdict.expiresAt }),
      from: { version: running.config.version, sha256: running.sha256 },
    });
    return this.applier.apply(running, {
      loaded: verdict.loaded,
      keyId: verdict.keyId,
      origin: item.origin,
      probationSeconds: fleet.probationSeconds,
      envelopeSha256,
      keep: (appliedAt) => this.deps.store.saveLastKnownGood({ version, sha256: verdict.loaded.sha256, keyId: verdict.keyId, appliedAt }, verdict.payload),
    });
  }

  /** Size, envelope and signature against the trusted keys as they are now: linear in the bytes. */
  private verify(bytes: Buffer): VerifiedEnvelope | UnverifiedRejection {
    const fleet = this.fleet();
    return verifyPush(bytes, { maxBytes: fleet.maxPushBytes, trustedKeys: () => loadTrustedKeys(fleet.trustedKeysFile), now: this.deps.clock.now() });
  }

  /**
   * Counted and summed by the limiter, never published: the verdict is the caller's only (the
   * drop folder renames the file by it), so the retained `config/state` keeps the verified one.
   */
  private refuseUnverified(rejection: UnverifiedRejection, origin: PushOrigin): ConfigState {
    this.unverified.refuse(rejection, origin);
    const running = this.deps.target.loaded;
    return {
      siteId: this.siteId,
      status: 'rejected',
      version: null,
      sha256: null,
      keyId: null,
      origin,
      reason: rejection.reason,
      error: rejection.message,
      running: { version: running.config.version, sha256: running.sha256 },
      time: new Date(this.deps.clock.now()).toISOString(),
    };
  }

  private reject(item: Incoming, reason: RejectReason, message: string, facts: { version?: number; sha256?: string; keyId?: string } = {}): ConfigState {
    return this.applier.report({
      status: 'rejected',
      version: facts.version ?? null,
      sha256: facts.sha256 ?? null,
      keyId: facts.keyId ?? null,
      origin: item.origin,
      reason,
      error: message,
    });
  }

  /** The running config's fleet settings; a push must keep the section, so it is always there. */
  private fleet(): NonNullable<LoadedSiteConfig['config']['fleet']> {
    const fleet = this.deps.target.loaded.config.fleet;
    if (!fleet) throw new Error('FleetManager needs a config with a fleet section');
    return fleet;
  }
}
