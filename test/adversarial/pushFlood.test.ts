import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigState } from '../../agent/fleet/configState.js';
import { sampleEvery, startAgentProcess, type AgentProcess, type HealthProbe } from '../helpers/agentProcess.js';
import type { AgentSite } from '../helpers/agentSite.js';
import { forgedFlood } from '../helpers/forgedPushes.js';
import type { MosquittoBroker } from '../helpers/mosquitto.js';
import type { CollectedMessage, MqttCollector } from '../helpers/mqttCollector.js';
import { startSiteUnderTest, stopSiteUnderTest } from '../helpers/siteUnderTest.js';
import { readRetained } from '../helpers/retainedMessage.js';

/**
 * Issue 12, cases 1 and 7: a flood of maximum-size unsigned pushes, one of them retained, and a
 * message larger than the agent's maximum packet size, against the real CLI agent (its own event
 * loop behind /healthz, its own memory) on a real Mosquitto with a real ffmpeg camera.
 */

const MiB = 1024 * 1024;
const FLOOD = 40;
const RETAINED_INDEX = 17;
const UNVERIFIED = 'c5_agent_config_push_unverified_total';
const FRAMES = 'c5_agent_frames_total';
/** The agent's budget for an orderly stop (agent/main.ts SHUTDOWN_DEADLINE_MS), under systemd's 10 s. */
const SHUTDOWN_DEADLINE_MS = 10_000;
const FRAME_WINDOW_MS = 2_000;

let broker: MosquittoBroker;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess;
let retainedForgery: Buffer;

const stateReports = (): ConfigState[] => collector.messages.filter((m) => m.topic === site.topics.state).map((m) => m.payload as ConfigState);

async function framesSoFar(): Promise<number> {
  return agent.metric(FRAMES, { camera: 'a' });
}

/** Polls until the agent has counted `count` unverified pushes; bounded, and tolerant of a stalled agent. */
async function waitForUnverified(count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = await agent.metric(UNVERIFIED).catch(() => seen);
    if (seen >= count) return seen;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the agent counted ${seen} of ${count} unverified pushes within ${timeoutMs} ms`);
}

/** Health and memory, every 100 ms, while `during` runs. */
async function watched<T>(during: () => Promise<T>): Promise<{ result: T; health: HealthProbe[]; rss: number[] }> {
  const health = sampleEvery(100, () => agent.healthz(1_000));
  const rss = sampleEvery(100, () => agent.rssBytes());
  try {
    const result = await during();
    return { result, health: await health.stop(), rss: await rss.stop() };
  } catch (error) {
    // what the agent looked like while it failed is the finding
    const probes = await health.stop();
    const failed = probes.filter((probe) => !probe.ok).length;
    console.log(
      `failed while watched: /healthz ${probes.length} probes, ${failed} unanswered within 1 s; RSS peak ${mb(Math.max(0, ...(await rss.stop())))} MiB`,
    );
    throw error;
  } finally {
    await health.stop();
    await rss.stop();
  }
}

const mb = (bytes: number): string => (bytes / MiB).toFixed(1);

beforeAll(async () => {
  ({ broker, site, collector, agent } = await startSiteUnderTest('flood-site', { version: 1, maxPushBytes: MiB }));
  const deadline = Date.now() + 30_000;
  while ((await framesSoFar()) < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
}, 90_000);

// the forged push stays retained on this broker only: nothing outlives the file
afterAll(() => stopSiteUnderTest({ agent, collector, broker }));

describe('a flood of maximum-size unsigned pushes', () => {
  it('keeps /healthz under 1 s, frames flowing and memory bounded, then applies a genuine push', async () => {
    expect(await framesSoFar()).toBeGreaterThanOrEqual(3);
    const flood = forgedFlood(FLOOD, { minBytes: 150 * 1024, maxBytes: 900 * 1024, trustedKeyId: site.signer.keyId, marker: 'Q' });
    retainedForgery = flood[RETAINED_INDEX]!;
    const rssBefore = Math.max(...(await watched(() => new Promise((resolve) => setTimeout(resolve, 1_000)))).rss);
    const framesBefore = await framesSoFar();
    const statesBefore = stateReports().length;

    agent.resetPeakRss();
    const sentAt = performance.now();
    const { result, health, rss } = await watched(async () => {
      let publishedMs = 0;
      let handledMs = 0;
      const flooding = (async () => {
        await Promise.all(flood.map((payload, i) => collector.client.publishAsync(site.topics.push, payload, { qos: 1, retain: i === RETAINED_INDEX })));
        publishedMs = performance.now() - sentAt;
        await waitForUnverified(FLOOD, 90_000);
        handledMs = performance.now() - sentAt;
      })();
      // Frames are counted over a window of at least FRAME_WINDOW_MS that holds the whole flood,
      // so a quick flood cannot pass for one the camera stalled through (2 fps: 500 ms a frame).
      await Promise.all([flooding, new Promise((resolve) => setTimeout(resolve, FRAME_WINDOW_MS))]);
      const framesAtEnd = await framesSoFar();
      // and after it: the camera goes on
      await new Promise((resolve) => setTimeout(resolve, FRAME_WINDOW_MS));
      return { publishedMs, handledMs, framesAtEnd, framesAfter: await framesSoFar() };
    });

    const worst = Math.max(...health.map((probe) => probe.ms));
    const peak = Math.max(agent.peakRssBytes(), ...rss);
    const floodBytes = flood.reduce((sum, payload) => sum + payload.length, 0);
    console.log(
      `flood: ${FLOOD} forged pushes, ${mb(floodBytes)} MiB, published in ${result.publishedMs.toFixed(0)} ms, all counted after ${result.handledMs.toFixed(0)} ms; ` +
        `/healthz ${health.length} probes, max ${worst.toFixed(0)} ms, failed ${health.filter((probe) => !probe.ok).length}; ` +
        `RSS before ${mb(rssBefore)} MiB, peak ${mb(peak)} MiB (+${mb(peak - rssBefore)}); ` +
        `frames of camera a: ${framesBefore} before, ${result.framesAtEnd} at the end of the flood's window, ${result.framesAfter} ${FRAME_WINDOW_MS / 1000} s later`,
    );
    expect(health.filter((probe) => !probe.ok)).toEqual([]);
    expect(worst).toBeLessThan(1_000);
    expect(result.framesAtEnd).toBeGreaterThan(framesBefore);
    expect(result.framesAfter).toBeGreaterThan(result.framesAtEnd);
    expect(peak - rssBefore).toBeLessThan(150 * MiB);
    expect(await agent.metric(UNVERIFIED)).toBe(FLOOD);
    // no forged push reached config/state: the retained verdict there can only be a verified one
    expect(stateReports().length).toBe(statesBefore);
    // and the broker never gave up on the agent (its Last Will would have said offline)
    expect(collector.messages.filter((m) => m.topic === site.topics.status && (m.payload as { state?: string }).state === 'offline')).toEqual([]);

    // A genuine push right after the flood, not retained, so the forged one stays on the topic.
    const genuine = site.signer.push(site.yaml({ version: 2, minScore: 0.45, maxPushBytes: MiB }));
    const mark = collector.messages.length;
    await collector.client.publishAsync(site.topics.push, genuine, { qos: 1 });
    const isNewState = (m: CollectedMessage): boolean => m.topic === site.topics.state && collector.messages.indexOf(m) >= mark;
    const state = (await collector.waitFor(isNewState, 20_000)).payload as ConfigState;
    expect(state).toMatchObject({ status: 'applied', version: 2, origin: 'mqtt', keyId: site.signer.keyId, running: { version: 2 } });
    expect(await agent.metric('c5_agent_config_version')).toBe(2);
  }, 150_000);

  it('takes a push of exactly fleet.maxPushBytes but never receives one of 20 MB: memory stays flat, the agent runs on', async () => {
    const counted = await agent.metric(UNVERIFIED);
    const malformed = await agent.metric(UNVERIFIED, { reason: 'malformed_envelope' });
    const tooLarge = await agent.metric(UNVERIFIED, { reason: 'too_large' });
    const rssBefore = agent.rssBytes();
    agent.resetPeakRss();
    const { health, rss } = await watched(async () => {
      // The largest push the agent accepts must still fit its maximum packet size (topic and properties on top).
      await collector.client.publishAsync(site.topics.push, Buffer.alloc(MiB, 0x51), { qos: 1, properties: { contentType: 'application/json' } });
      await collector.client.publishAsync(site.topics.push, Buffer.alloc(20 * MiB, 0x51), { qos: 1 });
      // Same client, same topic, same QoS: delivered after the big one, if the big one is delivered at all.
      await collector.client.publishAsync(site.topics.push, Buffer.from('marker: not an envelope'), { qos: 1 });
      await waitForUnverified(counted + 2, 30_000);
    });
    const peak = Math.max(agent.peakRssBytes(), ...rss);
    console.log(`20 MiB push: RSS before ${mb(rssBefore)} MiB, peak ${mb(peak)} MiB; /healthz max ${Math.max(...health.map((p) => p.ms)).toFixed(0)} ms`);
    // the 1 MiB push and the marker arrived; the broker kept the 20 MB message from the agent
    expect(await agent.metric(UNVERIFIED)).toBe(counted + 2);
    expect(await agent.metric(UNVERIFIED, { reason: 'malformed_envelope' })).toBe(malformed + 2);
    expect(await agent.metric(UNVERIFIED, { reason: 'too_large' })).toBe(tooLarge);
    expect(peak - rssBefore).toBeLessThan(20 * MiB);
    expect(health.filter((probe) => !probe.ok)).toEqual([]);
    // never dropped by the broker (its Last Will would have said offline)
    expect(collector.messages.filter((m) => m.topic === site.topics.status && (m.payload as { state?: string }).state === 'offline')).toEqual([]);
  }, 60_000);

  it('stops on SIGTERM within the shutdown deadline after the flood', async () => {
    const result = await agent.terminate();
    console.log(`SIGTERM after the flood: exited ${result.code} in ${result.stopMs.toFixed(0)} ms`);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stopMs).toBeLessThan(SHUTDOWN_DEADLINE_MS);
  }, 30_000);

  it('starts again just as healthy with the forged push still retained, keeping the verified config and its state', async () => {
    const retainedPush = await readRetained(broker.url, site.topics.push);
    expect(retainedPush.map((m) => m.raw.equals(retainedForgery))).toEqual([true]);

    agent = await startAgentProcess(site.configPath, { env: site.env });
    const framesAtStart = await framesSoFar();
    const { health, rss } = await watched(async () => {
      await waitForUnverified(1, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    });
    const framesAfter = await framesSoFar();
    console.log(
      `restart with the forged push retained: /healthz ${health.length} probes, max ${Math.max(...health.map((p) => p.ms)).toFixed(0)} ms; ` +
        `RSS peak ${mb(Math.max(...rss))} MiB; frames ${framesAtStart} -> ${framesAfter}`,
    );
    expect(health.filter((probe) => !probe.ok || probe.ms >= 1_000)).toEqual([]);
    expect(framesAfter).toBeGreaterThan(framesAtStart);
    expect(await agent.metric(UNVERIFIED)).toBe(1);
    // the last-known-good pushed config runs, and its verdict is still the one retained
    expect(await agent.metric('c5_agent_config_version')).toBe(2);
    const retainedState = await readRetained(broker.url, site.topics.state);
    expect(retainedState.map((m) => m.payload)).toEqual([expect.objectContaining({ status: 'applied', version: 2 })]);
    const stopped = await agent.terminate();
    expect(stopped.code).toBe(0);
  }, 90_000);
});
