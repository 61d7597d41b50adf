/** Group name to the labels that are one kind of object (`vehicle: [car, truck, bus]`). */
export type LabelGroupsConfig = Readonly<Record<string, readonly string[]>>;

/**
 * What a camera groups when its config says nothing: the detector often calls one van `car` on one
 * frame and `truck` on the next (or both on one box), and both are the same vehicle to the centre.
 */
export const DEFAULT_LABEL_GROUPS: LabelGroupsConfig = { vehicle: ['car', 'truck', 'bus'] };

/**
 * A camera's label groups, resolved once when its tracker or detect options are built: every
 * per-frame question (which group is this label in, may these two labels share a track, which
 * classes suppress each other in NMS) is one map lookup, never a scan over the config.
 */
export class LabelGroups {
  private readonly groupByLabel: ReadonlyMap<string, string>;
  /** label to its match key, filled on first sight of each label */
  private readonly keyByLabel = new Map<string, number>();
  /** group name to its match key */
  private readonly keyByGroup = new Map<string, number>();
  private nextKey = 0;

  constructor(config: LabelGroupsConfig = DEFAULT_LABEL_GROUPS) {
    const groupByLabel = new Map<string, string>();
    for (const [group, labels] of Object.entries(config)) {
      // The config check refuses a label in two groups; should one slip through, the first group wins.
      for (const label of labels) if (!groupByLabel.has(label)) groupByLabel.set(label, group);
    }
    this.groupByLabel = groupByLabel;
  }

  /** The group the label belongs to, if any. */
  groupOf(label: string): string | undefined {
    return this.groupByLabel.get(label);
  }

  /**
   * A number that is equal for two labels exactly when the tracker may match them: the same label,
   * or two labels of one group. Numbers are handed out on first use (a model has a bounded label list).
   */
  matchKey(label: string): number {
    let key = this.keyByLabel.get(label);
    if (key !== undefined) return key;
    // Groups and labels are numbered apart: a group named like some label stays distinct from it.
    const group = this.groupByLabel.get(label);
    key = group === undefined ? this.nextKey++ : (this.keyByGroup.get(group) ?? this.nextKey++);
    if (group !== undefined) this.keyByGroup.set(group, key);
    this.keyByLabel.set(label, key);
    return key;
  }

  /**
   * For NMS over a model's classes (in class-id order): per class id, the lowest class id of its
   * group, or its own id when it is in none. Classes with one key suppress each other, so a van
   * found as car 0.8 and truck 0.6 on one box is one detection.
   */
  nmsClassKeys(labels: readonly string[]): number[] {
    const firstOfGroup = new Map<string, number>();
    return labels.map((label, classId) => {
      const group = this.groupByLabel.get(label);
      if (group === undefined) return classId;
      const first = firstOfGroup.get(group);
      if (first !== undefined) return first;
      firstOfGroup.set(group, classId);
      return classId;
    });
  }
}
