import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/freePort.js';
import { startRtspServer, type RtspServer } from '../../helpers/rtspServer.js';
import { waitFor } from '../../helpers/recordingListener.js';
import { INPUT, startSource, stopAllSources } from './harness.js';

const servers: RtspServer[] = [];
const silentServers: Server[] = [];

afterEach(async () => {
  await stopAllSources();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await Promise.all(silentServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP server that accepts connections and never says a word: a hung camera. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const socket of sockets) socket.destroy();
    return close(cb);
  }) as typeof server.close;
  silentServers.push(server);
  return port;
}

function withCredentials(url: string): string {
  return url.replace('rtsp://', 'rtsp://operator:s3cr3t-pw@');
}

describe('FfmpegFrameSource on network cameras (real ffmpeg)', () => {
  it('reports a port where nothing listens as unreachable, without throwing', async () => {
    const port = await freePort();
    const { listener, logs } = startSource({ url: `rtsp://operator:s3cr3t-pw@127.0.0.1:${port}/cam` });
    await waitFor('a restart', () => listener.restarts.length >= 1, 10_000);
    expect(listener.lastStatus).toMatchObject({ state: 'offline', reason: 'unreachable' });
    expect(listener.lastStatus?.detail).toContain('Connection refused');
    expect(listener.lastStatus?.detail).not.toContain('s3cr3t-pw');
    expect(logs.join('\n')).not.toContain('s3cr3t-pw');
  });

  it('reports a camera that accepts but never answers as unreachable after the socket timeout', async () => {
    const port = await silentServer();
    const { listener } = startSource({ url: `rtsp://127.0.0.1:${port}/cam`, stallTimeoutSeconds: 2 });
    await waitFor('a restart', () => listener.restarts.length >= 1, 10_000);
    expect(listener.lastStatus).toMatchObject({ state: 'offline', reason: 'unreachable' });
    expect(listener.lastStatus?.detail).toMatch(/no answer within 1000 ms/);
    expect(listener.frames).toHaveLength(0);
  });

  it('streams RTSP, goes offline when the server dies and online again when it returns', async () => {
    const first = await startRtspServer();
    servers.push(first);
    const { listener, source, logs } = startSource({ url: withCredentials(first.url), stallTimeoutSeconds: 2, analyticsFps: 5 });

    await waitFor('5 frames', () => listener.frames.length >= 5, 15_000);
    expect(listener.statuses.map((s) => s.state)).toEqual(['online']);
    expect(listener.frames[0]?.letterbox).toMatchObject({ scale: INPUT / 768, padX: 0, padY: 104, sourceWidth: 768, sourceHeight: 576 });
    expect(listener.lastPixels).toHaveLength(INPUT * INPUT * 3);

    await first.stop();
    await waitFor('offline', () => listener.lastStatus?.state === 'offline', 10_000);
    expect(['stalled', 'exited', 'unreachable']).toContain(listener.lastStatus?.reason);
    const framesWhileUp = listener.frames.length;

    const second = await startRtspServer({ port: first.port });
    servers.push(second);
    await waitFor('online again', () => listener.lastStatus?.state === 'online', 20_000);
    await waitFor('more frames', () => listener.frames.length >= framesWhileUp + 3, 10_000);
    const seqs = listener.frames.map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(listener.restarts.length).toBeGreaterThanOrEqual(1);
    expect(logs.join('\n')).not.toContain('s3cr3t-pw');
    expect(logs.join('\n')).toContain('rtsp://REDACTED:REDACTED@127.0.0.1');

    await source.stop();
    const after = listener.frames.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(listener.frames.length).toBe(after);
  }, 60_000);

  it('streams RTSP over UDP transport too', async () => {
    const server = await startRtspServer();
    servers.push(server);
    const { listener } = startSource({ url: server.url, transport: 'udp', stallTimeoutSeconds: 3 });
    await waitFor('3 frames', () => listener.frames.length >= 3, 15_000);
    expect(listener.lastStatus?.state).toBe('online');
  }, 30_000);
});
