import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type AgentProcess } from '../../helpers/agentProcess.js';
import { createAgentSite, type AgentSite } from '../../helpers/agentSite.js';
import { startMosquitto, type MosquittoBroker } from '../../helpers/mosquitto.js';
import { collectMqtt, type CollectedMessage, type MqttCollector } from '../../helpers/mqttCollector.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';
import { waitForMetric } from '../../helpers/waitForMetric.js';

/**
 * Issue 13: a real stall. The RTSP server's process is paused mid-stream (SIGSTOP): its socket
 * stays open and says nothing, as a hung camera does. The real `c5-agent run` must report the
 * camera offline with reason `stalled`, restart its decoder, and after SIGCONT deliver frames
 * and report `online` again.
 */

const STALL_TIMEOUT_SECONDS = 2;

let broker: MosquittoBroker;
let rtsp: RtspServer;
let collector: MqttCollector;
let site: AgentSite;
let agent: AgentProcess | undefined;
let serverPid: number | undefined;

interface CameraStatusPayload {
  readonly state: string;
  readonly reason?: string;
  readonly detail?: string;
}

beforeAll(async () => {
  broker = await startMosquitto();
  rtsp = await startRtspServer();
  site = createAgentSite('stall-site', broker.url);
  collector = await collectMqtt({ url: broker.url, topics: [`c5/${site.siteId}/#`] });
  site.write({ version: 1, urls: { a: rtsp.url }, firstCameraExtra: `    stallTimeoutSeconds: ${STALL_TIMEOUT_SECONDS}` });
  agent = await startAgentProcess(site.configPath, { env: site.env });
}, 60_000);

afterAll(async () => {
  // never leave a stopped server behind: a paused process ignores SIGTERM until continued
  if (serverPid !== undefined) process.kill(serverPid, 'SIGCONT');
  await agent?.kill();
  await collector?.close();
  await rtsp?.stop();
  await broker?.stop();
});

describe('an RTSP camera that stalls mid-stream (server paused with SIGSTOP)', () => {
  it('goes offline as stalled, restarts the decoder, and recovers frames and online after SIGCONT', async () => {
    const a = agent!;
    const statusOf = (m: CollectedMessage): CameraStatusPayload => m.payload as CameraStatusPayload;
    const isCameraStatus = (m: CollectedMessage): boolean => m.topic === site.topics.cameraStatus('a');
    await collector.waitFor((m) => isCameraStatus(m) && statusOf(m).state === 'online', 20_000);
    await waitForMetric(a, 'c5_agent_frames_total', { camera: 'a' }, 3, 15_000);

    serverPid = rtsp.pid;
    process.kill(serverPid, 'SIGSTOP');
    const pausedAt = collector.messages.length;
    const offline = await collector.waitFor((m) => isCameraStatus(m) && collector.messages.indexOf(m) >= pausedAt && statusOf(m).state === 'offline', 15_000);
    expect(statusOf(offline)).toMatchObject({ state: 'offline', reason: 'stalled' });
    // The run ended because the camera went silent: the watchdog at the stall timeout ("no frame for
    // N s", after what was already buffered), or ffmpeg 5.1.9 and later at its socket timeout, half
    // of it, mid-stream ("no data for 1000 ms"). Both are a stall, not an unreachable camera.
    const detail = statusOf(offline).detail ?? '';
    const silentSeconds = Number(/no frame for (\d+\.\d) s/.exec(detail)?.[1] ?? Number.NaN);
    if (Number.isNaN(silentSeconds))
      expect(detail).toMatch(new RegExp(`^the camera stopped sending: no data for ${(STALL_TIMEOUT_SECONDS * 1000) / 2} ms; .*timed out`));
    else expect(silentSeconds).toBeGreaterThanOrEqual(STALL_TIMEOUT_SECONDS);
    await waitForMetric(a, 'c5_agent_camera_restarts_total', { camera: 'a', reason: 'stalled' }, 1, 10_000);

    process.kill(serverPid, 'SIGCONT');
    serverPid = undefined;
    const resumedAt = collector.messages.length;
    const framesAtResume = await a.metric('c5_agent_frames_total', { camera: 'a' });
    await collector.waitFor((m) => isCameraStatus(m) && collector.messages.indexOf(m) >= resumedAt && statusOf(m).state === 'online', 30_000);
    await waitForMetric(a, 'c5_agent_frames_total', { camera: 'a' }, framesAtResume + 3, 15_000);
    expect(a.cli.child.exitCode).toBeNull();
    expect((await a.healthz()).ok).toBe(true);
  }, 60_000);
});
