import { z } from 'zod';
import { RULE_TYPES } from './config/rulesSchema.js';
import { SEVERITIES } from './config/siteConfig.js';
import type { AlertState, EventFacts, Track } from './types.js';

/**
 * `c5.alert.v1`, the only thing the agent sends about what it saw. Defined once here; its JSON
 * Schema in config/alert.schema.json is generated from it (`npm run schemas`). Never pixels.
 */

export const ALERT_SCHEMA_NAME = 'c5.alert.v1';

const unit = z.number().min(0).max(1);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const timestamp = z.iso.datetime({ offset: false });

export const alertSchema = z
  .strictObject({
    schema: z.literal(ALERT_SCHEMA_NAME).describe(`Always ${ALERT_SCHEMA_NAME}: the schema of this message.`),
    /** UUIDv7: time-ordered; receivers de-duplicate on it (delivery is at-least-once) */
    id: z.uuid({ version: 'v7' }).describe('The alert id, a time-ordered UUIDv7; delivery is at least once, so receivers de-duplicate on it.'),
    /** per-agent, monotonic */
    seq: z.number().int().min(1).describe("The agent's alert sequence number: rises by one per alert, across restarts."),
    siteId: z.string().min(1).describe("The site config's site.id."),
    cameraId: z.string().min(1).describe('The id of the camera that saw it.'),
    ruleId: z.string().min(1).describe('The id of the rule that raised it.'),
    type: z.enum(RULE_TYPES).describe("The rule's type: object_present, zone_intrusion, line_crossing, loitering or crowding."),
    state: z.enum(['start', 'update', 'end']).describe('Where the event is: start (once), update (what matters changed), end (once).'),
    severity: z.enum(SEVERITIES).describe("The rule's severity: info, low, medium, high or critical."),
    /** the object the event is about; absent only for crowding, whose event is about a zone */
    object: z
      .strictObject({
        label: z
          .string()
          .min(1)
          .describe("The object's class, from the model's label list (e.g. person): for a track of a label group, the label detected on most of its frames."),
        group: z
          .string()
          .min(1)
          .optional()
          .describe("The object's label group from the camera's tracker.labelGroups (e.g. vehicle), when its label is in one."),
        trackId: z.number().int().min(1).describe("The tracker's id for the object; never reused on that camera while the agent runs."),
        score: unit.describe("The track's latest detection score (0..1)."),
        /** normalised source coordinates x1, y1, x2, y2 */
        bbox: z
          .tuple([unit, unit, unit, unit])
          .describe("The object's box [x1, y1, x2, y2] in normalised source coordinates: fractions 0..1 of the frame, origin top-left."),
      })
      .describe('the object the event is about: present on every alert type except crowding')
      .optional(),
    zone: z
      .strictObject({ id: z.string().min(1).describe("The zone's id in the camera's config.") })
      .optional()
      .describe('zone_intrusion, loitering, crowding: the zone the event is about.'),
    /** line_crossing: the line and the direction of the (latest) crossing */
    line: z
      .strictObject({
        id: z.string().min(1).describe("The line's id in the camera's config."),
        direction: z.enum(['in', 'out']).describe('in: from the left of the line (from->to) to its right, as seen on screen; out: the reverse.'),
      })
      .optional()
      .describe('line_crossing: the line and the direction of the latest crossing.'),
    /** crowding: objects in the zone */
    count: z.number().int().min(0).optional().describe('crowding: objects in the zone.'),
    /** loitering: seconds the object has been in the zone */
    dwellSeconds: z.number().min(0).optional().describe('loitering: seconds the object has been in the zone.'),
    /** when the frame that produced this alert left the decoder (UTC, ms) */
    frameTime: timestamp.describe('When the frame behind this alert left the decoder: ISO 8601 UTC, to the millisecond.'),
    createdAt: timestamp.describe('When the agent built this alert: ISO 8601 UTC, to the millisecond.'),
    model: z
      .strictObject({
        name: z.string().min(1).describe('The model name from models/registry.json.'),
        sha256: sha256.describe("SHA-256 of the model's weights file, hex."),
      })
      .describe('The detection model that saw it.'),
    config: z
      .strictObject({
        version: z.number().int().min(1).describe("The site config's version."),
        sha256: sha256.describe("SHA-256 of the config file's exact bytes, hex (sha256sum site.yaml)."),
      })
      .describe('The site config it was decided under.'),
    /** the audit record behind this alert, once the audit log is enabled */
    audit: z
      .strictObject({
        seq: z.number().int().min(1).describe("The audit record's sequence number."),
        hash: sha256.describe("The audit record's hash in the log's hash chain, hex."),
      })
      .optional()
      .describe('The audit-log record behind this alert (c5-agent audit explain ALERT_ID shows the trail).'),
  })
  .superRefine((alert, ctx) => {
    if (alert.type !== 'crowding' && alert.object === undefined) {
      ctx.addIssue({ code: 'custom', path: ['object'], message: `a ${alert.type} alert must name its object` });
    }
  })
  .describe('One alert from a c5 edge agent about an event on one camera; never carries pixels.');

export type Alert = z.infer<typeof alertSchema>;
export type AlertType = Alert['type'];

export interface AlertContext {
  readonly siteId: string;
  readonly cameraId: string;
  readonly model: { name: string; sha256: string };
  readonly config: { version: number; sha256: string };
}

export interface AlertFacts extends EventFacts {
  readonly id: string;
  readonly seq: number;
  readonly ruleId: string;
  readonly type: AlertType;
  readonly state: AlertState;
  readonly severity: Alert['severity'];
  /** absent for crowding */
  readonly track?: Track;
  readonly frameTime: number;
  readonly now: number;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

export function buildAlert(context: AlertContext, facts: AlertFacts): Alert {
  const alert: Alert = {
    schema: ALERT_SCHEMA_NAME,
    id: facts.id,
    seq: facts.seq,
    siteId: context.siteId,
    cameraId: context.cameraId,
    ruleId: facts.ruleId,
    type: facts.type,
    state: facts.state,
    severity: facts.severity,
    frameTime: new Date(facts.frameTime).toISOString(),
    createdAt: new Date(facts.now).toISOString(),
    model: { name: context.model.name, sha256: context.model.sha256 },
    config: { version: context.config.version, sha256: context.config.sha256 },
  };
  const { track } = facts;
  if (track) {
    const [x1, y1, x2, y2] = track.box;
    alert.object = {
      label: track.label,
      ...(track.group === undefined ? {} : { group: track.group }),
      trackId: track.id,
      score: clamp01(track.score),
      bbox: [clamp01(x1), clamp01(y1), clamp01(x2), clamp01(y2)],
    };
  }
  if (facts.zoneId !== undefined) alert.zone = { id: facts.zoneId };
  if (facts.line !== undefined) alert.line = { id: facts.line.id, direction: facts.line.direction };
  if (facts.count !== undefined) alert.count = facts.count;
  if (facts.dwellSeconds !== undefined) alert.dwellSeconds = Math.max(0, Math.round(facts.dwellSeconds * 1000) / 1000);
  return alert;
}
