// A stand-in agent for the kill and broker-restart tests: the agent's real publish side (outbox,
// MQTT link, delivery; createAlertDelivery from the build in dist/), fed schema-valid alerts at a
// steady rate instead of by cameras and a model, so a test can SIGKILL it in seconds.
//
//   node test/helpers/alertGenerator.mjs CONFIG.json --rate 20 --cameras cam-1,cam-2
//
// CONFIG.json: {site: {id}, mqtt: {...}, outbox: {...}} in site-config form. stdout, one line each:
//   ready <lastSeq>                 the outbox is open and the link started
//   stored <seq> <id> <camera>      sink.publish() resolved: the alert is in the outbox
//   stopped                         graceful shutdown done (after SIGTERM)
// stdin: `pause` / `resume` stop and restart generating (delivery goes on). Logs go to stderr.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { v7 as uuidv7 } from 'uuid';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const [{ buildAlert }, { mqttSchema }, { outboxSchema }, { systemClock }, { createRootLogger }, { createAgentMetrics }, { createAlertDelivery }] =
  await Promise.all([
    load('pipelines/alerts.js'),
    load('pipelines/config/mqttSchema.js'),
    load('pipelines/config/outboxSchema.js'),
    load('agent/clock.js'),
    load('agent/observe/logger.js'),
    load('agent/observe/metrics.js'),
    load('agent/outbox/createAlertDelivery.js'),
  ]);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: 'string', default: '20' }, cameras: { type: 'string', default: 'cam-1,cam-2,cam-3' } },
});
const raw = JSON.parse(readFileSync(positionals[0], 'utf8'));
const config = { version: 1, site: raw.site, mqtt: mqttSchema.parse(raw.mqtt), outbox: outboxSchema.parse(raw.outbox ?? {}) };
const cameras = values.cameras.split(',');
const intervalMs = 1000 / Number(values.rate);

const logger = createRootLogger({ level: process.env.C5_LOG_LEVEL ?? 'info', destination: process.stderr });
const metrics = createAgentMetrics({ siteId: config.site.id, version: 'generator', defaultMetrics: false });
const publish = createAlertDelivery({ config, env: process.env, agentVersion: 'generator', clock: systemClock, logger, metrics });
// Pipes to a parent are synchronous on Linux: a line written is a line the test sees, even on SIGKILL.
const say = (line) => process.stdout.write(`${line}\n`);

publish.start();
say(`ready ${publish.outbox.lastSeq}`);

let paused = false;
let count = 0;
const timer = setInterval(() => {
  if (paused) return;
  const cameraId = cameras[count % cameras.length];
  count += 1;
  const now = Date.now();
  const alert = buildAlert(
    { siteId: config.site.id, cameraId, model: { name: 'generator', sha256: 'a'.repeat(64) }, config: { version: 1, sha256: 'b'.repeat(64) } },
    {
      id: uuidv7(),
      seq: publish.nextSeq(),
      ruleId: 'people',
      type: 'object_present',
      state: 'start',
      severity: 'medium',
      track: {
        id: count,
        label: 'person',
        classId: 0,
        box: [0.1, 0.2, 0.3, 0.6],
        score: 0.9,
        scores: [0.9],
        firstSeen: now,
        lastSeen: now,
        anchors: [],
        misses: 0,
      },
      frameTime: now,
      now,
    },
  );
  publish.sink.publish(alert).then(
    () => say(`stored ${alert.seq} ${alert.id} ${cameraId}`),
    (error) => logger.error({ err: error, seq: alert.seq }, 'generator: alert not stored'),
  );
}, intervalMs);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'pause') paused = true;
  if (line.trim() === 'resume') paused = false;
});

process.once('SIGTERM', () => {
  clearInterval(timer);
  publish.stop().then(
    () => {
      say('stopped');
      process.exit(0);
    },
    (error) => {
      logger.error({ err: error }, 'generator: shutdown failed');
      process.exit(1);
    },
  );
});
