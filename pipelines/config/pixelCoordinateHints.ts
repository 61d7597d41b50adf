import { formatPath } from './formatIssues.js';

/**
 * Zones, lines and privacy masks are in normalised source coordinates (fractions 0..1 of the
 * frame width and height, `pointSchema` in common.ts). Someone who measured them on a screenshot
 * writes pixels, and the schema says only "Too big" once per number; this adds one line per shape
 * saying what went wrong and how to fix it. Pure, over the raw document (it runs when the schema
 * has refused it), bounded like formatIssues: linear in the document, at most MAX_PIXEL_HINTS lines.
 */

export const MAX_PIXEL_HINTS = 20;

const HINT = 'coordinates are fractions of the frame width and height, 0..1; divide x by the width and y by the height';

/** One line per zone, line or mask with a coordinate above 1, e.g. `cameras[0].zones[1].polygon: looks like pixels (x up to 640, y up to 360): …`. */
export function pixelCoordinateHints(document: unknown): string[] {
  const hints: string[] = [];
  const cameras = field(document, 'cameras');
  if (!Array.isArray(cameras)) return hints;
  const add = (path: readonly PropertyKey[], points: readonly unknown[]): void => {
    if (hints.length >= MAX_PIXEL_HINTS) return;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const point of points) {
      if (!Array.isArray(point)) continue;
      const [x, y] = point as unknown[];
      if (typeof x === 'number') maxX = Math.max(maxX, x);
      if (typeof y === 'number') maxY = Math.max(maxY, y);
    }
    if (!(maxX > 1 || maxY > 1)) return;
    const largest = [maxX > 1 ? `x up to ${maxX}` : '', maxY > 1 ? `y up to ${maxY}` : ''].filter(Boolean).join(', ');
    hints.push(`${formatPath(path)}: looks like pixels (${largest}): ${HINT}`);
  };
  cameras.forEach((camera, c) => {
    for (const key of ['zones', 'privacyMasks'] as const) {
      const shapes = field(camera, key);
      if (!Array.isArray(shapes)) continue;
      shapes.forEach((shape, s) => {
        const polygon = field(shape, 'polygon');
        if (Array.isArray(polygon)) add(['cameras', c, key, s, 'polygon'], polygon);
      });
    }
    const lines = field(camera, 'lines');
    if (!Array.isArray(lines)) return;
    lines.forEach((line, l) => add(['cameras', c, 'lines', l], [field(line, 'from'), field(line, 'to')]));
  });
  return hints;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}
