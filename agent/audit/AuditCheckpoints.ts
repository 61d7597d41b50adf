import { AUDIT_CHECKPOINT_SCHEMA_NAME, type AuditCheckpoint } from '../../pipelines/auditCheckpoint.js';
import { toError } from '../../pipelines/errors.js';
import type { Clock, Timer } from '../clock.js';
import type { MessagePublisher, PublishOptions } from '../MessagePublisher.js';
import { signAuditCheckpoint } from './auditCheckpointSignature.js';
import type { AuditRef } from './auditRecord.js';
import type { CheckpointKey } from './checkpointKey.js';
import type { Logger } from '../observe/logger.js';

export interface AuditCheckpointsDeps {
  /** the audit log's newest record (AuditLog.last) */
  readonly head: () => AuditRef;
  readonly key: CheckpointKey;
  readonly siteId: string;
  /** `{prefix}/{site}/audit/checkpoint` */
  readonly topic: string;
  /** the agent's MQTT link: QoS 1 is held while the broker is away and sent on reconnect */
  readonly link: MessagePublisher;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

const CHECKPOINT_OPTIONS: PublishOptions = {
  // Retained: a centre that subscribes later still gets the newest head; QoS 1: none is lost to a blip.
  qos: 1,
  retain: true,
  properties: { contentType: 'application/json', payloadFormatIndicator: true, userProperties: { schema: AUDIT_CHECKPOINT_SCHEMA_NAME } },
};

/**
 * Signs the audit log's head with the box's key and publishes it: once at start, then every
 * interval when the head has moved, and once more at stop. The centre keeps what it receives,
 * which anchors the log outside the box (`c5-agent audit verify DIR --checkpoints FILE`).
 * Nothing is written to the audit log itself: a record per checkpoint would move the head
 * every time and make every interval sign again.
 */
export class AuditCheckpoints {
  private readonly deps: AuditCheckpointsDeps;
  private readonly log: Logger;
  private timer: Timer | undefined;
  private latestSigned: AuditCheckpoint | undefined;
  /** the head last handed to the link; cleared when that publish fails, so the next tick sends again */
  private sent: AuditRef | undefined;
  /** one checkpoint at a time waits for its PUBACK: in an outage they would otherwise pile up in the link's queue beside the alerts */
  private inFlight = false;
  private state: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(deps: AuditCheckpointsDeps) {
    this.deps = deps;
    this.log = deps.logger.child({ component: 'audit-checkpoint' });
  }

  /** The newest checkpoint signed, for the stats message; undefined before the first. */
  get latest(): AuditCheckpoint | undefined {
    return this.latestSigned;
  }

  /** Publishes the head now and starts the interval. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.publishIfMoved();
    this.timer = this.deps.clock.setInterval(() => this.publishIfMoved(), this.deps.intervalMs);
  }

  /**
   * Once: stops the interval and publishes the head if it moved. Does not wait for the PUBACK:
   * the link's own shutdown waits (bounded) for what is in flight, and waiting here for a broker
   * that is away would hold the agent's stop until the link gave up.
   */
  stop(): void {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.timer?.cancel();
    this.timer = undefined;
    if (wasRunning) this.publishIfMoved();
  }

  private publishIfMoved(): void {
    // At stop the newest head goes out even behind one still waiting: at most two are ever held.
    if (this.inFlight && this.state === 'running') return;
    const head = this.deps.head();
    // seq 0: a log that never opened has nothing to anchor.
    if (head.seq === 0 || (this.sent?.seq === head.seq && this.sent.hash === head.hash)) return;
    const checkpoint = signAuditCheckpoint(head, this.deps.siteId, this.deps.clock.now(), this.deps.key);
    this.latestSigned = checkpoint;
    this.sent = head;
    this.inFlight = true;
    this.deps.link
      .publish(this.deps.topic, JSON.stringify(checkpoint), CHECKPOINT_OPTIONS)
      .catch((error: unknown) => {
        // At most one line per interval; the link's publish-failure metric counts it too.
        const next = this.state === 'running' ? '; the next interval sends it again' : ' before stop';
        this.log.warn({ err: toError(error), topic: this.deps.topic, seq: head.seq }, `audit checkpoint not published${next}`);
        if (this.sent === head) this.sent = undefined;
      })
      .finally(() => {
        this.inFlight = false;
      });
  }
}
