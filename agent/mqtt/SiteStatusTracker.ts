import type { CameraStatus } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import { cameraStatusPayload, siteStatusPayload } from './statusMessages.js';
import { cameraStatusTopic, siteStatusTopic } from './topics.js';

/** One retained JSON status message. */
export interface StatusMessage {
  readonly topic: string;
  readonly payload: string;
}

export interface SiteStatusTrackerDeps {
  readonly prefix: string;
  readonly siteId: string;
  readonly agentVersion: string;
  readonly configVersion: number;
  readonly clock: Pick<Clock, 'now'>;
}

/**
 * What the site's retained status topics must say right now: degraded reasons, the config version
 * in effect and each camera's latest status. The link decides when to send; this only remembers
 * enough to rebuild every status after a reconnect, since the broker may have lost them.
 */
export class SiteStatusTracker {
  /** `{prefix}/{site}/status`, validated at construction so a bad prefix or site id fails early */
  readonly topic: string;
  private readonly deps: SiteStatusTrackerDeps;
  private readonly cameraStatuses = new Map<string, CameraStatus>();
  private readonly degradedReasons = new Set<string>();
  private configVersion: number;
  private startedAt = 0;

  constructor(deps: SiteStatusTrackerDeps) {
    this.deps = deps;
    this.topic = siteStatusTopic(deps.prefix, deps.siteId);
    this.configVersion = deps.configVersion;
  }

  markStarted(): void {
    this.startedAt = this.deps.clock.now();
  }

  /** Returns whether the set of reasons changed, i.e. whether the retained site status is now stale. */
  setDegraded(reason: string, active: boolean): boolean {
    if (this.degradedReasons.has(reason) === active) return false;
    if (active) this.degradedReasons.add(reason);
    else this.degradedReasons.delete(reason);
    return true;
  }

  setConfigVersion(version: number): void {
    this.configVersion = version;
  }

  recordCamera(status: CameraStatus): void {
    this.cameraStatuses.set(status.cameraId, status);
  }

  /** `online` reads `degraded` while any reason is raised; an offline status says why. */
  sitePayload(state: 'online' | 'offline', reason?: 'shutdown' | 'connection_lost'): string {
    const degraded = state === 'online' && this.degradedReasons.size > 0;
    return siteStatusPayload({
      state: degraded ? 'degraded' : state,
      ...(degraded ? { reasons: [...this.degradedReasons].sort() } : {}),
      ...(reason === undefined ? {} : { reason }),
      siteId: this.deps.siteId,
      version: this.deps.agentVersion,
      configVersion: this.configVersion,
      startedAt: this.startedAt || this.deps.clock.now(),
    });
  }

  cameraMessage(status: CameraStatus): StatusMessage {
    return { topic: cameraStatusTopic(this.deps.prefix, this.deps.siteId, status.cameraId), payload: cameraStatusPayload(status) };
  }

  /**
   * At a clean stop: each camera's status `offline`, reason `stopped`, then the site's `offline`
   * (`shutdown`). Without them the cameras' retained statuses would say `online` for good. A
   * camera a config removed keeps its `removed`: it is no longer one of the site's cameras.
   */
  shutdownMessages(): StatusMessage[] {
    const since = this.deps.clock.now();
    const messages: StatusMessage[] = [];
    for (const status of this.cameraStatuses.values()) {
      if (status.reason === 'removed') continue;
      const stopped: CameraStatus = { cameraId: status.cameraId, state: 'offline', reason: 'stopped', since };
      this.cameraStatuses.set(status.cameraId, stopped);
      messages.push(this.cameraMessage(stopped));
    }
    messages.push({ topic: this.topic, payload: this.sitePayload('offline', 'shutdown') });
    return messages;
  }

  /** The online site status, then (`withCameras`, after a reconnect) each camera's latest status. */
  birthMessages(withCameras: boolean): StatusMessage[] {
    const messages = [{ topic: this.topic, payload: this.sitePayload('online') }];
    if (withCameras) {
      for (const status of this.cameraStatuses.values()) messages.push(this.cameraMessage(status));
    }
    return messages;
  }
}
