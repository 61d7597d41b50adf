import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_GROUPS, LabelGroups } from '../../../../pipelines/track/LabelGroups.js';

describe('LabelGroups', () => {
  it('defaults to one vehicle group of car, truck and bus', () => {
    expect(DEFAULT_LABEL_GROUPS).toEqual({ vehicle: ['car', 'truck', 'bus'] });
    const groups = new LabelGroups();
    expect(['car', 'truck', 'bus', 'person', 'motorcycle'].map((label) => groups.groupOf(label))).toEqual([
      'vehicle',
      'vehicle',
      'vehicle',
      undefined,
      undefined,
    ]);
  });

  it('gives two labels one match key exactly when they are the same label or in one group', () => {
    const groups = new LabelGroups({ vehicle: ['car', 'truck'], animal: ['cat', 'dog'] });
    const key = (label: string): number => groups.matchKey(label);
    expect(key('car')).toBe(key('truck'));
    expect(key('cat')).toBe(key('dog'));
    expect(key('car')).not.toBe(key('cat'));
    expect(key('person')).toBe(key('person'));
    expect(new Set([key('person'), key('car'), key('cat'), key('bicycle')]).size).toBe(4);
  });

  it('keeps a group apart from a label that has its name', () => {
    const groups = new LabelGroups({ car: ['truck', 'bus'] });
    expect(groups.matchKey('car')).not.toBe(groups.matchKey('truck'));
    expect(groups.matchKey('bus')).toBe(groups.matchKey('truck'));
  });

  it('maps each class id to the first class id of its group for NMS', () => {
    // the first eight COCO classes
    const labels = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck'];
    expect(new LabelGroups().nmsClassKeys(labels)).toEqual([0, 1, 2, 3, 4, 2, 6, 2]);
    expect(new LabelGroups({}).nmsClassKeys(labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // the group's first class in class-id order leads, whatever order the config lists them in
    expect(new LabelGroups({ big: ['truck', 'bus'] }).nmsClassKeys(labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 5]);
  });

  it('puts a label listed in two groups in the first only', () => {
    const groups = new LabelGroups({ a: ['car'], b: ['car', 'bus'] });
    expect(groups.groupOf('car')).toBe('a');
    expect(groups.groupOf('bus')).toBe('b');
  });
});
