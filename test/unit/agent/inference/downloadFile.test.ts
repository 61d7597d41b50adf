import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, ProgressReporter, type ProgressStream } from '../../../../agent/inference/downloadFile.js';
import { startByteServer, type ByteServer } from '../../../helpers/byteServer.js';

const payload = randomBytes(256 * 1024);
const digest = createHash('sha256').update(payload).digest('hex');
const other = 'f'.repeat(64);

class Capture implements ProgressStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

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

  it('writes a line every 10 % when stderr is not a terminal', async () => {
    const progress = new Capture(false);
    await downloadFile({ url: server.url('/model.onnx'), dest: join(dir, 'm'), acceptedSha256: [digest], progress, label: 'm.onnx' });
    const lines = progress.text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('m.onnx: 100% (0.3 / 0.3 MB)');
    const percents = lines.map((line) => Number(/: (\d+)%/.exec(line)?.[1]));
    expect(percents.every((p) => p % 10 === 0)).toBe(true);
    expect(new Set(percents).size).toBe(percents.length);
    expect(progress.text).not.toContain('\r');
  });

  it('rewrites one line in place on a terminal and ends it', async () => {
    const progress = new Capture(true);
    await downloadFile({ url: server.url('/model.onnx'), dest: join(dir, 'm'), acceptedSha256: [digest], progress, label: 'm.onnx' });
    expect(progress.text.startsWith('\r')).toBe(true);
    expect(progress.text.endsWith('\rm.onnx: 100% (0.3 / 0.3 MB)\n')).toBe(true);
    expect(progress.text.split('\n')).toHaveLength(2);
  });

  it('reports megabytes when the server sends no length', async () => {
    const progress = new Capture(false);
    const result = await downloadFile({ url: server.url('/chunked.onnx'), dest: join(dir, 'm'), acceptedSha256: [digest], progress, label: 'm' });
    expect(result.bytes).toBe(payload.length);
    expect(progress.text).toBe('m: 0.0 MB\n');
  });
});

describe('ProgressReporter', () => {
  it('steps by 10 % for non-terminals across a large file', () => {
    const out = new Capture(false);
    const reporter = new ProgressReporter(out, 'x', 100 * 1024 * 1024);
    for (let mb = 1; mb <= 100; mb++) reporter.update(mb * 1024 * 1024);
    reporter.finish();
    expect(
      out.text
        .trimEnd()
        .split('\n')
        .map((l) => /(\d+)%/.exec(l)?.[1]),
    ).toEqual(['0', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
  });

  it('is silent without a stream', () => {
    const reporter = new ProgressReporter(null, 'x', 10);
    reporter.update(5);
    reporter.finish();
  });
});
