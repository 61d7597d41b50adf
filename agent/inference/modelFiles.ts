import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelError } from '../../pipelines/errors.js';
import { parseLabels, parseModelRegistry, type ModelEntry, type ModelRegistry } from '../../pipelines/detect/modelRegistry.js';

/**
 * Where the package's own model data lives. Found by walking up to package.json so it is the same
 * from the TypeScript sources (tests) and from the compiled `dist/` tree.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const defaultModelsDir = (): string => join(packageRoot(), 'models');
export const defaultRegistryPath = (): string => join(defaultModelsDir(), 'registry.json');
/** Downloaded weights (git-ignored). */
export const defaultCacheDir = (): string => join(defaultModelsDir(), 'cache');

/** Reads and validates a registry file; errors name the file and the bad field. */
export async function loadModelRegistry(path: string = defaultRegistryPath()): Promise<ModelRegistry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelError('invalid_registry', `cannot read model registry ${path}: ${String(error)}`, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ModelError('invalid_registry', `model registry ${path} is not valid JSON: ${String(error)}`, {
      cause: error,
    });
  }
  return parseModelRegistry(document, `model registry ${path}`);
}

/** Reads the entry's labels file, which the registry names relative to its own folder. */
export async function loadLabels(entry: ModelEntry, registryDir: string = defaultModelsDir()): Promise<string[]> {
  const path = resolve(registryDir, entry.labels);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelError('invalid_labels', `cannot read labels file ${path}: ${String(error)}`, { cause: error });
  }
  return parseLabels(text, entry.numClasses, `labels file ${path}`);
}
