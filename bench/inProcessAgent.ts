import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { systemClock } from '../agent/clock.js';
import { parseSiteConfigText } from '../agent/config/loadSiteConfig.js';
import { createRootLogger } from '../agent/observe/logger.js';
import { startAgent, type RunningAgent, type StartAgentOptions } from '../agent/startAgent.js';
import { benchSite, type BenchSiteOptions } from './benchSite.js';
import { parseMetrics, type Sample } from './metricsText.js';

export interface InProcessAgent {
  readonly running: RunningAgent;
  /** frame capture to PUBACK of every alert acknowledged since start, in ms */
  readonly frameToAlertMs: number[];
  scrape(): Promise<Sample[]>;
  stop(): Promise<void>;
}

/**
 * The whole agent (ingest, scheduler, tracker, policy, outbox, MQTT) in this process, so every
 * frame-to-PUBACK time can be kept, not only the histogram's buckets: the delivery's histogram
 * is wrapped to copy each observation.
 */
export async function startInProcessAgent(
  site: Omit<BenchSiteOptions, 'stateDir' | 'metricsPort'>,
  env: NodeJS.ProcessEnv,
  createFrameSource?: StartAgentOptions['createFrameSource'],
): Promise<InProcessAgent> {
  const stateDir = await mkdtemp(join(tmpdir(), 'c5-bench-'));
  const text = stringify(benchSite({ ...site, stateDir, metricsPort: 0 }));
  const loaded = parseSiteConfigText(text, 'bench site', env);
  const logger = createRootLogger({ level: env['C5_LOG_LEVEL'] ?? 'warn' });
  const running = await startAgent({ loaded, env, clock: systemClock, logger, version: 'bench', metricsPort: 0, createFrameSource });
  const frameToAlertMs: number[] = [];
  const histogram = running.metrics.frameToAlertSeconds;
  const observe = histogram.observe.bind(histogram);
  histogram.observe = ((...args: Parameters<typeof observe>) => {
    const seconds = args[0];
    if (typeof seconds === 'number') frameToAlertMs.push(seconds * 1000);
    observe(...args);
  }) as typeof histogram.observe;
  return {
    running,
    frameToAlertMs,
    scrape: async () => parseMetrics(await running.metrics.registry.metrics()),
    stop: async () => {
      await running.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
