import { describe, expect, it } from 'vitest';
import { CameraSupervisor } from '../../../agent/CameraSupervisor.js';
import { parseSiteConfigText } from '../../../agent/config/loadSiteConfig.js';
import { createRootLogger } from '../../../agent/observe/logger.js';
import { createAgentMetrics } from '../../../agent/observe/metrics.js';
import { GatedDetector, ManualFrameSource, MemorySink } from '../../helpers/fakeStages.js';
import { ManualClock } from '../../helpers/manualClock.js';

function setup(cameraLines: string[]) {
  const loaded = parseSiteConfigText(
    ['version: 1', 'site: { id: spread-site }', 'mqtt: { urls: ["mqtt://127.0.0.1:1"] }', 'cameras:', ...cameraLines].join('\n'),
    'spread.yaml',
    {},
  );
  const clock = new ManualClock();
  const sources = new Map<string, ManualFrameSource>();
  const agent = new CameraSupervisor({
    loaded,
    clock,
    logger: createRootLogger({ level: 'silent' }),
    metrics: createAgentMetrics({ siteId: 'spread-site', version: '1', configVersion: 1, defaultMetrics: false }),
    sink: new MemorySink(),
    publishCameraStatus: () => undefined,
    isBrokerConnected: () => true,
    createFrameSource: (camera) => {
      const source = new ManualFrameSource(camera.id);
      sources.set(camera.id, source);
      return source;
    },
    loadDetector: async () => new GatedDetector(),
    newAlertId: () => 'id',
  });
  const started = (): string[] => [...sources.values()].filter((source) => source.listener).map((source) => source.cameraId);
  return { agent, clock, sources, started };
}

const camera = (id: string, fps: number): string => `  - { id: ${id}, analyticsFps: ${fps}, source: { url: "rtsp://127.0.0.1:9/${id}" } }`;

describe('CameraSupervisor', () => {
  it('starts cameras spread evenly over one frame interval of the fastest one', async () => {
    const { agent, clock, started } = setup([camera('a', 5), camera('b', 5), camera('c', 10), camera('d', 2)]);
    await agent.start();
    // fastest 10 fps: 100 ms shared by four cameras, one every 25 ms
    expect(started()).toEqual(['a']);
    clock.advance(24);
    expect(started()).toEqual(['a']);
    clock.advance(1);
    expect(started()).toEqual(['a', 'b']);
    clock.advance(50);
    expect(started()).toEqual(['a', 'b', 'c', 'd']);
    await agent.stop();
  });

  it('never starts a camera whose turn comes after stop()', async () => {
    const { agent, clock, sources, started } = setup([camera('a', 5), camera('b', 5)]);
    await agent.start();
    await agent.stop();
    clock.advance(1_000);
    expect(started()).toEqual(['a']);
    expect(sources.get('b')!.stops).toBe(1);
  });
});
