import { dirname, join } from 'node:path';
import type { ModelLabels } from '../../pipelines/config/labelIssues.js';
import { defaultModelsDir, defaultRegistryPath, loadLabels, loadModelRegistry } from '../inference/modelFiles.js';

export interface LoadModelLabelsOptions {
  /** default: the package's models/registry.json, the one the agent loads detectors from */
  readonly registryPath?: string;
  /** only these models' labels files are read (the ones a config uses), the rest listed by name; default: every model */
  readonly models?: Iterable<string>;
}

/**
 * The registry's models, each with its label list, for checking a config's labels
 * (`labelIssues`). Reads the labels the same way the detector does (`loadLabels`), so a label
 * that passes here is one the detector can output. Needs no weights. A model the config names
 * that the registry lacks is left out; labelIssues reports it.
 */
export async function loadModelLabels(options: LoadModelLabelsOptions = {}): Promise<Map<string, ModelLabels>> {
  const registryPath = options.registryPath ?? defaultRegistryPath();
  const registry = await loadModelRegistry(registryPath);
  const registryDir = options.registryPath === undefined ? defaultModelsDir() : dirname(registryPath);
  const wanted = new Set(options.models ?? Object.keys(registry.models));
  const result = new Map<string, ModelLabels>();
  for (const [name, entry] of Object.entries(registry.models)) {
    // Unused models need no labels file read, but their names still make the unknown-model message useful.
    const labels = wanted.has(name) ? await loadLabels(entry, registryDir) : [];
    result.set(name, { labels, source: join(registryDir, entry.labels) });
  }
  return result;
}
