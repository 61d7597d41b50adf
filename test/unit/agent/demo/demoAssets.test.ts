import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIP, ensureDemoClip, ensureDemoModel } from '../../../../agent/demo/demoAssets.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { AgentError } from '../../../../pipelines/errors.js';
import { clipPath, sharedMediaDir, sharedModelsDir } from '../../../helpers/paths.js';
import { startByteServer } from '../../../helpers/byteServer.js';

const logger = createRootLogger({ level: 'silent' });
const offline: typeof fetch = () => Promise.reject(new TypeError('fetch failed: no network'));

function bare(): { modelCacheDir: string; mediaCacheDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'c5-demo-'));
  return { modelCacheDir: join(dir, 'models'), mediaCacheDir: join(dir, 'media') };
}

async function rejection(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AgentError)) throw new Error(`expected an AgentError, got ${String(error)}`);
  return error;
}

describe('demo assets', () => {
  it('finds the model and clip in C5_MODELS_DIR / C5_MEDIA_DIR without touching the network', async () => {
    const dirs = bare();
    const env = { C5_MODELS_DIR: sharedModelsDir, C5_MEDIA_DIR: sharedMediaDir };
    await ensureDemoModel({ env, logger, progress: null, fetch: offline, ...dirs });
    expect(await ensureDemoClip({ env, logger, progress: null, fetch: offline, ...dirs })).toBe(join(sharedMediaDir, 'vtest.avi'));
  });

  it('on a bare machine without network, says exactly what to fetch and where to put it', async () => {
    const dirs = bare();
    const model = await rejection(ensureDemoModel({ env: {}, logger, progress: null, fetch: offline, ...dirs }));
    expect(model.code).toBe('demo_assets_missing');
    expect(model.message).toContain('https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx');
    expect(model.message).toContain(join(dirs.modelCacheDir, 'yolox_nano.onnx'));
    expect(model.message).toContain('C5_MODELS_DIR');
    const clip = await rejection(ensureDemoClip({ env: {}, logger, progress: null, fetch: offline, ...dirs }));
    expect(clip.code).toBe('demo_assets_missing');
    expect(clip.message).toContain(DEMO_CLIP.url);
    expect(clip.message).toContain(join(dirs.mediaCacheDir, 'vtest.avi'));
    expect(clip.message).toContain('--clip FILE');
  });

  it('downloads the clip, checks its digest and caches it', async () => {
    const dirs = bare();
    const server = await startByteServer({ '/vtest.avi': { body: readFileSync(clipPath) } });
    try {
      const redirectToLocal: typeof fetch = (input, init) => fetch(input.toString() === DEMO_CLIP.url ? server.url('/vtest.avi') : input, init);
      const path = await ensureDemoClip({ env: {}, logger, progress: null, fetch: redirectToLocal, ...dirs });
      expect(path).toBe(join(dirs.mediaCacheDir, 'vtest.avi'));
      // second time: found in the cache, no network needed
      expect(await ensureDemoClip({ env: {}, logger, progress: null, fetch: offline, ...dirs })).toBe(path);
    } finally {
      await server.close();
    }
  });

  it('uses a model already in the cache', async () => {
    const dirs = bare();
    mkdirSync(dirs.modelCacheDir, { recursive: true });
    copyFileSync(join(sharedModelsDir, 'yolox_nano.onnx'), join(dirs.modelCacheDir, 'yolox_nano.onnx'));
    await ensureDemoModel({ env: {}, logger, progress: null, fetch: offline, ...dirs });
  });
});
