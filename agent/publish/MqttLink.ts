import { connect as mqttConnect, type MqttClient } from 'mqtt';
import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import { PublishError, toError } from '../../pipelines/errors.js';
import type { CameraStatus } from '../../pipelines/stages.js';
import type { Clock, Timer } from '../clock.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { Logger } from '../observe/logger.js';
import { mqttClientOptions } from './mqttClientOptions.js';
import { brokerEndpoint, describeConnectionError, PublishRefusedError, reasonName, type BrokerEndpoint } from './mqttWire.js';
import { OutgoingQueue, type AckOutcome, type OutgoingMessage, type PublishProperties } from './OutgoingQueue.js';
import { cameraStatusPayload, siteStatusPayload } from './statusMessages.js';
import { backoffDelayMs } from '../backoff.js';
import { withTimeout } from './timing.js';
import type { TlsMaterial } from './tlsFiles.js';
import { cameraStatusTopic, siteStatusTopic } from './topics.js';

export { PublishRefusedError } from './mqttWire.js';
export type { PublishProperties } from './OutgoingQueue.js';
export type MqttSettings = SiteConfig['mqtt'];

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
  readonly properties?: PublishProperties;
}

export interface MqttLinkDeps {
  /** username/password already resolved from their secret references */
  readonly config: MqttSettings;
  readonly siteId: string;
  readonly agentVersion: string;
  readonly configVersion: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  readonly connect?: typeof mqttConnect;
  readonly metrics?: Pick<AgentMetrics, 'mqttConnected' | 'mqttPublishFailuresTotal'>;
  /** QoS 1 messages held in memory (waiting to be sent plus awaiting PUBACK); default 1000 */
  readonly maxPending?: number;
  /** CONNACK must arrive within this; default 10 s */
  readonly connectTimeoutMs?: number;
  /** how long shutdown() waits for the offline status and in-flight PUBACKs; default 3 s */
  readonly shutdownTimeoutMs?: number;
  /** CA, client certificate and key for mqtts:// and wss:// (read from mqtt.tls by readTlsMaterial) */
  readonly tls?: TlsMaterial;
}

type State = 'idle' | 'running' | 'stopping' | 'stopped';
type ConnectionListener = (connected: boolean) => void;
export type MessageHandler = (payload: Buffer, topic: string) => void;

const DEFAULT_MAX_PENDING = 1000;
const JSON_PROPERTIES: PublishProperties = { contentType: 'application/json' };
/** MQTT 5 default when the broker does not announce Receive Maximum */
const DEFAULT_RECEIVE_MAXIMUM = 65_535;

/**
 * The agent's single MQTT 5 connection. Reconnects itself (MQTT.js only knows a fixed period) with
 * jittered exponential backoff, fails over across the configured broker URLs, announces the site
 * with a retained birth / Last Will pair, and holds QoS 1 messages in memory while the broker is
 * away so that their promises resolve on PUBACK after a reconnect instead of failing.
 */
export class MqttLink {
  private readonly deps: MqttLinkDeps;
  private readonly log: Logger;
  private readonly endpoints: readonly BrokerEndpoint[];
  private readonly statusTopic: string;
  private readonly clientId: string;
  private readonly maxPending: number;
  private readonly cameraStatuses = new Map<string, CameraStatus>();
  private readonly listeners = new Set<ConnectionListener>();
  private readonly degradedReasons = new Set<string>();
  private readonly subscriptions = new Map<string, { qos: 0 | 1; handler: MessageHandler }>();
  private readonly queue: OutgoingQueue;
  private client: MqttClient | null = null;
  private state: State = 'idle';
  private isConnected = false;
  private endpointIndex = 0;
  private failures = 0;
  private reconnectTimer: Timer | null = null;
  private configVersion: number;
  private startedAt = 0;
  private droppedInOutage = 0;
  private shutdownPromise: Promise<void> | null = null;
  private lastErrorText: string | null = null;

  constructor(deps: MqttLinkDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'mqtt' });
    this.endpoints = deps.config.urls.map((url) => brokerEndpoint(url, deps.tls?.serverName));
    this.statusTopic = siteStatusTopic(deps.config.prefix, deps.siteId);
    this.clientId = deps.config.clientId ?? `c5-agent-${deps.siteId}`;
    this.maxPending = deps.maxPending ?? DEFAULT_MAX_PENDING;
    this.configVersion = deps.configVersion;
    this.queue = new OutgoingQueue({
      window: () => (this.isConnected && this.client ? (this.client.serverProperties?.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM) : 0),
      send: (message, done) => this.send(message, done),
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** The last connection or protocol error, for readiness reasons; null once connected. */
  get lastError(): string | null {
    return this.lastErrorText;
  }

  get stats(): { held: number; inflight: number; droppedInOutage: number; endpoint: string } {
    return {
      held: this.queue.heldCount,
      inflight: this.queue.inflightCount,
      droppedInOutage: this.droppedInOutage,
      endpoint: this.endpoints[this.endpointIndex]?.redacted ?? '',
    };
  }

  /** Called with `true` on every CONNACK and `false` on every loss; returns an unsubscribe function. */
  onConnectionChange(listener: ConnectionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hands every message on `topic` (an exact name, no wildcards) to `handler`. The subscription
   * is made again on every CONNACK, since a session may end with its connection; a retained
   * message arrives again only when the broker had lost the subscription. Returns an unsubscribe
   * function.
   */
  subscribe(topic: string, qos: 0 | 1, handler: MessageHandler): () => void {
    this.subscriptions.set(topic, { qos, handler });
    if (this.isConnected) this.sendSubscribe(topic, qos);
    return () => {
      if (this.subscriptions.get(topic)?.handler !== handler) return;
      this.subscriptions.delete(topic);
      if (this.isConnected) this.client?.unsubscribe(topic);
    };
  }

  /** Opens the connection (first URL first) and keeps it open until shutdown(). */
  start(): void {
    if (this.state !== 'idle') return;
    const first = this.endpoints[0];
    if (!first) throw new PublishError('no_broker', 'mqtt.urls is empty');
    this.state = 'running';
    this.startedAt = this.deps.clock.now();
    const options = mqttClientOptions({
      config: this.deps.config,
      clientId: this.clientId,
      connectTimeoutMs: this.deps.connectTimeoutMs ?? 10_000,
      tls: this.deps.tls,
      will: {
        topic: this.statusTopic,
        payload: Buffer.from(this.siteStatus('offline', 'connection_lost')),
        qos: 1,
        retain: true,
        properties: { contentType: 'application/json' },
      },
    });
    const client = (this.deps.connect ?? mqttConnect)(first.url, options);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (error) => this.onError(error));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('disconnect', (packet) => {
      this.log.warn({ reasonCode: packet.reasonCode, reason: reasonName(packet.reasonCode ?? 0) }, 'broker sent DISCONNECT');
    });
    this.attempt();
  }

  /** Resolves once connected; rejects with code `connect_timeout` after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        off();
        reject(new PublishError('connect_timeout', `not connected to any broker within ${timeoutMs} ms (${this.lastErrorText ?? 'no error yet'})`));
      }, timeoutMs);
      const off = this.onConnectionChange((up) => {
        if (!up) return;
        off();
        timer.cancel();
        resolve();
      });
    });
  }

  /**
   * QoS 1 resolves on PUBACK (after reconnects if need be), rejects with PublishRefusedError when
   * the broker refuses it and with code `queue_full` when too much is already held. QoS 0 is only
   * attempted while connected (code `not_connected` otherwise).
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(new PublishError('link_closed', `cannot publish on ${topic}: the MQTT link is shut down`));
    }
    if (options.qos === 0) return this.publishQos0(topic, payload, options);
    if (this.queue.userPending >= this.maxPending) {
      this.droppedInOutage += 1;
      this.countFailure('queue_full');
      if (this.droppedInOutage === 1) {
        this.log.warn({ topic, maxPending: this.maxPending }, 'publish queue full; dropping new messages until the broker is back');
      }
      return Promise.reject(new PublishError('queue_full', `${this.maxPending} messages already waiting for the broker; dropped ${topic}`));
    }
    return this.queue.add({ topic, payload, retain: options.retain, properties: options.properties, internal: false });
  }

  /**
   * Retained on `{prefix}/{site}/{camera}/status`; the latest per camera is re-published after
   * every reconnect. Resolves once acknowledged, superseded or deferred to the next connect; a
   * refusal is logged and counted but never rejects, so fire-and-forget callers stay safe.
   */
  publishCameraStatus(status: CameraStatus): Promise<void> {
    this.cameraStatuses.set(status.cameraId, status);
    if (this.state !== 'running' || !this.isConnected) return Promise.resolve();
    const { topic, payload } = this.cameraStatusMessage(status);
    return this.addStatus(topic, payload, false);
  }

  /**
   * Raises or clears one reason for a `degraded` site status (`outbox_unwritable`,
   * `publish_refused`, ...); the retained status is re-published whenever the set changes.
   */
  setDegraded(reason: string, active: boolean): void {
    if (this.degradedReasons.has(reason) === active) return;
    if (active) this.degradedReasons.add(reason);
    else this.degradedReasons.delete(reason);
    if (this.isConnected) this.publishBirth(false);
  }

  /** A new config is in effect: the Last Will and the retained birth now carry its version. */
  setConfigVersion(version: number): void {
    this.configVersion = version;
    const will = this.client?.options.will;
    if (will) will.payload = Buffer.from(this.siteStatus('offline', 'connection_lost'));
    if (this.isConnected) this.publishBirth(false);
  }

  /** Publishes the retained offline status, waits (bounded) for PUBACKs, then closes. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.reconnectTimer?.cancel();
    this.reconnectTimer = null;
    const client = this.client;
    if (wasRunning && client) {
      const timeoutMs = this.deps.shutdownTimeoutMs ?? 3_000;
      if (this.isConnected) {
        const offline = this.siteStatus('offline', 'shutdown');
        const sent = this.queue.add({ topic: this.statusTopic, payload: offline, retain: true, properties: JSON_PROPERTIES, internal: true }, true);
        const drained = sent.then(() => this.waitForQueue(timeoutMs));
        await this.timeout(drained, timeoutMs).catch((error: unknown) => {
          this.log.warn({ err: toError(error) }, 'offline status not acknowledged before shutdown');
        });
      }
      await this.endClient(client, timeoutMs);
    }
    this.state = 'stopped';
    const lost = this.queue.failAll((m) => new PublishError('link_closed', `MQTT link shut down before ${m.topic} was acknowledged`));
    if (lost > 0) this.log.warn({ lost }, 'shut down with unacknowledged messages');
    this.setConnected(false);
    this.log.info('MQTT link shut down');
  }

  private async endClient(client: MqttClient, timeoutMs: number): Promise<void> {
    // A normal DISCONNECT makes the broker discard the Last Will: the offline status is already retained.
    const ended = new Promise<void>((resolve) => client.end(!this.isConnected || !this.queue.isEmpty, {}, () => resolve()));
    await this.timeout(ended, timeoutMs).catch(() => {
      this.log.warn('broker did not close the connection in time; dropping it');
      client.stream?.destroy();
    });
  }

  private attempt(): void {
    const client = this.client;
    const endpoint = this.endpoints[this.endpointIndex];
    if (!client || !endpoint || this.state !== 'running') return;
    // MQTT.js builds each connection from client.options, so pointing them at the next URL is the failover.
    Object.assign(client.options, endpoint.options);
    if (endpoint.options.path === undefined) delete client.options.path;
    if (endpoint.options.servername === undefined) delete client.options.servername;
    this.log.debug({ url: endpoint.redacted, attempt: this.failures + 1 }, 'connecting to broker');
    client.connect();
  }

  private onConnect(): void {
    const endpoint = this.endpoints[this.endpointIndex];
    this.failures = 0;
    this.lastErrorText = null;
    const dropped = this.droppedInOutage;
    this.droppedInOutage = 0;
    this.log.info({ url: endpoint?.redacted, clientId: this.clientId, held: this.queue.heldCount, dropped }, 'connected to broker');
    this.setConnected(true);
    this.publishBirth(true);
    for (const [topic, { qos }] of this.subscriptions) this.sendSubscribe(topic, qos);
  }

  private sendSubscribe(topic: string, qos: 0 | 1): void {
    // rh 1: retained messages only for a subscription the broker did not already hold.
    this.client?.subscribe(topic, { qos, rh: 1 }, (error, granted) => {
      const code = granted?.[0]?.qos;
      if (error || (code !== undefined && code >= 0x80)) {
        this.log.warn({ topic, error: error?.message, reasonCode: code }, 'subscription refused');
      } else {
        this.log.debug({ topic, qos: code }, 'subscribed');
      }
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const subscription = this.subscriptions.get(topic);
    if (!subscription) return;
    try {
      subscription.handler(payload, topic);
    } catch (error) {
      this.log.error({ topic, err: toError(error) }, 'message handler threw');
    }
  }

  private onClose(): void {
    const wasConnected = this.isConnected;
    // Internal messages are rebuilt from current state on the next connect; older copies would only repeat it.
    this.queue.dropHeldInternal();
    if (this.state !== 'running') return;
    if (wasConnected) {
      this.log.warn({ url: this.endpoints[this.endpointIndex]?.redacted, inflight: this.queue.inflightCount }, 'connection to broker lost');
      this.setConnected(false);
    } else {
      // A failed attempt moves on to the next broker; a lost connection retries the one that worked.
      this.endpointIndex = (this.endpointIndex + 1) % this.endpoints.length;
    }
    this.scheduleReconnect();
  }

  private onError(error: Error & { code?: unknown }): void {
    const code = error.code;
    this.lastErrorText = describeConnectionError(error);
    this.log.warn({ url: this.endpoints[this.endpointIndex]?.redacted, code, error: this.lastErrorText }, 'MQTT connection error');
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.state !== 'running') return;
    const { reconnectMinSeconds, reconnectMaxSeconds } = this.deps.config;
    const delayMs = backoffDelayMs(this.failures, reconnectMinSeconds * 1000, reconnectMaxSeconds * 1000, this.deps.random);
    this.failures += 1;
    this.log.info({ delayMs, next: this.endpoints[this.endpointIndex]?.redacted }, 'reconnecting to broker');
    this.reconnectTimer = this.deps.clock.setTimeout(() => {
      this.reconnectTimer = null;
      this.attempt();
    }, delayMs);
  }

  private setConnected(connected: boolean): void {
    if (this.isConnected === connected) return;
    this.isConnected = connected;
    this.deps.metrics?.mqttConnected.set(connected ? 1 : 0);
    for (const listener of this.listeners) {
      try {
        listener(connected);
      } catch (error) {
        this.log.error({ err: toError(error) }, 'connection listener threw');
      }
    }
  }

  private publishBirth(reconnected: boolean): void {
    const messages = [{ topic: this.statusTopic, payload: this.siteStatus('online') }];
    if (reconnected) {
      for (const status of this.cameraStatuses.values()) messages.push(this.cameraStatusMessage(status));
    }
    // Ahead of alerts held during the outage, so C5 sees the site online before its backlog.
    for (const { topic, payload } of messages.reverse()) void this.addStatus(topic, payload, true);
  }

  /** Retained JSON status; failures were already logged and counted in send(). */
  private addStatus(topic: string, payload: string, front: boolean): Promise<void> {
    return this.queue.add({ topic, payload, retain: true, properties: JSON_PROPERTIES, internal: true }, front).catch((error: unknown) => {
      this.log.debug({ topic, err: toError(error) }, 'status message not delivered');
    });
  }

  private siteStatus(state: 'online' | 'offline', reason?: 'shutdown' | 'connection_lost'): string {
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

  private cameraStatusMessage(status: CameraStatus): { topic: string; payload: string } {
    return { topic: cameraStatusTopic(this.deps.config.prefix, this.deps.siteId, status.cameraId), payload: cameraStatusPayload(status) };
  }

  /** Hands one QoS 1 message to MQTT.js and decides what its PUBACK (or the lack of one) means. */
  private send(message: OutgoingMessage, done: (outcome: AckOutcome) => void): void {
    const client = this.client;
    if (!client) {
      done({ retry: true });
      return;
    }
    // MQTT.js may rewrite properties (topic aliases); every attempt gets its own copy.
    const properties = message.properties ? { ...message.properties } : undefined;
    client.publish(message.topic, message.payload, { qos: 1, retain: message.retain, properties }, (error?: Error & { code?: unknown }) => {
      if (!error) {
        done({ ok: true });
      } else if (typeof error.code === 'number') {
        const refused = new PublishRefusedError(message.topic, error.code, { cause: error });
        this.countFailure(refused.reason);
        this.log.warn({ topic: message.topic, reasonCode: error.code, reason: refused.reason }, 'broker refused publish');
        done({ ok: false, error: refused });
      } else if (this.state === 'running') {
        // Transport-level failure before a PUBACK: send it again (receivers de-duplicate on alert id).
        done({ retry: true });
      } else {
        done({ ok: false, error: new PublishError('link_closed', `${message.topic} not acknowledged: ${error.message}`, { cause: error }) });
      }
    });
  }

  private publishQos0(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client || !this.isConnected) {
      this.countFailure('not_connected');
      return Promise.reject(new PublishError('not_connected', `not connected; QoS 0 message on ${topic} dropped`));
    }
    const properties = options.properties ? { ...options.properties } : undefined;
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: 0, retain: options.retain, properties }, (error) => {
        if (!error) return resolve();
        this.countFailure('transport');
        reject(new PublishError('publish_failed', `QoS 0 publish on ${topic} failed: ${error.message}`, { cause: error }));
      });
    });
  }

  /** Polls until everything is acknowledged, the connection drops or the deadline passes. */
  private waitForQueue(timeoutMs: number): Promise<void> {
    const deadline = this.deps.clock.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.queue.isEmpty || !this.isConnected || this.deps.clock.now() >= deadline) resolve();
        else this.deps.clock.setTimeout(check, 20);
      };
      check();
    });
  }

  private timeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
    return withTimeout(this.deps.clock, promise, timeoutMs, () => new PublishError('timeout', `no answer within ${timeoutMs} ms`));
  }

  private countFailure(reason: string): void {
    this.deps.metrics?.mqttPublishFailuresTotal.inc({ reason });
  }
}
