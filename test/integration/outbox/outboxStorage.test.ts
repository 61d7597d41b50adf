import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { createAlertDelivery, type AlertDelivery } from '../../../agent/outbox/createAlertDelivery.js';
import { mqttSchema } from '../../../pipelines/config/mqttSchema.js';
import { outboxSchema } from '../../../pipelines/config/outboxSchema.js';
import { makeAlert } from '../../helpers/alertFixture.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type CollectedMessage, type MqttCollector } from '../../helpers/mqttCollector.js';
import { outboxRows } from '../../helpers/outboxFile.js';
import { requirePrerequisite } from '../../helpers/prerequisites.js';
import { waitFor } from '../../helpers/recordingListener.js';

/**
 * The outbox file failing under a running agent: a corrupt file, a full disk and a read-only
 * volume (real ones: a size-limited tmpfs, remounted read-only). The agent must keep delivering
 * from memory, say `degraded` with the reason, and go back to the file once it can.
 */

const SITE = 'storage-site';
const exec = promisify(execFile);
let dir: string;
let broker: MosquittoBroker;
let centre: MqttCollector;
let delivery: AlertDelivery | undefined;
const mounts: string[] = [];

/** A tmpfs of `sizeKb` (needs CAP_SYS_ADMIN, as root in a container); null where mounting is not allowed. */
async function mountTmpfs(sizeKb: number): Promise<string | null> {
  const target = await mkdtemp(join(tmpdir(), 'c5-tmpfs-'));
  try {
    await exec('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', target]);
    mounts.push(target);
    return target;
  } catch {
    // not allowed here (no privileges): the test that needs it is skipped, saying so (fails under CI=true)
    await rm(target, { recursive: true, force: true });
    return null;
  }
}

function start(path: string): AlertDelivery {
  delivery = createAlertDelivery({
    config: {
      version: 1,
      site: { id: SITE },
      mqtt: mqttSchema.parse({ urls: [broker.url], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 1 }),
      outbox: outboxSchema.parse({ path, retrySeconds: 0.2, memoryMaxMessages: 50 }),
    },
    env: {},
    agentVersion: 'test',
    clock: systemClock,
    logger: createRootLogger({ level: 'silent' }),
    metrics: createAgentMetrics({ siteId: SITE, version: 'test', defaultMetrics: false }),
  });
  delivery.start();
  return delivery;
}

async function publish(agent: AlertDelivery): Promise<string> {
  const alert = { ...makeAlert({ siteId: SITE }), seq: agent.nextSeq() };
  await agent.sink.publish(alert);
  return alert.id;
}

const siteStatus =
  (state: string, reasons?: string[]) =>
  (m: CollectedMessage): boolean =>
    m.topic === `c5/${SITE}/status` &&
    (m.payload as { state?: string }).state === state &&
    JSON.stringify((m.payload as { reasons?: string[] }).reasons) === JSON.stringify(reasons);
const arrived =
  (id: string) =>
  (m: CollectedMessage): boolean =>
    (m.payload as { id?: string }).id === id;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c5-storage-'));
  await mkdir(join(dir, 'broker'));
  // One test stops the broker: the centre's persistent session keeps its subscription across that.
  broker = await startMosquitto({ config: `persistence true\npersistence_location ${join(dir, 'broker')}/` });
  centre = await collectMqtt({
    url: broker.url,
    topics: `c5/${SITE}/#`,
    clientId: 'c5-centre-storage',
    clientOptions: { clean: false, properties: { sessionExpiryInterval: 600 } },
  });
}, 30_000);

afterEach(async () => {
  await delivery?.stop();
  delivery = undefined;
  centre.clear();
});

afterAll(async () => {
  await centre?.close();
  await broker?.stop();
  for (const target of mounts) await exec('umount', [target]).catch(() => exec('umount', ['-l', target]));
  for (const target of mounts) rmSync(target, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

describe('outbox storage failures', () => {
  it('a corrupt file: degraded with the reason, alerts delivered from memory, back to the file once it is moved aside', async () => {
    const path = join(dir, 'corrupt.sqlite');
    await writeFile(path, 'this is not an SQLite database, whatever its name says\n'.repeat(100));
    const agent = start(path);
    expect(agent.outbox.health).toMatchObject({ code: 'outbox_corrupt' });
    expect(agent.outbox.health?.message).toContain('move it aside');
    await centre.waitFor(siteStatus('degraded', ['outbox_unwritable']), 5_000);
    const held = await publish(agent);
    await centre.waitFor(arrived(held), 5_000);

    await rename(path, `${path}.bad`);
    await centre.waitFor(siteStatus('online', undefined), 5_000);
    expect(agent.outbox.writable).toBe(true);
    // Delivered while the file was broken, so nothing moved into it; a new alert is stored there.
    expect(outboxRows(path)).toBe(0);
    const later = await publish(agent);
    await centre.waitFor(arrived(later), 5_000);
  });

  it('a full disk: alerts wait in memory while the disk is full and move into the file when space returns', async (ctx) => {
    const volume = await mountTmpfs(512);
    requirePrerequisite(ctx, volume, 'mounting a size-limited tmpfs is not permitted here (it needs root or CAP_SYS_ADMIN)');
    const path = join(volume, 'outbox.sqlite');
    await broker.stop();
    const agent = start(path);
    await publish(agent);
    // Fill the volume to its last byte: the write fails part-way, which is the point.
    try {
      writeFileSync(join(volume, 'filler'), Buffer.alloc(1024 * 1024));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const ids: string[] = [];
    for (let n = 0; n < 40 && agent.outbox.writable; n += 1) ids.push(await publish(agent));
    expect(agent.outbox.health).toMatchObject({ code: 'outbox_full' });
    ids.push(await publish(agent));
    expect(agent.outbox.stats().messages).toBe(ids.length + 1);

    rmSync(join(volume, 'filler'));
    await waitFor('the outbox writable again', () => agent.outbox.writable, 5_000);
    // Recovered while the broker is still away: what waited in memory is on disk now.
    expect(outboxRows(path)).toBe(ids.length + 1);
    await broker.start();
    for (const id of ids) await centre.waitFor(arrived(id), 10_000);
    await waitFor('the outbox file empty', () => outboxRows(path) === 0, 5_000);
  });

  it('a read-only volume at start: degraded, alerts delivered from memory, the file created once it is writable', async (ctx) => {
    const volume = await mountTmpfs(512);
    requirePrerequisite(ctx, volume, 'mounting a tmpfs is not permitted here (it needs root or CAP_SYS_ADMIN)');
    await mkdir(join(volume, 'state'));
    await exec('mount', ['-o', 'remount,ro', volume]);
    const path = join(volume, 'state', 'outbox.sqlite');
    const agent = start(path);
    expect(agent.outbox.health).toMatchObject({ code: 'outbox_read_only' });
    expect(agent.outbox.health?.message).toContain('EROFS');
    const held = await publish(agent);
    await centre.waitFor(arrived(held), 5_000);

    await exec('mount', ['-o', 'remount,rw', volume]);
    await centre.waitFor(siteStatus('online', undefined), 5_000);
    const later = await publish(agent);
    await centre.waitFor(arrived(later), 5_000);
    expect(agent.outbox.lastSeq).toBeGreaterThan(0);
  });
});
