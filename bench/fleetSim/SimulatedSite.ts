import type { Counter } from 'prom-client';
import type { AuditAppender } from '../../agent/audit/DecisionRecorder.js';
import type { Clock } from '../../agent/clock.js';
import type { LoadedSiteConfig } from '../../agent/config/loadSiteConfig.js';
import type { FleetLink, FleetTarget } from '../../agent/fleet/ConfigApplier.js';
import { FleetManager } from '../../agent/fleet/FleetManager.js';
import { FleetStateStore } from '../../agent/fleet/FleetStateStore.js';
import { cameraStatusPayload, siteStatusPayload } from '../../agent/mqtt/statusMessages.js';
import { siteTopics, type SiteTopics } from '../../agent/mqtt/topics.js';
import type { Logger } from '../../agent/observe/logger.js';
import { startedCameras, type SiteConfigDiff } from '../../pipelines/config/diffSiteConfig.js';
import type { CameraStatus } from '../../pipelines/stages.js';
import { configStateMessageSchema, type ConfigStateMessage } from '../../pipelines/wire/configStateMessage.js';
import type { PooledConnection } from './SiteConnectionPool.js';

/**
 * One simulated site: the agent's real config intake (FleetManager with its real ConfigApplier,
 * FleetStateStore on disk, trusted-keys file, signature and content checks, probation on the
 * real clock, rollback, retained `config/state`) over a shared MQTT connection, in front of
 * simulated cameras instead of ffmpeg. A camera the config (re)starts delivers frames after
 * `frameDelayMs`, unless the site is one injected to fail: then its cameras deliver only under
 * the config it was seeded with, so a pushed config fails probation and the applier rolls back.
 */

/** The slice of AgentMetrics a FleetManager takes: shared by every simulated site (one registry, not 14,000). */
export interface FleetSimMetrics {
  readonly configApplyTotal: Counter<'result'>;
  readonly configPushUnverifiedTotal: Counter<'reason'>;
  setConfigVersion(version: number): void;
}

export interface SimulatedSiteOptions {
  readonly seed: LoadedSiteConfig;
  readonly connection: PooledConnection;
  readonly stateDir: string;
  /** its cameras never deliver frames under any config but the seed */
  readonly failProbation: boolean;
  readonly frameDelayMs: number;
  readonly metrics: FleetSimMetrics;
  readonly audit: AuditAppender;
  readonly clock: Clock;
  readonly logger: Logger;
  /** the agent software version each site reports in its status */
  readonly softwareVersion: string;
}

interface SimulatedCamera {
  frames: number;
  status: CameraStatus | undefined;
}

export class SimulatedSite implements FleetTarget {
  loaded: LoadedSiteConfig;
  readonly siteId: string;
  /** the last config/state this site published, parsed with the wire schema */
  lastState: ConfigStateMessage | undefined;
  private readonly options: SimulatedSiteOptions;
  private readonly topics: SiteTopics;
  private readonly cameras = new Map<string, SimulatedCamera>();
  private readonly fleet: FleetManager;
  private readonly startedAt: number;
  private online = false;
  private stopped = false;

  constructor(options: SimulatedSiteOptions) {
    this.options = options;
    this.loaded = options.seed;
    this.siteId = options.seed.config.site.id;
    this.topics = siteTopics(options.seed.config.mqtt.prefix, this.siteId);
    this.startedAt = options.clock.now();
    const link: FleetLink = {
      subscribe: (topic, _qos, handler) => options.connection.subscribe(topic, handler),
      publish: (topic, payload, publishOptions) => {
        if (topic === this.topics.configState) this.lastState = configStateMessageSchema.parse(JSON.parse(payload));
        return options.connection.publish(topic, payload, publishOptions);
      },
      // The agent's MqttLink announces the running version in its retained site status.
      setConfigVersion: (version) => void this.publishSiteStatus('online', version),
    };
    this.fleet = new FleetManager({
      target: this,
      link,
      store: new FleetStateStore(options.stateDir),
      clock: options.clock,
      logger: options.logger.child({ component: 'fleet-sim', site: this.siteId }),
      metrics: options.metrics,
      env: {},
      audit: options.audit,
    });
  }

  get isOnline(): boolean {
    return this.online;
  }

  /**
   * The site connects: cameras of the running config deliver, statuses are published retained,
   * and the push topic is subscribed (the retained push, if any, arrives now).
   */
  async connect(): Promise<void> {
    if (this.online || this.stopped) return;
    this.online = true;
    const now = this.options.clock.now();
    const statuses: Promise<void>[] = [this.publishSiteStatus('online', this.loaded.config.version)];
    for (const camera of enabledCameraIds(this.loaded)) {
      const status: CameraStatus = { cameraId: camera, state: 'online', since: now };
      this.cameras.set(camera, { frames: 1, status });
      statuses.push(this.publishCameraStatus(status));
    }
    await Promise.all(statuses);
    this.fleet.start();
  }

  /**
   * What the broker still holds from the push that installed the seed (version 1): its retained
   * `config/state`, as the ConfigApplier published it then. The fleet tools read it as the
   * site's baseline (plan, untouched sites, status), as they would on a fleet in service.
   */
  seedState(keyId: string): Promise<void> {
    const seed = this.options.seed;
    const state = configStateMessageSchema.parse({
      siteId: this.siteId,
      status: 'applied',
      version: seed.config.version,
      sha256: seed.sha256,
      keyId,
      origin: 'mqtt',
      running: { version: seed.config.version, sha256: seed.sha256 },
      changes: { added: enabledCameraIds(seed), removed: [], restarted: [], reconfigured: [] },
      time: new Date(this.startedAt).toISOString(),
    });
    this.lastState = state;
    return this.options.connection.publish(this.topics.configState, JSON.stringify(state), RETAINED).catch(reportLost);
  }

  /** A site that is down when the rollout starts: its Last Will says so, retained. */
  announceOffline(): Promise<void> {
    return this.options.connection
      .publish(
        this.topics.status,
        siteStatusPayload({
          state: 'offline',
          reason: 'connection_lost',
          siteId: this.siteId,
          version: this.options.softwareVersion,
          configVersion: this.loaded.config.version,
          startedAt: this.startedAt,
        }),
        RETAINED,
      )
      .catch(reportLost);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.fleet.stop();
  }

  async applyConfig(next: LoadedSiteConfig, diff: SiteConfigDiff): Promise<void> {
    this.loaded = next;
    const now = this.options.clock.now();
    for (const camera of diff.removed) {
      this.cameras.delete(camera);
      void this.publishCameraStatus({ cameraId: camera, state: 'offline', reason: 'removed', since: now });
    }
    const delivers = !this.options.failProbation || next.sha256 === this.options.seed.sha256;
    for (const camera of startedCameras(diff)) {
      const simulated: SimulatedCamera = { frames: 0, status: undefined };
      this.cameras.set(camera, simulated);
      this.options.clock.setTimeout(() => {
        // A later apply replaced this camera: its own timer reports it.
        if (this.cameras.get(camera) !== simulated || this.stopped) return;
        const at = this.options.clock.now();
        simulated.status = delivers
          ? { cameraId: camera, state: 'online', since: at }
          : { cameraId: camera, state: 'offline', reason: 'unreachable', detail: 'simulated: the camera does not answer under this config', since: at };
        if (delivers) simulated.frames = 1;
        void this.publishCameraStatus(simulated.status);
      }, this.options.frameDelayMs);
    }
  }

  cameraProgress(cameraId: string): { frames: number; status: CameraStatus | undefined } {
    const camera = this.cameras.get(cameraId);
    return { frames: camera?.frames ?? 0, status: camera?.status };
  }

  private publishSiteStatus(state: 'online', configVersion: number): Promise<void> {
    const payload = siteStatusPayload({ state, siteId: this.siteId, version: this.options.softwareVersion, configVersion, startedAt: this.startedAt });
    return this.options.connection.publish(this.topics.status, payload, RETAINED).catch(reportLost);
  }

  private publishCameraStatus(status: CameraStatus): Promise<void> {
    return this.options.connection.publish(this.topics.cameraStatus(status.cameraId), cameraStatusPayload(status), RETAINED).catch(reportLost);
  }
}

const RETAINED = { qos: 1, retain: true, properties: { contentType: 'application/json' } } as const;

function enabledCameraIds(loaded: LoadedSiteConfig): string[] {
  return loaded.config.cameras.filter((camera) => camera.enabled).map((camera) => camera.id);
}

/** A status lost while the pool closes is no finding; one lost during a run shows in the broker's counts. */
function reportLost(error: unknown): void {
  process.stderr.write(`fleet sim: status not published: ${error instanceof Error ? error.message : String(error)}\n`);
}
