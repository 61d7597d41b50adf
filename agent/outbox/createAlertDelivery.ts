import { outboxPathFrom } from '../../pipelines/config/outboxSchema.js';
import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import type { Clock } from '../clock.js';
import type { AuditEntry } from '../audit/auditRecord.js';
import type { Logger } from '../observe/logger.js';
import type { SecretScrubber } from '../observe/SecretScrubber.js';
import type { AgentMetrics } from '../observe/metrics.js';
import { alertProperties } from './alertMessage.js';
import { FallbackOutbox } from './FallbackOutbox.js';
import { MqttLink } from '../mqtt/MqttLink.js';
import { OutboxAlertSink } from './OutboxAlertSink.js';
import { OutboxDelivery } from './OutboxDelivery.js';
import { SqliteOutbox } from './SqliteOutbox.js';
import { readTlsMaterial } from '../mqtt/tlsFiles.js';

export interface AlertDeliveryDeps {
  /** validated, secrets resolved */
  readonly config: Pick<SiteConfig, 'site' | 'mqtt' | 'outbox' | 'version' | 'fleet'>;
  /** for `C5_OUTBOX_PATH` when the config names no outbox file */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly agentVersion: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AgentMetrics;
  readonly audit?: { append(entry: AuditEntry): unknown };
  /** handed to the MQTT link, which scrubs every payload it sends */
  readonly scrubber?: SecretScrubber;
  readonly random?: () => number;
}

/** Site status reasons this side raises. */
export const DEGRADED_OUTBOX = 'outbox_unwritable';
export const DEGRADED_REFUSED = 'publish_refused';

export interface AlertDelivery {
  readonly link: MqttLink;
  readonly outbox: FallbackOutbox;
  readonly delivery: OutboxDelivery;
  /** the pipeline's AlertSink: resolves once the alert is stored */
  readonly sink: OutboxAlertSink;
  /** the per-agent alert seq, continued from the outbox */
  nextSeq(): number;
  /** opens the connection and starts draining the outbox */
  start(): void;
  /** idempotent: refuses new alerts, waits (bounded) for PUBACKs in flight, says offline, closes the outbox */
  stop(): Promise<void>;
}

/**
 * The publish side of the agent: durable outbox, MQTT link and the delivery loop between them.
 * Built here so the agent and the test alert generator run exactly the same wiring. Throws a
 * ConfigError when a TLS file named in the config cannot be read; a failing outbox file does not
 * throw (the outbox degrades to memory and says so).
 */
export function createAlertDelivery(deps: AlertDeliveryDeps): AlertDelivery {
  const { config, clock, logger, metrics } = deps;
  const { mqtt, outbox: settings } = config;
  const siteId = config.site.id;
  const link = new MqttLink({
    config: mqtt,
    siteId,
    agentVersion: deps.agentVersion,
    configVersion: config.version,
    clock,
    logger,
    metrics,
    tls: readTlsMaterial(mqtt.tls),
    ...(config.fleet ? { maxIncomingPayloadBytes: config.fleet.maxPushBytes } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.scrubber ? { scrubber: deps.scrubber } : {}),
  });
  const limits = { maxMessages: settings.maxMessages, maxBytes: settings.maxBytes };
  const path = outboxPathFrom(settings, deps.env);
  const outbox = new FallbackOutbox({
    // The frame thread never waits for the disk: alerts are flushed off-thread, a group at a time.
    open: () => SqliteOutbox.open(path, limits, { durability: 'deferred', logger }),
    memory: { maxMessages: settings.memoryMaxMessages, maxBytes: settings.maxBytes },
    retryMs: settings.retrySeconds * 1000,
    clock,
    logger,
    onHealthChange: (failure) => link.setDegraded(DEGRADED_OUTBOX, failure !== null),
  });
  if (outbox.health) link.setDegraded(DEGRADED_OUTBOX, true);
  const delivery = new OutboxDelivery({
    outbox,
    link,
    properties: alertProperties(mqtt.protocolVersion === 5 ? mqtt.messageExpirySeconds : undefined),
    maxAgeMs: settings.maxAgeHours * 3_600_000,
    clock,
    logger,
    metrics,
    ...(deps.audit ? { audit: deps.audit } : {}),
    onRefusedChange: (refused) => link.setDegraded(DEGRADED_REFUSED, refused),
    // The outbox file is retried as often as the config asks, within the regular upkeep.
    maintenanceIntervalMs: Math.min(5_000, settings.retrySeconds * 1000),
    retryMinMs: mqtt.reconnectMinSeconds * 1000,
    retryMaxMs: mqtt.reconnectMaxSeconds * 1000,
    ...(deps.random ? { random: deps.random } : {}),
  });
  const sink = new OutboxAlertSink({ outbox, stored: (drops) => delivery.stored(drops), prefix: mqtt.prefix, siteId, clock });

  let stopping: Promise<void> | undefined;
  return {
    link,
    outbox,
    delivery,
    sink,
    nextSeq: () => outbox.nextSeq(),
    start() {
      link.start();
      delivery.start();
    },
    stop() {
      stopping ??= (async () => {
        await sink.stop();
        delivery.stop();
        // The link waits (bounded) for the PUBACKs of what is in flight; what is left stays in the outbox.
        await link.stop();
        delivery.flush();
        outbox.close();
      })();
      return stopping;
    },
  };
}
