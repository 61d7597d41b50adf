import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pullModel } from '../../../../agent/inference/pullModel.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { parseModelRegistry, type ModelRegistry } from '../../../../pipelines/detect/modelRegistry.js';
import { startByteServer, type ByteServer } from '../../../helpers/byteServer.js';

const weights = randomBytes(64 * 1024);
const digest = createHash('sha256').update(weights).digest('hex');
const logger = createRootLogger({ level: 'silent' });

function registryFor(sourceUrl: string | undefined): ModelRegistry {
  return parseModelRegistry({
    version: 1,
    models: {
      tiny: {
        family: 'yolox',
        file: 'tiny.onnx',
        sha256: [digest],
        licence: 'Apache-2.0',
        ...(sourceUrl === undefined ? {} : { sourceUrl }),
        labels: 'labels/coco80.txt',
        numClasses: 80,
        input: { name: 'images', width: 416, height: 416, channelOrder: 'BGR', padValue: 114 },
        output: { name: 'output' },
        strides: [8, 16, 32],
      },
    },
  });
}

describe('pullModel', () => {
  let server: ByteServer;
  let cacheDir: string;

  beforeAll(async () => {
    server = await startByteServer({ '/tiny.onnx': { body: weights }, '/wrong.onnx': { body: randomBytes(100) } });
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(async () => {
    cacheDir = join(await mkdtemp(join(tmpdir(), 'c5-pull-')), 'cache');
  });

  afterEach(async () => {
    await rm(join(cacheDir, '..'), { recursive: true, force: true });
  });

  it('downloads into the cache, then finds the verified copy without downloading again', async () => {
    const registry = registryFor(server.url('/tiny.onnx'));
    const first = await pullModel({ name: 'tiny', registry, cacheDir, logger, progress: null });
    expect(first).toEqual({ path: join(cacheDir, 'tiny.onnx'), sha256: digest, downloaded: true });
    const before = server.requests.length;
    const second = await pullModel({ name: 'tiny', registry, cacheDir, logger, progress: null });
    expect(second.downloaded).toBe(false);
    expect(server.requests.length).toBe(before);
  });

  it('replaces a cached file with an unknown digest', async () => {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(join(cacheDir, 'tiny.onnx'), 'corrupt');
    const pulled = await pullModel({ name: 'tiny', registry: registryFor(server.url('/tiny.onnx')), cacheDir, logger, progress: null });
    expect(pulled.downloaded).toBe(true);
    expect(Buffer.compare(await readFile(pulled.path), weights)).toBe(0);
  });

  it('refuses a download with the wrong digest', async () => {
    await expect(pullModel({ name: 'tiny', registry: registryFor(server.url('/wrong.onnx')), cacheDir, logger, progress: null })).rejects.toMatchObject({
      code: 'digest_mismatch',
    });
  });

  it('explains what to do for a model without a source URL, and for an unknown name', async () => {
    await expect(pullModel({ name: 'tiny', registry: registryFor(undefined), cacheDir, logger, progress: null })).rejects.toMatchObject({
      code: 'no_source',
      message: expect.stringContaining('C5_MODELS_DIR'),
    });
    await expect(pullModel({ name: 'huge', registry: registryFor(undefined), cacheDir, logger, progress: null })).rejects.toMatchObject({
      code: 'unknown_model',
    });
  });
});
