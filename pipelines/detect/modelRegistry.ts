import { z } from 'zod';
import { ModelError } from '../errors.js';
import { DECODER_FAMILIES } from './decoders/index.js';

/**
 * The model registry (`models/registry.json`): which models the agent knows, how to feed them,
 * how to decode them, and which weight files it will accept. Pure: parse and look up only; the
 * agent reads the file and the labels.
 */

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 digest: 64 lower-case hex characters');

const positiveInt = z.number().int().positive();

/** A bare file name: weights are always looked up inside known folders, never at a registry-given path. */
const fileNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a plain file name (letters, digits, ".", "_", "-"), no folders');

/** Relative, inside the registry's folder: a registry must not point the agent at arbitrary files. */
const relativePathSchema = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('/') && !value.split(/[\\/]/).includes('..'), {
    message: 'expected a path relative to the registry folder, without ".."',
  });

export const modelNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a model name of lower-case letters, digits, ".", "_" or "-"');

export const modelInputSchema = z.strictObject({
  /** the ONNX graph's input name, checked at load */
  name: z.string().min(1),
  width: positiveInt,
  height: positiveInt,
  /** order of the three planes the model expects; frames arrive as BGR24 */
  channelOrder: z.enum(['BGR', 'RGB']),
  /** `raw`: 0..255 as-is (YOLOX); `unit`: divided by 255 (YOLOv8-style exports) */
  pixelValues: z.enum(['raw', 'unit']).default('raw'),
  /** grey level of the letterbox padding the model was trained with */
  padValue: z.number().int().min(0).max(255),
});

export const modelEntrySchema = z
  .strictObject({
    description: z.string().optional(),
    /** selects the output decoder, see pipelines/detect/decoders/index.ts */
    family: z.enum(DECODER_FAMILIES),
    file: fileNameSchema,
    /** every digest accepted for `file`; several exports of the same weights may be listed */
    sha256: z.array(sha256Schema).min(1, 'expected at least one accepted sha256 digest'),
    licence: z.string().min(1),
    /** where `models pull` downloads the weights from; absent for models provisioned by hand */
    sourceUrl: z.url({ protocol: /^https?$/ }).optional(),
    homepage: z.url().optional(),
    /** labels file, one class name per line in class-id order */
    labels: relativePathSchema,
    numClasses: positiveInt,
    input: modelInputSchema,
    output: z.strictObject({ name: z.string().min(1) }),
    /** feature-map strides of the detection head, in output order */
    strides: z.array(positiveInt).min(1),
  })
  .superRefine((entry, ctx) => {
    for (const stride of entry.strides) {
      if (entry.input.width % stride !== 0 || entry.input.height % stride !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['strides'],
          message: `stride ${stride} does not divide the input size ${entry.input.width}x${entry.input.height}`,
        });
      }
    }
  });

export const modelRegistrySchema = z.strictObject({
  $comment: z.string().optional(),
  version: z.literal(1),
  models: z.record(modelNameSchema, modelEntrySchema),
});

export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type ModelRegistry = z.infer<typeof modelRegistrySchema>;

/** `models.yolox-nano.input.width` style path, so a registry error names the field to fix. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  }
  return out;
}

/** Validates a parsed registry document; ModelError `invalid_registry` lists every bad field. */
export function parseModelRegistry(document: unknown, source = 'model registry'): ModelRegistry {
  const result = modelRegistrySchema.safeParse(document);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new ModelError('invalid_registry', `${source} is invalid: ${problems.join('; ')}`);
}

/** Looks a model up by name; ModelError `unknown_model` lists the names that exist. */
export function getModelEntry(registry: ModelRegistry, name: string): ModelEntry {
  const entry = Object.hasOwn(registry.models, name) ? registry.models[name] : undefined;
  if (entry === undefined) {
    const known = Object.keys(registry.models).sort().join(', ') || '(none)';
    throw new ModelError('unknown_model', `model "${name}" is not in the registry; known models: ${known}`);
  }
  return entry;
}

/**
 * Parses a labels file: one name per line, blank lines and surrounding spaces ignored, `#` starts
 * a comment line. The count must match the registry so a truncated file cannot shift class ids.
 */
export function parseLabels(text: string, expectedCount: number, source = 'labels file'): string[] {
  const labels = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (labels.length !== expectedCount) {
    throw new ModelError('invalid_labels', `${source} has ${labels.length} labels but the registry says numClasses is ${expectedCount}`);
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new ModelError('invalid_labels', `${source} lists "${label}" twice`);
    seen.add(label);
  }
  return labels;
}
