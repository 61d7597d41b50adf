import { dirname } from 'node:path';
import { getModelEntry, type ModelRegistry } from '../../pipelines/detect/modelRegistry.js';
import { AgentError, toError } from '../../pipelines/errors.js';
import { defaultModelsDir, defaultRegistryPath, loadLabels, loadModelRegistry } from '../inference/modelFiles.js';
import { resolveModelFile } from '../inference/resolveModelFile.js';
import { fail, pass, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import type { DoctorContext } from './DoctorContext.js';

export interface ModelCheckOptions {
  /** default: the package's models/registry.json, as the agent reads it */
  readonly registryPath?: string;
  /** default: the package's models/cache, as the agent looks there first */
  readonly cacheDir?: string;
}

/**
 * Hashing is bound by the disk, not by anything that can hang: a few hundred MB on an SD card
 * takes seconds, so the model rows get at least this long whatever the per-check limit.
 */
export const MIN_MODEL_CHECK_MS = 30_000;

/**
 * One row per model the enabled cameras use: the registry knows it, its weights are found where
 * the agent looks (cache, then C5_MODELS_DIR) with a sha256 the registry accepts, and its labels
 * file reads with the registry's class count. The same functions the agent loads models with.
 */
export function modelChecks(context: DoctorContext, options: ModelCheckOptions = {}): DoctorCheck[] {
  const uses = new Map<string, string[]>();
  for (const camera of context.config.cameras) {
    if (!camera.enabled) continue;
    uses.set(camera.model, [...(uses.get(camera.model) ?? []), camera.id]);
  }
  let registry: Promise<ModelRegistry> | undefined;
  const registryPath = options.registryPath ?? defaultRegistryPath();
  return [...uses.entries()].map(([name, cameras]) => ({
    id: `model:${name}`,
    title: `model ${name}`,
    family: 'models',
    timeoutMs: Math.max(context.timeoutMs, MIN_MODEL_CHECK_MS),
    run: async () => {
      try {
        registry ??= loadModelRegistry(registryPath);
        return await checkModel(name, cameras, await registry, registryPath, options, context.env);
      } catch (error) {
        const message = toError(error).message;
        return fail(firstSentence(error), [message]);
      }
    },
  }));
}

async function checkModel(
  name: string,
  cameras: readonly string[],
  registry: ModelRegistry,
  registryPath: string,
  options: ModelCheckOptions,
  env: NodeJS.ProcessEnv,
): Promise<CheckOutcome> {
  const entry = getModelEntry(registry, name);
  const file = await resolveModelFile(entry, { env, ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }) });
  // Labels are named relative to the registry's folder, as loadDetector reads them.
  const registryDir = options.registryPath === undefined ? defaultModelsDir() : dirname(registryPath);
  const labels = await loadLabels(entry, registryDir);
  return pass(`${file.path}: sha256 accepted by the registry, ${labels.length} labels`, [
    `sha256: ${file.sha256}`,
    `used by: ${cameras.join(', ')}`,
    `registry: ${registryPath}`,
  ]);
}

/** The agent's own messages name the file, the digest found and what to do; the first sentence is the row. */
function firstSentence(error: unknown): string {
  const message = toError(error).message;
  // The list of accepted digests stays in the details: two 64-character digests would bury the row.
  const first = (message.split(/\. |; /)[0] ?? message).replace(/ \((?:[0-9a-f]{64}(?:, )?)+\)/, '');
  return error instanceof AgentError ? `${first} [${error.code}]` : first;
}
