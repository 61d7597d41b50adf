import { describe, expect, it } from 'vitest';
import { closestLabel, editDistance, labelIssues, MAX_LABEL_ISSUES, type ModelLabels } from '../../../../pipelines/config/labelIssues.js';
import { parseSiteConfig, type SiteConfig } from '../../../../pipelines/config/siteConfig.js';

// The first eight COCO class names, written out by hand (models/labels/coco80.txt starts so).
const COCO_START = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck'];
const models = new Map<string, ModelLabels>([['yolox-nano', { labels: COCO_START, source: 'models/labels/coco80.txt' }]]);

function site(rules: { labels: string[] }[], model?: string): SiteConfig {
  const result = parseSiteConfig({
    version: 1,
    site: { id: 'site' },
    mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
    cameras: [
      { id: 'gate', source: { url: 'x' } },
      {
        id: 'yard',
        source: { url: 'x' },
        ...(model === undefined ? {} : { model }),
        rules: rules.map((rule, i) => ({ id: `r${i}`, type: 'object_present', ...rule })),
      },
    ],
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

describe('labelIssues', () => {
  it('accepts labels the model has', () => {
    expect(labelIssues(site([{ labels: ['person', 'car'] }, { labels: ['truck'] }]), models)).toEqual([]);
  });

  it('names the field of each unknown label and suggests the closest one', () => {
    expect(labelIssues(site([{ labels: ['car'] }, { labels: ['persons', 'motorbike'] }]), models)).toEqual([
      'cameras[1].rules[1].labels[0]: "persons" is not a label of model yolox-nano; did you mean "person"?',
      'cameras[1].rules[1].labels[1]: "motorbike" is not a label of model yolox-nano; did you mean "motorcycle"?',
    ]);
  });

  it('says where the labels are when none is close', () => {
    expect(labelIssues(site([{ labels: ['giraffe-ish'] }]), models)).toEqual([
      'cameras[1].rules[0].labels[0]: "giraffe-ish" is not a label of model yolox-nano (its 8 labels are listed in models/labels/coco80.txt)',
    ]);
  });

  it('reports a model the registry lacks once, naming the known ones', () => {
    expect(labelIssues(site([{ labels: ['person'] }], 'yolo-huge'), models)).toEqual([
      'cameras[1].model: model "yolo-huge" is not in the model registry; known models: yolox-nano',
    ]);
  });

  it('lists at most MAX_LABEL_ISSUES problems and counts the rest', () => {
    const issues = labelIssues(site([{ labels: Array.from({ length: 25 }, (_, i) => `thing${i}`) }]), models);
    expect(issues).toHaveLength(MAX_LABEL_ISSUES + 1);
    expect(issues.at(-1)).toBe('… and 5 more label problems not listed');
  });
});

describe('labelIssues and label groups', () => {
  function withGroups(labelGroups: Record<string, string[]> | undefined, labels: string[]): SiteConfig {
    const result = parseSiteConfig({
      version: 1,
      site: { id: 'site' },
      mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
      cameras: [
        {
          id: 'yard',
          source: { url: 'x' },
          ...(labelGroups === undefined ? {} : { tracker: { labelGroups } }),
          rules: [{ id: 'r', type: 'object_present', labels }],
        },
      ],
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    return result.config;
  }

  it('lets a rule name the default vehicle group, or a group of its own camera', () => {
    expect(labelIssues(withGroups(undefined, ['vehicle', 'car']), models)).toEqual([]);
    expect(labelIssues(withGroups({ wheels: ['bicycle', 'motorcycle'] }, ['wheels']), models)).toEqual([]);
    // a camera with its own groups has no default one
    expect(labelIssues(withGroups({ wheels: ['bicycle'] }, ['vehicle']), models)).toEqual([
      'cameras[0].rules[0].labels[0]: "vehicle" is not a label of model yolox-nano (its 8 labels are listed in models/labels/coco80.txt)',
    ]);
  });

  it('checks every label of a configured group against the model, and refuses a group named like a label', () => {
    expect(labelIssues(withGroups({ vehicle: ['car', 'lorry'], person: ['bicycle'] }, ['person']), models)).toEqual([
      'cameras[0].tracker.labelGroups.person: group "person" is a label of model yolox-nano; a rule naming it would be ambiguous',
      'cameras[0].tracker.labelGroups.vehicle[1]: "lorry" is not a label of model yolox-nano; did you mean "truck"?',
    ]);
  });

  it('ignores the default group on a model without any of its labels', () => {
    const animals = new Map<string, ModelLabels>([['yolox-nano', { labels: ['person', 'dog'], source: 'animals.txt' }]]);
    expect(labelIssues(withGroups(undefined, ['person']), animals)).toEqual([]);
    expect(labelIssues(withGroups(undefined, ['vehicle']), animals)).toEqual([
      'cameras[0].rules[0].labels[0]: "vehicle" is not a label of model yolox-nano (its 2 labels are listed in animals.txt)',
    ]);
  });
});

describe('closestLabel', () => {
  it.each([
    ['Person', 'person'],
    ['persons', 'person'],
    ['buses', 'bus'],
    ['cars', 'car'],
    ['people', 'person'],
    ['motorbike', 'motorcycle'],
    ['bicycel', 'bicycle'],
    ['trian', 'train'],
  ])('%s → %s', (word, expected) => {
    expect(closestLabel(word, COCO_START)).toBe(expected);
  });

  it('suggests nothing for a word far from every label, or absurdly long', () => {
    expect(closestLabel('xylophone', COCO_START)).toBeUndefined();
    expect(closestLabel(`person${'s'.repeat(100)}`, COCO_START)).toBeUndefined();
  });

  it('suggests a common name only when the model has it', () => {
    expect(closestLabel('people', ['car', 'truck'])).toBeUndefined();
  });
});

describe('editDistance', () => {
  it('is the Levenshtein distance', () => {
    // textbook pairs: kitten→sitting 3 (k/s, e/i, +g), flaw→lawn 2 (-f, +n)
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('flaw', 'lawn')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
