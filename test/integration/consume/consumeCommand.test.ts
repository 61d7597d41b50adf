import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAlert } from '../../helpers/alertFixture.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type MqttCollector } from '../../helpers/mqttCollector.js';
import { startCli, type CliProcess } from '../../helpers/runCli.js';

// A scripted ground truth through a real Mosquitto into the built CLI (`npm run build` first):
// every count below is worked out by hand from the messages published, in the order published.

const SITE_STATUS = { state: 'online', siteId: 'site-a', version: '0.1.0', configVersion: 3, startedAt: '2026-11-29T02:00:00.000Z' };
const CAMERA_STATUS = { cameraId: 'cam-1', state: 'offline', reason: 'stalled', detail: 'no frame for 10 s', since: '2026-11-29T02:01:00.000Z' };
const CONFIG_STATE = {
  siteId: 'site-a',
  status: 'applied',
  version: 3,
  sha256: 'a'.repeat(64),
  keyId: 'fleet-2026',
  origin: 'mqtt',
  running: { version: 3, sha256: 'a'.repeat(64) },
  changes: { added: [], removed: [], restarted: ['cam-1'], reconfigured: [] },
  time: '2026-11-29T02:00:30.000Z',
};
const STATS = {
  schema: 'c5.stats.v1',
  siteId: 'site-a',
  at: '2026-11-29T02:02:00.000Z',
  periodSeconds: 60,
  configVersion: 3,
  mqttConnected: true,
  cameras: [],
  inference: [],
  alerts: { published: 0, failed: 0 },
  outbox: { depth: 0, oldestAgeSeconds: 0 },
};

function alert(cameraId: string, seq: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...makeAlert({ siteId: 'site-a', cameraId, frameTime: Date.parse('2026-11-29T02:03:00.000Z') }), seq, ...extra };
}

async function waitForOutput(cli: CliProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(cli.stdout())) {
    if (Date.now() > deadline) throw new Error(`consume printed no ${String(pattern)} within ${timeoutMs} ms; stdout ${cli.stdout()} stderr ${cli.stderr()}`);
    if (cli.child.exitCode !== null) throw new Error(`consume exited ${cli.child.exitCode}: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('c5-agent consume', () => {
  let broker: MosquittoBroker;
  let publisher: MqttCollector;
  beforeAll(async () => {
    broker = await startMosquitto();
    // publishes the test's own payloads, including broken ones, on the agent's topics
    publisher = await collectMqtt({ url: broker.url, topics: ['unused/none'], contract: false });
    const retain = { qos: 1, retain: true } as const;
    await publisher.client.publishAsync('c5/site-a/status', JSON.stringify(SITE_STATUS), retain);
    await publisher.client.publishAsync('c5/site-a/cam-1/status', JSON.stringify(CAMERA_STATUS), retain);
    await publisher.client.publishAsync('c5/site-a/config/state', JSON.stringify(CONFIG_STATE), retain);
  });
  afterAll(async () => {
    await publisher?.close();
    await broker?.stop();
  });

  it('validates, de-duplicates, checks seq order and counts every kind of message, exiting 1 on invalid ones', async () => {
    const cli = startCli(['consume', '--broker', broker.url, '--json', '--count', '5', '--duration', '30'], { timeoutMs: 40_000 });
    // the retained site status arrives right after SUBACK: from then on the consumer hears everything
    await waitForOutput(cli, /"channel":"siteStatus"/, 15_000);
    const first = alert('cam-1', 10);
    const send = (topic: string, payload: string | Buffer): Promise<unknown> => publisher.client.publishAsync(topic, payload, { qos: 1 });
    await send('c5/site-a/cam-1/alerts', JSON.stringify(first)); // distinct 1
    await send('c5/site-a/cam-1/alerts', JSON.stringify(first)); // duplicate
    await send('c5/site-a/cam-2/alerts', JSON.stringify(alert('cam-2', 11))); // distinct 2
    await send('c5/site-a/cam-1/alerts', JSON.stringify(alert('cam-1', 14))); // distinct 3, site gap: 12 and 13 not seen
    await send('c5/site-a/cam-1/alerts', JSON.stringify(alert('cam-1', 12))); // distinct 4, out of order on cam-1 (after 14)
    await send('c5/site-a/cam-1/alerts', 'not json \u001b[31m at all'); // invalid: not_json
    await send('c5/site-a/stats', JSON.stringify(STATS));
    await send('c5/site-a/stats', Buffer.alloc(300 * 1024, 0x7b)); // invalid: too_large
    await send('c5/site-a/cam-2/alerts', JSON.stringify(alert('cam-2', 20, { extra: 1 }))); // invalid: unknown key
    await send('c5/site-a/cam-2/alerts', JSON.stringify({ ...alert('cam-2', 21), siteId: 'site-b' })); // invalid: topic_mismatch
    await send('c5/site-a/cam-2/alerts', JSON.stringify(alert('cam-2', 13))); // distinct 5: --count reached
    const result = await cli.done;

    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { channel?: string; summary?: Record<string, unknown> });
    const summary = lines.at(-1)?.summary;
    // 3 retained + 6 alerts (one a duplicate) + 1 stats + 4 invalid
    expect(summary).toEqual({
      messages: 14,
      byChannel: { siteStatus: 1, cameraStatus: 1, alerts: 6, stats: 1, configPush: 0, configState: 1, auditCheckpoint: 0 },
      alerts: 5,
      invalid: 4,
      duplicates: 1,
      outOfOrder: 1,
      seqGaps: 2,
    });
    expect(lines.slice(0, -1).map((line) => line.channel)).toEqual([
      'siteStatus',
      'cameraStatus',
      'configState',
      'alerts',
      'alerts',
      'alerts',
      'alerts',
      'stats',
      'alerts',
    ]);
    expect(result.stderr).toMatch(/duplicate alert [0-9a-f-]{36} \(seq 10\) on site-a\/cam-1/);
    expect(result.stderr).toMatch(/alert seq 14 on site site-a after seq 11: 2 seq number\(s\) not seen/);
    expect(result.stderr).toMatch(/alert seq 12 on site-a\/cam-1 after seq 14: out of order/);
    expect(result.stderr).toMatch(/invalid message on "c5\/site-a\/cam-1\/alerts": not_json: not JSON: starts "not json \\u001b\[31m at all"/);
    expect(result.stderr).toMatch(/invalid message on "c5\/site-a\/stats": too_large: 307200 bytes/);
    expect(result.stderr).toMatch(/invalid message on "c5\/site-a\/cam-2\/alerts": invalid: .*unknown key\(s\) "extra"/);
    expect(result.stderr).toMatch(/invalid message on "c5\/site-a\/cam-2\/alerts": topic_mismatch: siteId "site-b" on the topic of site "site-a"/);
    // no raw control character from the hostile payload reached the terminal
    expect(result.stderr).not.toContain('\u001b');
  }, 60_000);

  it('prints one line per alert for people, quoting hostile text, and exits 0 when everything was valid', async () => {
    const cli = startCli(['consume', '--broker', broker.url, '--site', 'site-a', '--count', '1', '--duration', '30'], { timeoutMs: 40_000 });
    await waitForOutput(cli, /site online/, 15_000);
    const hostile = alert('cam-1', 30, { ruleId: 'rule\u001b[2Jwipe' });
    await publisher.client.publishAsync('c5/site-b/cam-1/alerts', JSON.stringify({ ...alert('cam-1', 1), siteId: 'site-b' }), { qos: 1 }); // another site: not subscribed
    await publisher.client.publishAsync('c5/site-a/cam-1/alerts', JSON.stringify(hostile), { qos: 1 });
    const result = await cli.done;

    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('2026-11-29T02:00:00.000Z  site-a  site online, agent 0.1.0, config version 3');
    expect(lines[1]).toBe('2026-11-29T02:01:00.000Z  site-a  camera cam-1 offline: stalled "no frame for 10 s"');
    expect(lines[2]).toBe('2026-11-29T02:00:30.000Z  site-a  config applied version 3, running version 3');
    expect(lines[3]).toMatch(
      /^site-a {2}2026-11-29T02:03:00\.000Z {2}cam-1 {2}"rule\\u001b\[2Jwipe" start person #4 score 0\.90 box \[0\.100, 0\.200, 0\.300, 0\.600\] {2}id [0-9a-f-]{36} {2}seq 30 medium$/,
    );
    expect(lines[4]).toBe(
      'consumed 4 messages: 1 alerts (0 duplicates), 1 site status, 1 camera status, 0 stats, 1 config state, 0 audit checkpoints; 0 invalid, 0 out of order, 0 seq numbers missing',
    );
    expect(result.stdout).not.toContain('\u001b');
  }, 60_000);

  it('refuses a missing --broker and a --site that is not a site id as usage errors (2)', async () => {
    const missing = await startCli(['consume']).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--broker is needed/);
    const wildcard = await startCli(['consume', '--broker', broker.url, '--site', '+']).done;
    expect(wildcard.code).toBe(2);
    expect(wildcard.stderr).toMatch(/--site "\+": expected a site id/);
  });
});
