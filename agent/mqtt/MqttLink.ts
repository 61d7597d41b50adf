import { connect as mqttConnect, type MqttClient } from 'mqtt';
import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import { PublishError, toError } from '../../pipelines/errors.js';
import type { CameraStatus } from '../../pipelines/stages.js';
import type { Clock } from '../clock.js';
import type { MessagePublisher, PublishOptions, PublishProperties } from '../MessagePublisher.js';
import type { AgentMetrics } from '../observe/metrics.js';
import type { Logger } from '../observe/logger.js';
import type { SecretScrubber } from '../observe/SecretScrubber.js';
import { BrokerFailover } from './BrokerFailover.js';
import { ConnectionSignal, type ConnectionListener } from './ConnectionSignal.js';
import { mqttClientOptions } from './mqttClientOptions.js';
import { brokerEndpoint, describeConnectionError, PublishRefusedError, reasonName } from './mqttWire.js';
import { OutgoingQueue, type AckOutcome, type OutgoingMessage } from './OutgoingQueue.js';
import { SiteStatusTracker, type StatusMessage } from './SiteStatusTracker.js';
import { Subscriptions, type MessageHandler } from './Subscriptions.js';
import { withTimeout } from './timing.js';
import type { TlsMaterial } from './tlsFiles.js';

export { PublishRefusedError } from './mqttWire.js';
export type { PublishOptions, PublishProperties } from '../MessagePublisher.js';
export type { MessageHandler } from './Subscriptions.js';
export type MqttSettings = SiteConfig['mqtt'];

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
  /** how long stop() waits for the offline status and in-flight PUBACKs; default 3 s */
  readonly shutdownTimeoutMs?: number;
  /** CA, client certificate and key for mqtts:// and wss:// (read from mqtt.tls by readTlsMaterial) */
  readonly tls?: TlsMaterial;
  /** removes every resolved secret from each payload as it goes out: alerts, statuses, stats, reports */
  readonly scrubber?: SecretScrubber;
  /** the largest message the agent takes (fleet.maxPushBytes); sets MQTT 5 maximumPacketSize */
  readonly maxIncomingPayloadBytes?: number;
}

type State = 'idle' | 'running' | 'stopping' | 'stopped';

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
export class MqttLink implements MessagePublisher {
  private readonly deps: MqttLinkDeps;
  private readonly log: Logger;
  private readonly failover: BrokerFailover;
  private readonly connection: ConnectionSignal;
  private readonly siteStatus: SiteStatusTracker;
  private readonly clientId: string;
  private readonly maxPending: number;
  private readonly subscriptions: Subscriptions;
  private readonly queue: OutgoingQueue;
  private client: MqttClient | null = null;
  private state: State = 'idle';
  private droppedInOutage = 0;
  private shutdownPromise: Promise<void> | null = null;
  private lastErrorText: string | null = null;

  constructor(deps: MqttLinkDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'mqtt' });
    const endpoints = deps.config.urls.map((url) => brokerEndpoint(url, deps.tls?.serverName));
    this.failover = new BrokerFailover({ endpoints, config: deps.config, clock: deps.clock, random: deps.random });
    this.connection = new ConnectionSignal({ clock: deps.clock, log: this.log, metrics: deps.metrics, lastError: () => this.lastErrorText });
    const { siteId, agentVersion, configVersion, clock } = deps;
    this.siteStatus = new SiteStatusTracker({ prefix: deps.config.prefix, siteId, agentVersion, configVersion, clock });
    this.clientId = deps.config.clientId ?? `c5-agent-${deps.siteId}`;
    this.maxPending = deps.maxPending ?? DEFAULT_MAX_PENDING;
    this.subscriptions = new Subscriptions({ log: this.log, connectedClient: () => (this.connection.connected ? this.client : null) });
    this.queue = new OutgoingQueue({
      window: () => (this.connection.connected && this.client ? (this.client.serverProperties?.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM) : 0),
      send: (message, done) => this.send(message, done),
    });
  }

  get connected(): boolean {
    return this.connection.connected;
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
      endpoint: this.failover.current?.redacted ?? '',
    };
  }

  /** Called with `true` on every CONNACK and `false` on every loss; returns an unsubscribe function. */
  onConnectionChange(listener: ConnectionListener): () => void {
    return this.connection.onChange(listener);
  }

  /**
   * Hands every message on `topic` (an exact name, no wildcards) to `handler`. The subscription
   * is made again on every CONNACK, since a session may end with its connection; a retained
   * message arrives again only when the broker had lost the subscription. Returns an unsubscribe
   * function.
   */
  subscribe(topic: string, qos: 0 | 1, handler: MessageHandler): () => void {
    return this.subscriptions.add(topic, qos, handler);
  }

  /** Opens the connection (first URL first) and keeps it open until stop(). */
  start(): void {
    if (this.state !== 'idle') return;
    const first = this.failover.current;
    if (!first) throw new PublishError('no_broker', 'mqtt.urls is empty');
    this.state = 'running';
    this.siteStatus.markStarted();
    const options = mqttClientOptions({
      config: this.deps.config,
      clientId: this.clientId,
      connectTimeoutMs: this.deps.connectTimeoutMs ?? 10_000,
      tls: this.deps.tls,
      maxIncomingPayloadBytes: this.deps.maxIncomingPayloadBytes,
      will: {
        topic: this.siteStatus.topic,
        payload: Buffer.from(this.siteStatus.sitePayload('offline', 'connection_lost')),
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
    client.on('message', (topic, payload) => this.subscriptions.dispatch(topic, payload));
    client.on('disconnect', (packet) => {
      this.log.warn({ reasonCode: packet.reasonCode, reason: reasonName(packet.reasonCode ?? 0) }, 'broker sent DISCONNECT');
    });
    this.attempt();
  }

  /** Resolves once connected; rejects with code `connect_timeout` after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<void> {
    return this.connection.whenConnected(timeoutMs);
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
      // Not RateLimitedLog: one line per outage, and the total on the next CONNACK (onConnect).
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
    this.siteStatus.recordCamera(status);
    if (this.state !== 'running' || !this.connection.connected) return Promise.resolve();
    return this.addStatus(this.siteStatus.cameraMessage(status), false);
  }

  /**
   * Raises or clears one reason for a `degraded` site status (`outbox_unwritable`,
   * `publish_refused`, ...); the retained status is re-published whenever the set changes.
   */
  setDegraded(reason: string, active: boolean): void {
    if (this.siteStatus.setDegraded(reason, active) && this.connection.connected) this.publishBirth(false);
  }

  /** A new config is in effect: the Last Will and the retained birth now carry its version. */
  setConfigVersion(version: number): void {
    this.siteStatus.setConfigVersion(version);
    const will = this.client?.options.will;
    if (will) will.payload = Buffer.from(this.siteStatus.sitePayload('offline', 'connection_lost'));
    if (this.connection.connected) this.publishBirth(false);
  }

  /** Publishes every retained offline status (cameras, then site), waits (bounded) for PUBACKs, then closes. Idempotent. */
  stop(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.failover.cancel();
    const client = this.client;
    if (wasRunning && client) {
      const timeoutMs = this.deps.shutdownTimeoutMs ?? 3_000;
      if (this.connection.connected) {
        // Ahead of any backlog, in their order: the site says offline once its cameras do.
        const sent = this.siteStatus
          .shutdownMessages()
          .reverse()
          .map(({ topic, payload }) => this.queue.add({ topic, payload, retain: true, properties: JSON_PROPERTIES, internal: true }, true));
        const drained = Promise.all(sent).then(() => this.waitForQueue(timeoutMs));
        await this.timeout(drained, timeoutMs).catch((error: unknown) => {
          this.log.warn({ err: toError(error) }, 'offline status not acknowledged before shutdown');
        });
      }
      await this.endClient(client, timeoutMs);
    }
    this.state = 'stopped';
    const lost = this.queue.failAll((m) => new PublishError('link_closed', `MQTT link shut down before ${m.topic} was acknowledged`));
    if (lost > 0) this.log.warn({ lost }, 'shut down with unacknowledged messages');
    this.connection.set(false);
    this.log.info('MQTT link shut down');
  }

  private async endClient(client: MqttClient, timeoutMs: number): Promise<void> {
    // A normal DISCONNECT makes the broker discard the Last Will: the offline status is already retained.
    const ended = new Promise<void>((resolve) => client.end(!this.connection.connected || !this.queue.isEmpty, {}, () => resolve()));
    await this.timeout(ended, timeoutMs).catch(() => {
      this.log.warn('broker did not close the connection in time; dropping it');
      client.stream?.destroy();
    });
  }

  private attempt(): void {
    const client = this.client;
    const endpoint = this.failover.current;
    if (!client || !endpoint || this.state !== 'running') return;
    // MQTT.js builds each connection from client.options, so pointing them at the next URL is the failover.
    Object.assign(client.options, endpoint.options);
    if (endpoint.options.path === undefined) delete client.options.path;
    if (endpoint.options.servername === undefined) delete client.options.servername;
    this.log.debug({ url: endpoint.redacted, attempt: this.failover.attempt }, 'connecting to broker');
    client.connect();
  }

  private onConnect(): void {
    const endpoint = this.failover.current;
    this.failover.connected();
    this.lastErrorText = null;
    const dropped = this.droppedInOutage;
    this.droppedInOutage = 0;
    this.log.info({ url: endpoint?.redacted, clientId: this.clientId, held: this.queue.heldCount, dropped }, 'connected to broker');
    this.connection.set(true);
    this.publishBirth(true);
    this.subscriptions.renew();
  }

  private onClose(): void {
    const wasConnected = this.connection.connected;
    // Internal messages are rebuilt from current state on the next connect; older copies would only repeat it.
    this.queue.dropHeldInternal();
    if (this.state !== 'running') return;
    if (wasConnected) {
      this.log.warn({ url: this.failover.current?.redacted, inflight: this.queue.inflightCount }, 'connection to broker lost');
      this.connection.set(false);
    } else {
      this.failover.attemptFailed();
    }
    this.scheduleReconnect();
  }

  private onError(error: Error & { code?: unknown }): void {
    const code = error.code;
    this.lastErrorText = describeConnectionError(error);
    this.log.warn({ url: this.failover.current?.redacted, code, error: this.lastErrorText }, 'MQTT connection error');
  }

  private scheduleReconnect(): void {
    if (this.state !== 'running') return;
    const delayMs = this.failover.schedule(() => this.attempt());
    if (delayMs !== null) this.log.info({ delayMs, next: this.failover.current?.redacted }, 'reconnecting to broker');
  }

  private publishBirth(reconnected: boolean): void {
    // Ahead of alerts held during the outage, so C5 sees the site online before its backlog.
    for (const message of this.siteStatus.birthMessages(reconnected).reverse()) void this.addStatus(message, true);
  }

  /** Retained JSON status; failures were already logged and counted in send(). */
  private addStatus({ topic, payload }: StatusMessage, front: boolean): Promise<void> {
    return this.queue.add({ topic, payload, retain: true, properties: JSON_PROPERTIES, internal: true }, front).catch((error: unknown) => {
      this.log.debug({ topic, err: toError(error) }, 'status message not delivered');
    });
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
    const payload = this.deps.scrubber ? this.deps.scrubber.scrubPayload(message.payload) : message.payload;
    client.publish(message.topic, payload, { qos: 1, retain: message.retain, properties }, (error?: Error & { code?: unknown }) => {
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
    if (!client || !this.connection.connected) {
      this.countFailure('not_connected');
      return Promise.reject(new PublishError('not_connected', `not connected; QoS 0 message on ${topic} dropped`));
    }
    const properties = options.properties ? { ...options.properties } : undefined;
    return new Promise((resolve, reject) => {
      const scrubbed = this.deps.scrubber ? this.deps.scrubber.scrubPayload(payload) : payload;
      client.publish(topic, scrubbed, { qos: 0, retain: options.retain, properties }, (error) => {
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
        if (this.queue.isEmpty || !this.connection.connected || this.deps.clock.now() >= deadline) resolve();
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
