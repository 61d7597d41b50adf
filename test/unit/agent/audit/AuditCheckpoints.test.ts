import { afterEach, describe, expect, it } from 'vitest';
import { AuditCheckpoints } from '../../../../agent/audit/AuditCheckpoints.js';
import { checkAuditCheckpointSignature } from '../../../../agent/audit/auditCheckpointSignature.js';
import type { AuditLog } from '../../../../agent/audit/AuditLog.js';
import { loadOrCreateCheckpointKey } from '../../../../agent/audit/checkpointKey.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import type { PublishOptions } from '../../../../agent/mqtt/MqttLink.js';
import { auditCheckpointSchema, type AuditCheckpoint } from '../../../../pipelines/auditCheckpoint.js';
import { PublishError } from '../../../../pipelines/errors.js';
import { LATE_EVENING, openTestLog, readRecords, tempAuditDir } from '../../../helpers/auditLog.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const logger = createRootLogger({ level: 'silent' });
const TOPIC = 'c5/north/audit/checkpoint';
const INTERVAL_MS = 60_000;

class RecordingLink {
  readonly sent: { topic: string; checkpoint: AuditCheckpoint; options: PublishOptions }[] = [];
  refuse = false;
  /** while set, publishes are recorded but their PUBACK does not come until ack() */
  holdAcks = false;
  private readonly waiting: (() => void)[] = [];
  async publish(topic: string, payload: string, options: PublishOptions): Promise<void> {
    if (this.refuse) throw new PublishError('queue_full', `publish queue full; message on ${topic} dropped`);
    this.sent.push({ topic, checkpoint: auditCheckpointSchema.parse(JSON.parse(payload)), options });
    if (this.holdAcks) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  ack(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const logs: AuditLog[] = [];
afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.stop()));
});

/** A real audit log on disk with two records, a ManualClock, and a publisher not yet started. */
function setUp() {
  const clock = new ManualClock(LATE_EVENING - 3_600_000);
  const dir = tempAuditDir();
  const log = openTestLog(dir, { clock });
  logs.push(log);
  log.append({ type: 'sample', n: 1 });
  log.append({ type: 'sample', n: 2 });
  const link = new RecordingLink();
  const key = loadOrCreateCheckpointKey(`${dir}-checkpoint-key.pem`, logger);
  const checkpoints = new AuditCheckpoints({ head: () => log.last, key, siteId: 'north', topic: TOPIC, link, intervalMs: INTERVAL_MS, clock, logger });
  /** the record on disk with this seq: what the checkpoint must name */
  const onDisk = async (seq: number) => {
    await log.flush();
    const record = readRecords(dir).find((r) => r.seq === seq)!;
    return { seq: record.seq, hash: record.hash };
  };
  return { clock, log, link, key, checkpoints, onDisk };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AuditCheckpoints', () => {
  it('publishes the signed head at start, retained with QoS 1, on {prefix}/{site}/audit/checkpoint', async () => {
    const { clock, link, key, checkpoints, onDisk } = setUp();
    checkpoints.start();
    await settle();
    expect(link.sent).toHaveLength(1);
    const [first] = link.sent;
    expect(first!.topic).toBe(TOPIC);
    expect(first!.options).toMatchObject({ qos: 1, retain: true });
    expect(first!.options.properties?.userProperties).toEqual({ schema: 'c5.audit-checkpoint.v1' });
    expect(first!.checkpoint).toMatchObject({ ...(await onDisk(2)), siteId: 'north', keyId: key.keyId, time: new Date(clock.now()).toISOString() });
    expect(checkAuditCheckpointSignature(first!.checkpoint).ok).toBe(true);
    expect(checkpoints.latest).toEqual(first!.checkpoint);
    checkpoints.stop();
  });

  it('publishes on the interval only when the head has moved', async () => {
    const { clock, log, link, checkpoints, onDisk } = setUp();
    checkpoints.start();
    clock.advance(INTERVAL_MS * 3);
    await settle();
    expect(link.sent).toHaveLength(1);

    log.append({ type: 'sample', n: 3 });
    log.append({ type: 'sample', n: 4 });
    clock.advance(INTERVAL_MS - 1);
    await settle();
    expect(link.sent).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(link.sent).toHaveLength(2);
    expect(link.sent[1]!.checkpoint).toMatchObject({ ...(await onDisk(4)), time: new Date(clock.now()).toISOString() });

    clock.advance(INTERVAL_MS * 2);
    await settle();
    expect(link.sent).toHaveLength(2);
    checkpoints.stop();
  });

  it('publishes once more at stop when the head moved, only once, and nothing afterwards', async () => {
    const { clock, log, link, checkpoints, onDisk } = setUp();
    checkpoints.start();
    log.append({ type: 'sample', n: 3 });
    checkpoints.stop();
    checkpoints.stop();
    await settle();
    expect(link.sent.map((s) => s.checkpoint.seq)).toEqual([2, 3]);
    expect(link.sent[1]!.checkpoint).toMatchObject(await onDisk(3));
    expect(clock.pendingCount).toBe(1); // the audit log's own fsync timer, nothing of the publisher's

    log.append({ type: 'sample', n: 4 });
    clock.advance(INTERVAL_MS * 2);
    checkpoints.start();
    await settle();
    expect(link.sent).toHaveLength(2);
  });

  it('stops without publishing when the head has not moved since the last checkpoint', async () => {
    const { link, checkpoints } = setUp();
    checkpoints.start();
    checkpoints.stop();
    await settle();
    expect(link.sent).toHaveLength(1);
  });

  it('sends again at the next interval when the link refused a checkpoint, even if the head has not moved', async () => {
    const { clock, link, checkpoints, onDisk } = setUp();
    link.refuse = true;
    checkpoints.start();
    await settle();
    expect(link.sent).toHaveLength(0);
    link.refuse = false;
    clock.advance(INTERVAL_MS);
    await settle();
    expect(link.sent).toHaveLength(1);
    expect(link.sent[0]!.checkpoint).toMatchObject(await onDisk(2));
    checkpoints.stop();
  });

  it('holds one checkpoint at a time while the broker has not acknowledged the last, then sends the newest head', async () => {
    const { clock, log, link, checkpoints, onDisk } = setUp();
    link.holdAcks = true;
    checkpoints.start();
    for (let n = 3; n <= 5; n += 1) {
      log.append({ type: 'sample', n });
      clock.advance(INTERVAL_MS);
      await settle();
    }
    expect(link.sent.map((s) => s.checkpoint.seq)).toEqual([2]);
    link.ack();
    await settle();
    clock.advance(INTERVAL_MS);
    await settle();
    expect(link.sent.map((s) => s.checkpoint.seq)).toEqual([2, 5]);
    expect(link.sent[1]!.checkpoint).toMatchObject(await onDisk(5));

    // at stop the newest head still goes out behind one that waits
    log.append({ type: 'sample', n: 6 });
    checkpoints.stop();
    await settle();
    expect(link.sent.map((s) => s.checkpoint.seq)).toEqual([2, 5, 6]);
    link.ack();
  });
});
