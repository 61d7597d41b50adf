import { z } from 'zod';

/**
 * The site config: one document per edge box, validated here and nowhere else. Unknown keys are
 * errors (a typo in a rule must not silently disable it). Secrets are references (`env:NAME`,
 * `file:/path`) resolved by the loader in agent/, never stored in this object unresolved.
 */

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected an id of lower-case letters, digits, "-" or "_" (1-63 chars)');

/** A literal, or a reference resolved at load time: `env:NAME` or `file:/path`. */
export const secretRef = z.string().min(1);

const unit = z.number().min(0).max(1);
export const pointSchema = z.tuple([unit, unit]);
export const polygonSchema = z.array(pointSchema).min(3, 'a polygon needs at least 3 points');

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

const ruleBase = {
  id,
  labels: z.array(z.string().min(1)).min(1),
  minScore: z.number().min(0).max(1).default(0.5),
  severity: z.enum(SEVERITIES).default('medium'),
};

export const objectPresentRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('object_present'),
});

export const zoneIntrusionRuleSchema = z.strictObject({
  ...ruleBase,
  type: z.literal('zone_intrusion'),
  zone: id,
});

export const ruleSchema = z.discriminatedUnion('type', [objectPresentRuleSchema, zoneIntrusionRuleSchema]);

export const zoneSchema = z.strictObject({
  id,
  name: z.string().optional(),
  polygon: polygonSchema,
});

export const sourceSchema = z.strictObject({
  /** rtsp://..., a file path, or a secret reference to either (camera URLs carry credentials) */
  url: secretRef,
  transport: z.enum(['tcp', 'udp']).default('tcp'),
  /** files only: start again at the end */
  loop: z.boolean().default(false),
  /** files only: read at the file's own frame rate, as a camera would deliver it */
  realtime: z.boolean().default(true),
});

export const detectionSchema = z.strictObject({
  /** detections below this never reach the policy */
  minScore: z.number().min(0).max(1).default(0.25),
  /** class-wise NMS overlap threshold */
  iouThreshold: z.number().min(0).max(1).default(0.45),
});

export const cameraSchema = z.strictObject({
  id,
  name: z.string().optional(),
  enabled: z.boolean().default(true),
  source: sourceSchema,
  analyticsFps: z.number().positive().max(60).default(5),
  model: z.string().min(1).default('yolox-nano'),
  stallTimeoutSeconds: z.number().positive().max(3600).default(20),
  detection: detectionSchema.prefault({}),
  zones: z.array(zoneSchema).default([]),
  rules: z.array(ruleSchema).default([]),
});

export const mqttSchema = z.strictObject({
  /** tried in order; the agent never assumes a single broker host */
  urls: z.array(z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'expected an mqtt://, mqtts://, ws:// or wss:// URL')).min(1),
  prefix: z
    .string()
    .regex(/^[^#+/](?:[^#+]*[^#+/])?$/, 'expected a topic prefix without wildcards or a leading or trailing "/"')
    .default('c5'),
  /** 5 (MQTT 5, the default); 4 (MQTT 3.1.1) only for brokers that lack 5, such as the demo's */
  protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
  clientId: z.string().min(1).optional(),
  username: secretRef.optional(),
  password: secretRef.optional(),
  keepaliveSeconds: z.number().int().positive().max(3600).default(30),
  reconnectMinSeconds: z.number().positive().default(1),
  reconnectMaxSeconds: z.number().positive().default(30),
});

export const metricsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(9464),
});

export const siteConfigSchema = z
  .strictObject({
    version: z.number().int().min(1),
    site: z.strictObject({
      id,
      name: z.string().optional(),
    }),
    ffmpegPath: z.string().min(1).optional(),
    mqtt: mqttSchema,
    metrics: metricsSchema.prefault({}),
    cameras: z.array(cameraSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const cameraIds = new Set<string>();
    config.cameras.forEach((camera, c) => {
      if (cameraIds.has(camera.id)) {
        ctx.addIssue({ code: 'custom', path: ['cameras', c, 'id'], message: `duplicate camera id "${camera.id}"` });
      }
      cameraIds.add(camera.id);
      const zoneIds = new Set<string>();
      camera.zones.forEach((zone, z) => {
        if (zoneIds.has(zone.id)) {
          ctx.addIssue({ code: 'custom', path: ['cameras', c, 'zones', z, 'id'], message: `duplicate zone id "${zone.id}"` });
        }
        zoneIds.add(zone.id);
      });
      const ruleIds = new Set<string>();
      camera.rules.forEach((rule, r) => {
        if (ruleIds.has(rule.id)) {
          ctx.addIssue({ code: 'custom', path: ['cameras', c, 'rules', r, 'id'], message: `duplicate rule id "${rule.id}"` });
        }
        ruleIds.add(rule.id);
        if (rule.type === 'zone_intrusion' && !zoneIds.has(rule.zone)) {
          const defined = [...zoneIds].join(', ') || '(none)';
          ctx.addIssue({
            code: 'custom',
            path: ['cameras', c, 'rules', r, 'zone'],
            message: `unknown zone "${rule.zone}"; defined zones: ${defined}`,
          });
        }
      });
    });
  });

export type SiteConfigInput = z.input<typeof siteConfigSchema>;
export type SiteConfig = z.output<typeof siteConfigSchema>;
export type CameraConfig = SiteConfig['cameras'][number];
export type RuleConfig = CameraConfig['rules'][number];
export type ZoneConfig = CameraConfig['zones'][number];
export type Severity = (typeof SEVERITIES)[number];

/** `cameras[2].rules[0].zone` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One line per problem: path, what is wrong, the value received. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `${formatPath(issue.path)}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const received = valueAt(input, issue.path);
    const suffix = issue.code === 'custom' ? '' : ` (received ${describeValue(received)})`;
    return `${formatPath(issue.path)}: ${issue.message}${suffix}`;
  });
}

export type ParseResult = { ok: true; config: SiteConfig } | { ok: false; errors: string[] };

/** Validates an already-parsed document (secrets resolved by the caller). */
export function parseSiteConfig(input: unknown): ParseResult {
  const result = siteConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, errors: formatIssues(result.error.issues, input) };
}
