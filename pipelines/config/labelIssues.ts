import { DEFAULT_LABEL_GROUPS } from '../track/LabelGroups.js';
import { quoteUntrusted } from '../untrustedText.js';
import { formatPath } from './formatIssues.js';
import type { CameraConfig, SiteConfig } from './siteConfig.js';

/**
 * Every object class a config names must be one its camera's model can output: a rule on
 * `persons` (or COCO's `motorbike`, which is `motorcycle`) validates against the schema and then
 * never fires. Pure: the caller reads the registry and the labels files and passes them in.
 */

export interface ModelLabels {
  /** class names in class-id order, as the labels file lists them */
  readonly labels: readonly string[];
  /** where they came from, for the message when nothing is close (e.g. `models/labels/coco80.txt`) */
  readonly source: string;
}

/** A field that names an object class: where it is and what it says. */
interface LabelField {
  readonly path: readonly PropertyKey[];
  readonly label: string;
  /** a rule's labels may also name one of the camera's label groups */
  readonly groupAllowed: boolean;
}

/** Longest label looked at for a suggestion; a longer one is no typo of a class name (and keeps the edit distance cheap). */
const MAX_SUGGEST_CHARS = 64;
/** Problems listed per config, like formatIssues: a flood is counted, not copied. */
export const MAX_LABEL_ISSUES = 20;

/**
 * Everyday words for COCO classes that no edit distance reaches. Suggested only when the model
 * really has the target class.
 */
const COMMON_NAMES: Readonly<Record<string, string>> = {
  people: 'person',
  pedestrian: 'person',
  pedestrians: 'person',
  human: 'person',
  man: 'person',
  woman: 'person',
  bike: 'bicycle',
  motorbike: 'motorcycle',
  scooter: 'motorcycle',
  lorry: 'truck',
  automobile: 'car',
  aeroplane: 'airplane',
  plane: 'airplane',
};

/**
 * One line per unknown model or unknown label, naming the field
 * (`cameras[0].rules[1].labels[0]: "persons" is not a label of model yolox-nano; did you mean "person"?`).
 * `modelLabels` maps each model name the registry knows to its labels; a camera on a model it
 * lacks gets one line naming the known ones.
 */
export function labelIssues(config: SiteConfig, modelLabels: ReadonlyMap<string, ModelLabels>): string[] {
  const issues: string[] = [];
  let more = 0;
  const add = (line: string): void => {
    if (issues.length < MAX_LABEL_ISSUES) issues.push(line);
    else more += 1;
  };
  config.cameras.forEach((camera, c) => {
    const model = modelLabels.get(camera.model);
    if (model === undefined) {
      const known = [...modelLabels.keys()].sort().join(', ') || '(none)';
      add(`${formatPath(['cameras', c, 'model'])}: model ${quoteUntrusted(camera.model, 64)} is not in the model registry; known models: ${known}`);
      return;
    }
    const known = new Set(model.labels);
    const groupNames = labelGroupNames(camera, known);
    for (const [group] of Object.entries(camera.tracker.labelGroups ?? {})) {
      if (known.has(group)) {
        add(
          `${formatPath(['cameras', c, 'tracker', 'labelGroups', group])}: group "${group}" is a label of model ${camera.model}; a rule naming it would be ambiguous`,
        );
      }
    }
    for (const field of labelFieldsOf(camera, ['cameras', c])) {
      if (known.has(field.label) || (field.groupAllowed && groupNames.has(field.label))) continue;
      const closest = closestLabel(field.label, model.labels);
      const hint = closest === undefined ? ` (its ${model.labels.length} labels are listed in ${model.source})` : `; did you mean "${closest}"?`;
      add(`${formatPath(field.path)}: ${quoteUntrusted(field.label, 64)} is not a label of model ${camera.model}${hint}`);
    }
  });
  if (more > 0) issues.push(`… and ${more} more label problem${more === 1 ? '' : 's'} not listed`);
  return issues;
}

/**
 * The label groups a rule may name: the camera's own (`tracker.labelGroups`), or when it names
 * none the default groups that have a label of the model (a model without cars has no vehicles).
 */
function labelGroupNames(camera: CameraConfig, known: ReadonlySet<string>): Set<string> {
  const explicit = camera.tracker.labelGroups;
  if (explicit !== undefined) return new Set(Object.keys(explicit));
  return new Set(
    Object.entries(DEFAULT_LABEL_GROUPS)
      .filter(([, labels]) => labels.some((label) => known.has(label)))
      .map(([group]) => group),
  );
}

/**
 * Every place a camera names an object class: each rule's `labels` and each label of the
 * camera's own label groups (the default groups are not checked: labels the model lacks are
 * ignored there). A class map or a per-label filter added to the camera schema must be listed
 * here too, or it goes unchecked.
 */
function labelFieldsOf(camera: CameraConfig, at: readonly PropertyKey[]): LabelField[] {
  const fields: LabelField[] = [];
  camera.rules.forEach((rule, r) => {
    rule.labels.forEach((label, l) => fields.push({ path: [...at, 'rules', r, 'labels', l], label, groupAllowed: true }));
  });
  for (const [group, labels] of Object.entries(camera.tracker.labelGroups ?? {})) {
    labels.forEach((label, l) => fields.push({ path: [...at, 'tracker', 'labelGroups', group, l], label, groupAllowed: false }));
  }
  return fields;
}

/**
 * The label the operator most likely meant: the same word in another case, a common name
 * (`people` → `person`), a plural (`persons`, `buses`), else the nearest by edit distance when
 * it is near enough to be a typo (at most 2 edits, or 40% of the longer word's length).
 */
export function closestLabel(word: string, labels: readonly string[]): string | undefined {
  if (word.length > MAX_SUGGEST_CHARS) return undefined;
  const lower = word.toLowerCase().trim();
  const known = new Set(labels);
  const candidates = [lower, COMMON_NAMES[lower], lower.replace(/es$/, ''), lower.replace(/s$/, '')];
  for (const candidate of candidates) {
    if (candidate !== undefined && candidate !== '' && known.has(candidate)) return candidate;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const label of labels) {
    const distance = editDistance(lower, label.toLowerCase());
    const allowed = Math.max(2, Math.floor(0.4 * Math.max(lower.length, label.length)));
    if (distance <= allowed && distance < bestDistance) {
      best = label;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute), two rows: O(a x b) time, O(b) memory. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length]!;
}
