import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelError } from '../../../../pipelines/errors.js';
import { getModelEntry, type ModelEntry } from '../../../../pipelines/detect/modelRegistry.js';
import { loadModelRegistry } from '../../../../agent/inference/modelFiles.js';
import { resolveModelFile } from '../../../../agent/inference/resolveModelFile.js';
import { sha256File } from '../../../../agent/inference/sha256File.js';
import { sharedModelsDir } from '../../../helpers/paths.js';

const SHARED_SHA = 'e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd';

async function rejection(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(error instanceof ModelError)) throw error;
  return error;
}

describe('resolveModelFile', () => {
  let dir: string;
  let cacheDir: string;
  let mirrorDir: string;
  let entry: ModelEntry;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c5-resolve-'));
    cacheDir = join(dir, 'cache');
    mirrorDir = join(dir, 'mirror');
    entry = getModelEntry(await loadModelRegistry(), 'yolox-nano');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the shared model through the mirror folder and verifies its digest', async () => {
    const resolved = await resolveModelFile(entry, { cacheDir, mirrorDir: sharedModelsDir });
    expect(resolved).toEqual({ path: join(sharedModelsDir, 'yolox_nano.onnx'), sha256: SHARED_SHA });
  });

  it('takes the mirror from C5_MODELS_DIR when no option is given', async () => {
    const resolved = await resolveModelFile(entry, { cacheDir, env: { C5_MODELS_DIR: sharedModelsDir } });
    expect(resolved.sha256).toBe(SHARED_SHA);
  });

  it('prefers the cache over the mirror', async () => {
    const bytes = Buffer.from('pretend weights');
    const digest = createHash('sha256').update(bytes).digest('hex');
    await mkdir(cacheDir, { recursive: true });
    await writeFile(join(cacheDir, entry.file), bytes);
    const resolved = await resolveModelFile({ ...entry, sha256: [digest] }, { cacheDir, mirrorDir: sharedModelsDir });
    expect(resolved).toEqual({ path: join(cacheDir, entry.file), sha256: digest });
  });

  it('refuses a file whose digest is not accepted, naming the file, the digest and the accepted ones', async () => {
    await mkdir(mirrorDir, { recursive: true });
    const path = join(mirrorDir, entry.file);
    await writeFile(path, 'not a model');
    const found = await sha256File(path);
    const error = await rejection(resolveModelFile(entry, { cacheDir, mirrorDir }));
    expect(error.code).toBe('digest_mismatch');
    expect(error.message).toContain(path);
    expect(error.message).toContain(found);
    for (const accepted of entry.sha256) expect(error.message).toContain(accepted);
  });

  it('says where it looked and how to get the model when nothing is there', async () => {
    const error = await rejection(resolveModelFile(entry, { cacheDir, mirrorDir }));
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain(join(cacheDir, entry.file));
    expect(error.message).toContain(join(mirrorDir, entry.file));
    expect(error.message).toContain('npm run models:pull');
    expect(error.message).toContain('C5_MODELS_DIR');
  });

  it('mentions that C5_MODELS_DIR is unset when there is no mirror', async () => {
    const error = await rejection(resolveModelFile(entry, { cacheDir, env: {} }));
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain('C5_MODELS_DIR is not set');
  });
});

describe('sha256File', () => {
  it('matches the published digest of the shared model', async () => {
    expect(await sha256File(join(sharedModelsDir, 'yolox_nano.onnx'))).toBe(SHARED_SHA);
  });
});
