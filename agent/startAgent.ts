import { v7 as uuidv7 } from 'uuid';
import { Agent } from './agent.js';
import type { Clock } from './clock.js';
import type { LoadedSiteConfig } from './config/loadSiteConfig.js';
import { loadDetector } from './inference/loadDetector.js';
import { FfmpegFrameSource } from './ingest/FfmpegFrameSource.js';
import { resolveFfmpegPath } from './ingest/resolveFfmpegPath.js';
import { HttpServer } from './observe/HttpServer.js';
import type { Logger } from './observe/logger.js';
import { createAgentMetrics, type AgentMetrics } from './observe/metrics.js';
import { MqttAlertSink } from './publish/MqttAlertSink.js';
import { MqttLink } from './publish/MqttLink.js';

export interface StartAgentOptions {
  readonly loaded: LoadedSiteConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly version: string;
  /** overrides the config's metrics port (the demo and tests use 0 for a free one) */
  readonly metricsPort?: number;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly link: MqttLink;
  readonly metrics: AgentMetrics;
  /** `http://127.0.0.1:9464` */
  readonly metricsUrl: string;
  /** idempotent: stops intake, flushes in-flight alerts, says `offline`, closes the endpoint */
  stop(): Promise<void>;
}

/**
 * The composition root: the one place that builds the real I/O objects (ffmpeg children, ONNX
 * sessions, the MQTT connection, the HTTP endpoint) and hands each component its dependencies.
 */
export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { loaded, env, clock, logger, version } = options;
  const { config } = loaded;
  const ffmpegPath = resolveFfmpegPath({ configured: config.ffmpegPath, env, logger: logger.child({ component: 'ingest' }) });

  const metrics = createAgentMetrics({ siteId: config.site.id, version, configVersion: config.version });
  const link = new MqttLink({
    config: config.mqtt,
    siteId: config.site.id,
    agentVersion: version,
    configVersion: config.version,
    clock,
    logger,
    metrics,
  });
  const sink = new MqttAlertSink({ link, prefix: config.mqtt.prefix, siteId: config.site.id, clock });
  const agent = new Agent({
    loaded,
    clock,
    logger,
    metrics,
    sink,
    publishCameraStatus: (status) => link.publishCameraStatus(status),
    isBrokerConnected: () => link.connected,
    createFrameSource: (camera, model) =>
      new FfmpegFrameSource({
        camera,
        sourceUrl: camera.source.url,
        ffmpegPath,
        inputWidth: model.inputWidth,
        inputHeight: model.inputHeight,
        clock,
        logger,
      }),
    loadDetector: (name) => loadDetector({ name, env, logger: logger.child({ component: 'inference' }) }),
    newAlertId: () => uuidv7(),
  });
  const http = new HttpServer({
    host: config.metrics.host,
    port: options.metricsPort ?? config.metrics.port,
    registry: metrics.registry,
    readiness: () => agent.readiness(),
    logger: logger.child({ component: 'http' }),
  });

  await http.start();
  link.start();
  await agent.start();
  logger.info(
    { site: config.site.id, configVersion: config.version, cameras: config.cameras.length, metrics: http.url },
    'agent started',
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await agent.stop();
      await sink.shutdown();
      await link.shutdown();
      await http.stop();
      logger.info('agent stopped');
    })();
    return stopping;
  };
  return { agent, link, metrics, metricsUrl: http.url, stop };
}
