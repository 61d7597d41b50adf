import { availableParallelism } from 'node:os';
import type { CameraConfig } from '../pipelines/config/siteConfig.js';
import { v7 as uuidv7 } from 'uuid';
import { sessionSettingsFor } from '../pipelines/config/inferenceSchema.js';
import { toError } from '../pipelines/errors.js';
import { CameraSupervisor, type CameraSupervisorDeps } from './CameraSupervisor.js';
import type { Clock } from './clock.js';
import { configSecrets } from './config/configSecrets.js';
import { labelError } from './config/checkSiteConfig.js';
import { loadModelLabels } from './config/loadModelLabels.js';
import { loadSiteConfigFile, type LoadedSiteConfig } from './config/loadSiteConfig.js';
import { ConfigApplier, type FleetTarget, type PushOutcome } from './fleet/ConfigApplier.js';
import { ConfigFileReload } from './fleet/ConfigFileReload.js';
import { FleetManager } from './fleet/FleetManager.js';
import { selectStartupConfig } from './fleet/selectStartupConfig.js';
import { openDetector } from './inference/openDetector.js';
import { FfmpegFrameSource } from './ingest/FfmpegFrameSource.js';
import { resolveFfmpegPath } from './ingest/resolveFfmpegPath.js';
import { probeHwDecodeCapabilities } from './ingest/probeHwDecode.js';
import { agentStoppedEntry } from './audit/auditEntries.js';
import { openAuditCheckpoints } from './audit/openAuditCheckpoints.js';
import { AuditRecorder } from './audit/DecisionRecorder.js';
import { HttpServer, metricsAuthFrom } from './observe/HttpServer.js';
import { openAgentAuditLog, withAuditHealth } from './audit/openAgentAuditLog.js';
import { StatsPublisher } from './observe/StatsPublisher.js';
import { statsTopic } from './mqtt/topics.js';
import type { Logger } from './observe/logger.js';
import { MIN_SCRUBBED_SECRET_CHARS, SecretScrubber } from './observe/SecretScrubber.js';
import { createAgentMetrics, type AgentMetrics } from './observe/metrics.js';
import { createAlertDelivery } from './outbox/createAlertDelivery.js';
import type { MqttLink } from './mqtt/MqttLink.js';
import { CapacityMonitor } from './capacity/CapacityMonitor.js';

export interface StartAgentOptions {
  readonly loaded: LoadedSiteConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly version: string;
  /** overrides the config's metrics port (the demo and tests use 0 for a free one) */
  readonly metricsPort?: number;
  /** replaces the ffmpeg sources (the bench feeds frames decoded in advance); default: one ffmpeg child per camera */
  readonly createFrameSource?: CameraSupervisorDeps['createFrameSource'];
  /**
   * The scrubber the root logger writes through (main.ts creates both); every config the agent
   * runs adds its secrets to it, and the MQTT link, audit log and HTTP endpoint scrub with it too.
   * Default: a new one, so only what leaves by MQTT, audit and HTTP is scrubbed.
   */
  readonly scrubber?: SecretScrubber;
}

export interface RunningAgent {
  readonly agent: CameraSupervisor;
  readonly link: MqttLink;
  readonly metrics: AgentMetrics;
  /** takes signed config pushes; undefined when the config has no `fleet` section */
  readonly fleet: FleetManager | undefined;
  /** `http://127.0.0.1:9464` */
  readonly metricsUrl: string;
  /**
   * SIGHUP: re-reads the `--config` file and applies it as a push (origin `local_file`); resolves
   * with the verdict. Reloads and pushes run one at a time.
   */
  reload(): Promise<PushOutcome>;
  /** idempotent: stops intake, flushes in-flight alerts, says `offline`, closes the endpoint */
  stop(): Promise<void>;
}

/**
 * The composition root: the one place that builds the real I/O objects (ffmpeg children, ONNX
 * sessions, the MQTT connection, the HTTP endpoint) and hands each component its dependencies.
 */
/** How often the capacity estimate is renewed: long enough for /proc's 10 ms ticks to add up. */
const CAPACITY_INTERVAL_MS = 30_000;

export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { env, clock, logger, version } = options;
  /** each camera's decoder as last created, for the capacity estimate (a restart of the camera replaces it) */
  const decoders = new Map<string, { camera: CameraConfig; source: FfmpegFrameSource }>();
  const scrubber = options.scrubber ?? new SecretScrubber();
  const rememberSecrets = (next: LoadedSiteConfig): void => {
    const tooShort = scrubber.addAll(configSecrets(next.config));
    if (tooShort.length > 0) {
      logger.warn(
        { fields: tooShort, minChars: MIN_SCRUBBED_SECRET_CHARS },
        'secrets too short to scrub from logs and messages; they are only redacted in URLs',
      );
    }
  };
  // A rule on a label its model cannot output never fires: refused at start, and on SIGHUP and
  // pushes, like any other config error (`config validate` says the same beforehand).
  // An unreadable registry or labels file fails the model's load later, with its cameras offline
  // and the reason reported; it does not stop the agent, so neither does it here.
  const modelLabels = await loadModelLabels().catch((error: unknown) => {
    logger.warn({ err: toError(error) }, "cannot read the models' labels; the config's labels are not checked");
    return undefined;
  });
  const checkLabels = (next: LoadedSiteConfig): LoadedSiteConfig => {
    const error = modelLabels && labelError(next.config, next.source, modelLabels);
    if (error) throw error;
    return next;
  };
  checkLabels(options.loaded);
  rememberSecrets(options.loaded);
  // The --config file is the bootstrap; a newer pushed config that passed probation wins over it.
  const startup = selectStartupConfig(options.loaded, env, logger);
  const loaded = startup?.loaded ?? options.loaded;
  if (loaded !== options.loaded) rememberSecrets(loaded);
  const { config } = loaded;
  const ffmpegPath = resolveFfmpegPath({ configured: config.ffmpegPath, env, logger: logger.child({ component: 'ingest' }) });
  // probed even when no camera asks for `auto` yet: a config push may, and the log line says what the box can do
  const hwDecodeCapabilities = await probeHwDecodeCapabilities({ ffmpegPath, logger: logger.child({ component: 'ingest' }) });

  const metrics = createAgentMetrics({ siteId: config.site.id, version, configVersion: config.version });
  const audit = openAgentAuditLog({ loaded, env, clock, logger, metrics, version, scrubber });
  // Outbox, MQTT link and the delivery loop between them; the sink resolves once an alert is stored.
  let delivery: ReturnType<typeof createAlertDelivery>;
  try {
    delivery = createAlertDelivery({ config, env, agentVersion: version, clock, logger, metrics, audit, scrubber });
  } catch (error) {
    await audit.stop();
    throw error;
  }
  const { link, sink } = delivery;
  const agent = new CameraSupervisor({
    loaded,
    clock,
    logger,
    metrics,
    sink,
    publishCameraStatus: (status) => link.publishCameraStatus(status),
    isBrokerConnected: () => link.connected,
    isOutboxWritable: () => delivery.outbox.writable,
    nextAlertSeq: () => delivery.nextSeq(),
    createFrameSource:
      options.createFrameSource ??
      ((camera, model) => {
        const source = new FfmpegFrameSource({
          camera,
          sourceUrl: camera.source.url,
          ffmpegPath,
          inputWidth: model.inputWidth,
          inputHeight: model.inputHeight,
          clock,
          logger,
          hwDecodeCapabilities,
          metrics,
        });
        decoders.set(camera.id, { camera, source });
        return source;
      }),
    loadDetector: (name) =>
      openDetector({
        name,
        env,
        sessionOptions: sessionSettingsFor(config.inference, name),
        thread: config.inference.thread,
        workers: config.inference.workers,
        logLevel: logger.level,
        clock,
        metrics,
        logger: logger.child({ component: 'inference' }),
      }),
    newAlertId: () => uuidv7(),
    recorder: new AuditRecorder(audit),
  });
  const http = new HttpServer({
    host: config.metrics.host,
    port: options.metricsPort ?? config.metrics.port,
    registry: metrics.registry,
    readiness: () => withAuditHealth(agent.readiness(), audit),
    logger: logger.child({ component: 'http' }),
    auth: metricsAuthFrom(config.metrics.auth),
    scrubber,
  });
  const checkpoints = openAuditCheckpoints({ config, env, audit, link, clock, logger });
  const stats = config.stats.enabled
    ? new StatsPublisher({
        metrics,
        link,
        topic: statsTopic(config.mqtt.prefix, config.site.id),
        siteId: config.site.id,
        intervalMs: config.stats.intervalSeconds * 1000,
        clock,
        logger,
        auditCheckpoint: () => checkpoints?.latest,
      })
    : undefined;

  await http.start().catch(async (error: unknown) => {
    await audit.stop();
    throw error;
  });
  delivery.start();
  await agent.start();
  metrics.setModels(agent.loadedModels());
  await stats?.start();
  checkpoints?.start();
  const capacity = new CapacityMonitor({
    decoders: () =>
      agent.loaded.config.cameras.flatMap((camera) => {
        const decoder = camera.enabled ? decoders.get(camera.id) : undefined;
        return decoder ? [{ cameraId: camera.id, fps: decoder.camera.analyticsFps, usage: decoder.source.decoderUsage() }] : [];
      }),
    processedFrames: async () => (await metrics.framesTotal.get()).values.reduce((sum, v) => sum + (v.labels['outcome'] === 'processed' ? v.value : 0), 0),
    cores: availableParallelism(),
    intervalMs: CAPACITY_INTERVAL_MS,
    clock,
    gauges: { loadRatio: metrics.capacityLoadRatio, limitCameras: metrics.capacityCameras },
    logger: logger.child({ component: 'capacity' }),
  });
  capacity.start();
  const target: FleetTarget = {
    get loaded() {
      return agent.loaded;
    },
    applyConfig: async (next, diff) => {
      rememberSecrets(next);
      await agent.applyConfig(next, diff);
      metrics.setModels(agent.loadedModels());
    },
    cameraProgress: (cameraId) => agent.cameraProgress(cameraId),
  };
  const fleet = startup
    ? new FleetManager({
        target,
        link,
        store: startup.store,
        clock,
        logger,
        metrics,
        env,
        audit,
        modelLabels,
      })
    : undefined;
  fleet?.start();
  const fleetLogger = logger.child({ component: 'fleet' });
  const fileReload = new ConfigFileReload({
    // the bootstrap file, also when a newer pushed config runs
    path: options.loaded.source,
    read: (path) => checkLabels(loadSiteConfigFile(path, env)),
    target,
    fleet,
    applier:
      fleet?.configApplier ??
      new ConfigApplier({ target, link, siteId: config.site.id, stateTopic: undefined, clock, logger: fleetLogger, metrics, audit, store: undefined }),
    logger: fleetLogger,
  });
  logger.info({ site: config.site.id, configVersion: config.version, cameras: config.cameras.length, metrics: http.url }, 'agent started');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      capacity.stop();
      await fleet?.stop();
      await fileReload.stop();
      await stats?.stop();
      await agent.stop();
      // before the link closes: the head as the cameras left it
      checkpoints?.stop();
      await delivery.stop();
      // last: the outbox may still record what its shutdown did
      audit.append(agentStoppedEntry());
      await audit.stop();
      await http.stop();
      logger.info('agent stopped');
    })();
    return stopping;
  };
  return { agent, link, metrics, fleet, metricsUrl: http.url, reload: () => fileReload.reload(), stop };
}
