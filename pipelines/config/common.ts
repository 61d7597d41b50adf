import { z } from 'zod';
import { MAX_POLYGON_POINTS, polygonProblem } from './simplePolygon.js';

/** Building blocks shared by the site config sections. */

export const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected an id of lower-case letters, digits, "-" or "_" (1-63 chars)');

/** A literal, or a reference resolved at load time: `env:NAME` or `file:/path`. */
export const secretRef = z.string().min(1);

export const unit = z.number().min(0).max(1);
export const pointSchema = z
  .tuple([unit, unit])
  .describe('A point [x, y] in normalised source coordinates: fractions 0..1 of the frame width and height, origin top-left, y down.');
/** Zones and privacy masks: a simple polygon (no self-intersection, non-zero area), see simplePolygon.ts. */
export const polygonSchema = z
  .array(pointSchema)
  .min(3, 'a polygon needs at least 3 points')
  .max(MAX_POLYGON_POINTS, `a polygon may have at most ${MAX_POLYGON_POINTS} points`)
  .superRefine((points, ctx) => {
    if (points.length < 3 || points.length > MAX_POLYGON_POINTS) return;
    const problem = polygonProblem(points);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    `A simple polygon of 3 to ${MAX_POLYGON_POINTS} distinct normalised [x, y] points (0..1, origin top-left): no edges that cross or touch, non-zero area.`,
  );

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
