import type { z } from 'zod';
import { quoteUntrusted } from '../untrustedText.js';
import type { cameraSchema } from './cameraSchema.js';

type Camera = z.output<typeof cameraSchema>;

/**
 * The checks zod cannot express per field: ids unique within a camera, rules that name zones and
 * lines the camera defines, ranges whose ends must be ordered. Paths are absolute
 * (`cameras[0].rules[1].line`) so every message names the field it is about.
 */
export function checkCamera(camera: Camera, path: readonly PropertyKey[], ctx: z.RefinementCtx): void {
  const issue = (at: readonly PropertyKey[], message: string): void => {
    ctx.addIssue({ code: 'custom', path: [...path, ...at], message });
  };
  const zoneIds = uniqueIds(camera.zones, 'zone', ['zones'], issue);
  const lineIds = uniqueIds(camera.lines, 'line', ['lines'], issue);
  uniqueIds(camera.privacyMasks, 'privacy mask', ['privacyMasks'], issue);
  uniqueIds(camera.rules, 'rule', ['rules'], issue);

  camera.lines.forEach((line, l) => {
    if (line.from[0] === line.to[0] && line.from[1] === line.to[1]) issue(['lines', l, 'to'], 'a line needs two different points');
  });
  const { tracker } = camera;
  if (tracker.lowScore > tracker.highScore) {
    issue(['tracker', 'lowScore'], `must not exceed highScore (${tracker.highScore}); received ${tracker.lowScore}`);
  }
  checkLabelGroups(tracker.labelGroups ?? {}, issue);
  camera.rules.forEach((rule, r) => {
    if (rule.minBoxArea > rule.maxBoxArea) {
      issue(['rules', r, 'maxBoxArea'], `must not be below minBoxArea (${rule.minBoxArea}); received ${rule.maxBoxArea}`);
    }
    if ('zone' in rule && !zoneIds.has(rule.zone)) {
      issue(['rules', r, 'zone'], `unknown zone "${rule.zone}"; defined zones: ${listed(zoneIds)}`);
    }
    if ('line' in rule && !lineIds.has(rule.line)) {
      issue(['rules', r, 'line'], `unknown line "${rule.line}"; defined lines: ${listed(lineIds)}`);
    }
  });
}

/** A label is in at most one group, once: else which group a track of it belongs to is a guess. */
function checkLabelGroups(groups: Readonly<Record<string, readonly string[]>>, issue: (path: readonly PropertyKey[], message: string) => void): void {
  const groupOf = new Map<string, string>();
  for (const [group, labels] of Object.entries(groups)) {
    labels.forEach((label, l) => {
      const other = groupOf.get(label);
      const at = ['tracker', 'labelGroups', group, l];
      if (other === group) issue(at, `label ${quoteUntrusted(label, 64)} is listed twice in group "${group}"`);
      else if (other !== undefined) issue(at, `label ${quoteUntrusted(label, 64)} is already in group "${other}"; a label may be in one group only`);
      else groupOf.set(label, group);
    });
  }
}

function uniqueIds(
  items: readonly { readonly id: string }[],
  what: string,
  at: readonly PropertyKey[],
  issue: (path: readonly PropertyKey[], message: string) => void,
): Set<string> {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) issue([...at, i, 'id'], `duplicate ${what} id "${item.id}"`);
    seen.add(item.id);
  });
  return seen;
}

function listed(ids: ReadonlySet<string>): string {
  return [...ids].join(', ') || '(none)';
}
