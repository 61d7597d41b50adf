import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModelEntry } from '../../../../pipelines/detect/modelRegistry.js';
import { defaultCacheDir, defaultRegistryPath, loadLabels, loadModelRegistry, packageRoot } from '../../../../agent/inference/modelFiles.js';
import { repoRoot } from '../../../helpers/paths.js';

describe('the shipped registry', () => {
  it('lives in the repo and lists yolox-nano as the shared model README describes it', async () => {
    expect(packageRoot()).toBe(repoRoot);
    expect(defaultRegistryPath()).toBe(join(repoRoot, 'models', 'registry.json'));
    expect(defaultCacheDir()).toBe(join(repoRoot, 'models', 'cache'));
    const entry = getModelEntry(await loadModelRegistry(), 'yolox-nano');
    expect(entry).toMatchObject({
      family: 'yolox',
      file: 'yolox_nano.onnx',
      licence: 'Apache-2.0',
      sourceUrl: 'https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx',
      numClasses: 80,
      input: { name: 'images', width: 416, height: 416, channelOrder: 'BGR', pixelValues: 'raw', padValue: 114 },
      output: { name: 'output' },
      strides: [8, 16, 32],
    });
    expect(entry.sha256).toEqual([
      'e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd',
      'c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d',
    ]);
  });

  it('has the 80 COCO labels in class-id order', async () => {
    const labels = await loadLabels(getModelEntry(await loadModelRegistry(), 'yolox-nano'));
    expect(labels).toHaveLength(80);
    expect(labels.slice(0, 10)).toEqual(['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light']);
    expect(labels[16]).toBe('dog');
    expect(labels[79]).toBe('toothbrush');
  });
});

describe('loadModelRegistry', () => {
  it('names the file for unreadable, malformed and invalid registries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'c5-registry-'));
    try {
      const path = join(dir, 'registry.json');
      await expect(loadModelRegistry(path)).rejects.toMatchObject({ code: 'invalid_registry', message: expect.stringContaining(path) });
      await writeFile(path, '{ not json');
      await expect(loadModelRegistry(path)).rejects.toThrow(/is not valid JSON/);
      await writeFile(path, JSON.stringify({ version: 1, models: { m: {} } }));
      await expect(loadModelRegistry(path)).rejects.toThrow(/models\.m\.family/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
