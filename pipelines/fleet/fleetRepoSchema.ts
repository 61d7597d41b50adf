import { z } from 'zod';
import { id } from '../config/common.js';

/**
 * The files of a fleet repository (README, "Fleet operations"): `fleet.yaml`, `groups/<name>.yaml`
 * and `sites/<site-id>.yaml`. Only the layout is checked here (which keys a file may have, and
 * their kinds); what a section holds is checked once, on the merged result, by the site config's
 * own schema, so an error is reported where the site config defines it.
 */

/** The site-level sections a layer may set for every site under it: everything but `version`, `site` and `cameras`. */
export const SITE_SECTIONS = ['ffmpegPath', 'mqtt', 'outbox', 'metrics', 'stats', 'audit', 'inference', 'fleet'] as const;

const section = z.union([z.record(z.string(), z.unknown()), z.string(), z.null()]);
const sectionsSchema = z
  .strictObject(
    Object.fromEntries(SITE_SECTIONS.map((key) => [key, section.optional()])) as Record<(typeof SITE_SECTIONS)[number], z.ZodOptional<typeof section>>,
  )
  .describe('Site-level sections (mqtt, outbox, metrics, stats, audit, inference, fleet, ffmpegPath), deep-merged into every site below.');

const objectOf = z.record(z.string(), z.unknown());

/** A layer: fleet.yaml, and each group file, have the same shape. */
export const fleetLayerSchema = z
  .strictObject({
    description: z.string().optional().describe('For people reading the repository; not rendered.'),
    defaults: sectionsSchema.optional(),
    cameraDefaults: objectOf
      .optional()
      .describe("Camera keys (model, analyticsFps, detection, tracker, motion, source.transport...) deep-merged under each camera's own."),
    ruleTemplates: z.record(id, objectOf).optional().describe('Named rules without an id: a camera rule says `template: NAME` and adds or overrides fields.'),
    schedules: z.record(id, objectOf).optional().describe('Named schedules: a camera or rule says `schedule: NAME` instead of writing the schedule out.'),
  })
  .describe('fleet.yaml or groups/<name>.yaml: defaults for every site below it.');

export const fleetSiteFileSchema = z
  .strictObject({
    site: z.strictObject({ id, name: z.string().optional() }),
    groups: z.array(id).max(32).default([]).describe('Groups the site belongs to, applied in this order after fleet.yaml.'),
    overrides: sectionsSchema.optional().describe("This site's own values for site-level sections, merged last."),
    cameras: z
      .array(objectOf)
      .min(1)
      .describe("The cameras, as in a site config; `schedule` and a rule's `schedule` may name a schedule, a rule may name a `template`."),
  })
  .describe('sites/<site-id>.yaml: one site, the groups it belongs to, its overrides and cameras.');

export type FleetLayer = z.output<typeof fleetLayerSchema>;
export type FleetSiteFile = z.output<typeof fleetSiteFileSchema>;
