import type { MqttClient } from 'mqtt';
import { configStateMessageSchema, type ConfigStateMessage } from '../../../pipelines/wire/configStateMessage.js';
import { cameraStatusMessageSchema, siteStatusMessageSchema, type SiteStatusMessage } from '../../../pipelines/wire/statusMessages.js';
import { AgentError } from '../../../pipelines/errors.js';

/**
 * What the sites say about themselves, collected for the fleet tools by four wildcard
 * subscriptions (never one per site: 14,000 sites are four SUBSCRIBE filters):
 * `{prefix}/+/config/state`, `{prefix}/+/status`, and optionally `{prefix}/+/+/status` (camera
 * counts) and `{prefix}/+/config/push` (the version the centre last asked for). Every payload is
 * from outside: too large, not JSON, or not the wire schema, it is counted in `ignored` and
 * dropped; nothing here throws on a message.
 */

export interface SiteView {
  readonly siteId: string;
  configState?: ConfigStateMessage;
  status?: SiteStatusMessage;
  /** camera id -> state, from the retained camera statuses */
  cameras?: Map<string, string>;
  /** the version of the retained push waiting for the site on config/push */
  desiredVersion?: number;
  /**
   * The latest time the site itself stated (ms since the epoch): its last config verdict, its
   * agent's start, a camera's last change. Retained messages arrive all at once, so the arrival
   * time would say nothing.
   */
  lastSeen?: number;
}

export type CollectedKind = 'configState' | 'status' | 'camera' | 'push';

export interface CollectorOptions {
  readonly prefix: string;
  /** subscribe `{prefix}/+/+/status` too */
  readonly cameras?: boolean;
  /** subscribe `{prefix}/+/config/push` too (reads only each envelope's `version`) */
  readonly pushes?: boolean;
  readonly now?: () => number;
}

/** The agent publishes reports of a few hundred bytes; these bounds leave ample room and no more. */
const MAX_STATE_BYTES = 64 * 1024;
const MAX_STATUS_BYTES = 16 * 1024;
/** envelopes: as large as a site takes (fleet.maxPushBytes up to 64 MiB), but the broker's packet limit is lower */
const MAX_PUSH_BYTES = 64 * 1024 * 1024;
/** Only the first few kilobytes of an envelope's payload are decoded to find its `version:` line. */
const VERSION_SCAN_BASE64_CHARS = 8 * 1024;
/** A site id or camera id is a config id: at most this long (pipelines/config/common.ts). */
const MAX_ID_CHARS = 64;

export class FleetStateCollector {
  private readonly views = new Map<string, SiteView>();
  private readonly listeners = new Set<(siteId: string, kind: CollectedKind) => void>();
  private readonly base: string;
  private readonly now: () => number;
  private lastMessageAt = 0;
  private ignoredCount = 0;
  private readonly onMessage = (topic: string, payload: Buffer): void => this.handle(topic, payload);

  constructor(
    private readonly client: MqttClient,
    private readonly options: CollectorOptions,
  ) {
    this.base = `${options.prefix}/`;
    this.now = options.now ?? Date.now;
  }

  /** Subscribes and resolves on the SUBACK; the retained messages follow it. */
  async start(): Promise<void> {
    this.client.on('message', this.onMessage);
    await this.subscribe();
  }

  /**
   * Subscribes again, so the broker sends every retained report once more (MQTT 5 retain
   * handling 0): a report lost on the way (a broker drops messages for a client whose queue is
   * full) is read back from the retained store.
   */
  async refresh(): Promise<void> {
    await this.subscribe();
  }

  /**
   * QoS 0 on purpose: the retained reports of a whole fleet arrive in one burst when the tool
   * subscribes (sites x (3 + cameras) messages), and a broker holds at most `max_queued_messages`
   * QoS 1 messages per client beyond those in flight (Mosquitto's default 1000): a QoS 1
   * subscription saw only ~1,020 of 2,000 sites on a default Mosquitto, QoS 0 sees them all. The
   * reports are retained state, so nothing is lost that `refresh()` cannot read again.
   */
  private async subscribe(): Promise<void> {
    const filters = [`${this.base}+/config/state`, `${this.base}+/status`];
    if (this.options.cameras === true) filters.push(`${this.base}+/+/status`);
    if (this.options.pushes === true) filters.push(`${this.base}+/config/push`);
    this.lastMessageAt = this.now();
    const granted = await this.client.subscribeAsync(filters, { qos: 0 });
    const refused = granted.filter((grant) => grant.qos >= 0x80);
    if (refused.length > 0) {
      throw new AgentError('broker_refused', `the broker refused the subscription to ${refused.map((grant) => grant.topic).join(', ')} (check the user's ACL)`);
    }
  }

  stop(): void {
    this.client.removeListener('message', this.onMessage);
  }

  get sites(): ReadonlyMap<string, SiteView> {
    return this.views;
  }

  /** messages dropped as too large, not JSON, not the wire schema, or on a topic of no site */
  get ignored(): number {
    return this.ignoredCount;
  }

  /** Called for every message taken; returns the function that removes the listener. */
  onChange(listener: (siteId: string, kind: CollectedKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once no message has arrived for `quietMs` (the retained messages are in) or
   * `maxMs` after the call, whichever is first.
   */
  settle(quietMs: number, maxMs: number): Promise<void> {
    const deadline = this.now() + maxMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const now = this.now();
        const quietAt = this.lastMessageAt + quietMs;
        if (now >= quietAt || now >= deadline) {
          resolve();
          return;
        }
        setTimeout(check, Math.max(10, Math.min(quietAt, deadline) - now));
      };
      check();
    });
  }

  private handle(topic: string, payload: Buffer): void {
    if (!topic.startsWith(this.base)) return;
    const levels = topic.slice(this.base.length).split('/');
    const siteId = levels[0] ?? '';
    if (siteId.length === 0 || siteId.length > MAX_ID_CHARS) return this.ignore();
    this.lastMessageAt = this.now();
    const kind = this.take(levels, siteId, payload);
    if (kind === undefined) return this.ignore();
    for (const listener of this.listeners) listener(siteId, kind);
  }

  /** The kind of message taken, or undefined when it was dropped. */
  private take(levels: readonly string[], siteId: string, payload: Buffer): CollectedKind | undefined {
    // An empty retained payload clears the topic: forget what it said.
    const cleared = payload.length === 0;
    if (levels.length === 3 && levels[1] === 'config' && levels[2] === 'state') {
      if (cleared) return this.forget(siteId, 'configState');
      const state = parseBounded(payload, MAX_STATE_BYTES, (value) => configStateMessageSchema.safeParse(value));
      if (state === undefined || state.siteId !== siteId) return undefined;
      this.seen(this.view(siteId), state.time).configState = state;
      return 'configState';
    }
    if (levels.length === 2 && levels[1] === 'status') {
      if (cleared) return this.forget(siteId, 'status');
      const status = parseBounded(payload, MAX_STATUS_BYTES, (value) => siteStatusMessageSchema.safeParse(value));
      if (status === undefined || status.siteId !== siteId) return undefined;
      this.seen(this.view(siteId), status.startedAt).status = status;
      return 'status';
    }
    if (levels.length === 3 && levels[1] === 'config' && levels[2] === 'push') {
      if (cleared) return this.forget(siteId, 'desiredVersion');
      const version = pushedVersion(payload);
      if (version === undefined) return undefined;
      this.view(siteId).desiredVersion = version;
      return 'push';
    }
    if (levels.length === 3 && levels[2] === 'status') {
      const cameraId = levels[1]!;
      if (cameraId.length === 0 || cameraId.length > MAX_ID_CHARS) return undefined;
      const view = this.view(siteId);
      if (cleared) {
        view.cameras?.delete(cameraId);
        return 'camera';
      }
      const camera = parseBounded(payload, MAX_STATUS_BYTES, (value) => cameraStatusMessageSchema.safeParse(value));
      if (camera === undefined || camera.cameraId !== cameraId) return undefined;
      // `removed` is the agent's last word on a camera the config dropped: it no longer counts
      if (camera.reason === 'removed' && camera.state === 'offline') view.cameras?.delete(cameraId);
      else (this.seen(view, camera.since).cameras ??= new Map()).set(cameraId, camera.state);
      return 'camera';
    }
    return undefined;
  }

  private forget(siteId: string, field: 'configState' | 'status' | 'desiredVersion'): CollectedKind {
    const view = this.views.get(siteId);
    if (view) delete view[field];
    return field === 'desiredVersion' ? 'push' : field;
  }

  private view(siteId: string): SiteView {
    let view = this.views.get(siteId);
    if (!view) {
      view = { siteId };
      this.views.set(siteId, view);
    }
    return view;
  }

  private seen(view: SiteView, time: string): SiteView {
    const at = Date.parse(time);
    if (Number.isFinite(at) && (view.lastSeen === undefined || at > view.lastSeen)) view.lastSeen = at;
    return view;
  }

  private ignore(): void {
    this.ignoredCount += 1;
  }
}

function parseBounded<T>(payload: Buffer, maxBytes: number, parse: (value: unknown) => { success: true; data: T } | { success: false }): T | undefined {
  if (payload.length > maxBytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    // not JSON: counted as ignored by the caller, never echoed
    return undefined;
  }
  const parsed = parse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The `version` of a signed push, without verifying or fully parsing it: the envelope's JSON, then
 * the top-level `version: N` line (YAML) or `"version": N` (JSON) near the start of its payload.
 * The fleet tools render `version` as the first key after one comment line.
 */
export function pushedVersion(payload: Buffer): number | undefined {
  if (payload.length > MAX_PUSH_BYTES) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(payload.toString('utf8'));
  } catch {
    // not an envelope: counted as ignored
    return undefined;
  }
  if (typeof envelope !== 'object' || envelope === null) return undefined;
  const base64 = (envelope as { payload?: unknown }).payload;
  if (typeof base64 !== 'string') return undefined;
  // a multiple of 4 base64 characters decodes to whole bytes
  const head = Buffer.from(base64.slice(0, VERSION_SCAN_BASE64_CHARS), 'base64').toString('utf8');
  const match = /^version:[ \t]*(\d{1,15})[ \t]*(?:#.*)?$/m.exec(head) ?? /^\s*\{[^]*?"version"\s*:\s*(\d{1,15})/.exec(head);
  if (!match) return undefined;
  const version = Number(match[1]);
  return Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}
