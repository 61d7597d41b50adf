import type { SiteConfig } from './siteConfig.js';

/**
 * What validates but does nothing: a camera without rules (it detects and tracks, and never
 * alerts), a disabled camera, a zone or line no rule watches. Not errors: a camera may be set up
 * before its rules are agreed, and a zone drawn before its rule. One line per finding, naming the
 * camera by index and id (`cameras[2] (id "lobby"): no rules, it will detect but never alert`).
 */
export function configWarnings(config: SiteConfig): string[] {
  const warnings: string[] = [];
  config.cameras.forEach((camera, c) => {
    const where = `cameras[${c}] (id "${camera.id}")`;
    if (!camera.enabled) {
      warnings.push(`${where}: disabled (enabled: false), it will not be started`);
      return;
    }
    if (camera.rules.length === 0) {
      warnings.push(`${where}: no rules, it will detect but never alert`);
      return;
    }
    const watchedZones = new Set(camera.rules.flatMap((rule) => ('zone' in rule ? [rule.zone] : [])));
    const watchedLines = new Set(camera.rules.flatMap((rule) => ('line' in rule ? [rule.line] : [])));
    camera.zones.forEach((zone, z) => {
      if (!watchedZones.has(zone.id)) warnings.push(`cameras[${c}].zones[${z}] (id "${zone.id}"): no rule watches this zone`);
    });
    camera.lines.forEach((line, l) => {
      if (!watchedLines.has(line.id)) warnings.push(`cameras[${c}].lines[${l}] (id "${line.id}"): no rule watches this line`);
    });
  });
  return warnings;
}
