import { z } from 'zod';

/** Building blocks shared by the site config sections. */

export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected an id of lower-case letters, digits, "-" or "_" (1-63 chars)');

/** A literal, or a reference resolved at load time: `env:NAME` or `file:/path`. */
export const secretRef = z.string().min(1);

export const unit = z.number().min(0).max(1);
export const pointSchema = z.tuple([unit, unit]);
export const polygonSchema = z.array(pointSchema).min(3, 'a polygon needs at least 3 points');

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

