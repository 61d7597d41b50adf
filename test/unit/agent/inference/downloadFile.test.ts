import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile } from '../../../../agent/inference/downloadFile.js';
import { startByteServer, type ByteServer } from '../../../helpers/byteServer.js';
import { CaptureStream } from '../../../helpers/captureStream.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const payload = randomBytes(256 * 1024);
const digest = createHash('sha256').update(payload).digest('hex');
const other = 'f'.repeat(64);

describe('downloadFile', () => {
  let server: ByteServer;
  let dir: string;

  beforeAll(async () => {
    server = await startByteServer({
      '/model.onnx': { body: payload },
      '/chunked.onnx': { body: payload, chunked: true },
      '/moved': { location: '/model.onnx', status: 302 },
      '/moved-twice': { location: '/moved', status: 301 },
      '/broken': { status: 500, body: new Uint8Array([1]) },
    });
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c5-download-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads, verifies and places the file, leaving no temporary file', async () => {
    const dest = join(dir, 'sub', 'model.onnx');
    const result = await downloadFile({ url: server.url('/model.onnx'), dest, acceptedSha256: [other, digest], progress: null });
    expect(result).toEqual({ path: dest, sha256: digest, bytes: payload.length });
    expect(Buffer.compare(await readFile(dest), payload)).toBe(0);
    expect(await readdir(join(dir, 'sub'))).toEqual(['model.onnx']);
  });

  it('follows redirects', async () => {
    const dest = join(dir, 'model.onnx');
    const result = await downloadFile({ url: server.url('/moved-twice'), dest, acceptedSha256: [digest], progress: null });
    expect(result.sha256).toBe(digest);
    expect(server.requests.slice(-3)).toEqual(['/moved-twice', '/moved', '/model.onnx']);
  });

  it('discards a download with the wrong digest and keeps the file already in place', async () => {
    const dest = join(dir, 'model.onnx');
    await writeFile(dest, 'previous');
    await expect(downloadFile({ url: server.url('/model.onnx'), dest, acceptedSha256: [other], progress: null })).rejects.toMatchObject({
      code: 'digest_mismatch',
      message: expect.stringMatching(new RegExp(`sha256 ${digest}.*${other}.*discarded`)),
    });
    expect(await readFile(dest, 'utf8')).toBe('previous');
    expect(await readdir(dir)).toEqual(['model.onnx']);
  });

  it('fails on 404 and 500 with the status, writing nothing', async () => {
    const dest = join(dir, 'model.onnx');
    await expect(downloadFile({ url: server.url('/missing'), dest, acceptedSha256: [digest], progress: null })).rejects.toMatchObject({
      code: 'download_failed',
      message: expect.stringContaining('HTTP 404'),
    });
    await expect(downloadFile({ url: server.url('/broken'), dest, acceptedSha256: [digest], progress: null })).rejects.toMatchObject({
      code: 'download_failed',
      message: expect.stringContaining('HTTP 500'),
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails cleanly when nothing listens', async () => {
    const dest = join(dir, 'model.onnx');
    await expect(downloadFile({ url: 'http://127.0.0.1:1/model.onnx', dest, acceptedSha256: [digest], progress: null })).rejects.toMatchObject({
      code: 'download_failed',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes a line at each 10 % step when stderr is not a terminal, then a final line', async () => {
    const progress = new CaptureStream(false);
    // the clock stands still, so no rate is known and only 10 % steps (not time) bring a line
    await downloadFile({ url: server.url('/model.onnx'), dest: join(dir, 'm'), acceptedSha256: [digest], progress, label: 'm.onnx', clock: new ManualClock() });
    const lines = progress.text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('m.onnx: done, 0.3 MB in 0.0 s');
    const percents = lines.slice(0, -1).map((line) => Number(/^m\.onnx: \d\.\d\/0\.3 MB \((\d+)%\)$/.exec(line)?.[1]));
    expect(percents.at(-1)).toBe(100);
    const steps = percents.map((p) => Math.floor(p / 10));
    expect(new Set(steps).size).toBe(steps.length);
    expect(progress.text).not.toContain('\r');
  });

  it('rewrites one line in place on a terminal and ends it', async () => {
    const progress = new CaptureStream(true);
    await downloadFile({ url: server.url('/model.onnx'), dest: join(dir, 'm'), acceptedSha256: [digest], progress, label: 'm.onnx', clock: new ManualClock() });
    expect(progress.text).toMatch(/^\rm\.onnx: 0\.\d\/0\.3 MB \(\d+%\)\rm\.onnx: done, 0\.3 MB in 0\.0 s *\n$/);
  });

  it('reports megabytes when the server sends no length', async () => {
    const progress = new CaptureStream(false);
    const result = await downloadFile({
      url: server.url('/chunked.onnx'),
      dest: join(dir, 'm'),
      acceptedSha256: [digest],
      progress,
      label: 'm',
      clock: new ManualClock(),
    });
    expect(result.bytes).toBe(payload.length);
    expect(progress.text).toMatch(/^m: 0\.\d MB\nm: done, 0\.3 MB in 0\.0 s\n$/);
  });
});
