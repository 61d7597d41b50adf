import { z } from 'zod';
import { secretRef } from './common.js';

/** The /metrics, /healthz and /readyz endpoint, and the periodic MQTT stats summary. */

/**
 * True for names and addresses that only the box itself can reach. `0.0.0.0`, `::` and every
 * other address are reachable from the network and need credentials.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  return lower === 'localhost' || lower === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}

/**
 * Either a bearer token or basic-auth credentials, each a secret reference (`env:NAME`,
 * `file:/path`) resolved at load time. Prometheus sends them with `authorization:
 * {credentials_file}` or `basic_auth: {username, password_file}`.
 */
export const metricsAuthSchema = z
  .strictObject({
    bearerToken: secretRef
      .optional()
      .describe('Bearer token the scraper must send: a secret reference (env:NAME or file:/path). Not with username and password.'),
    username: secretRef.optional().describe('Basic-auth username, a literal or a secret reference; needs password. Not with bearerToken.'),
    password: secretRef.optional().describe('Basic-auth password: a secret reference (env:NAME or file:/path); needs username. Not with bearerToken.'),
  })
  .superRefine((auth, ctx) => {
    const basic = auth.username !== undefined || auth.password !== undefined;
    if (auth.bearerToken !== undefined && basic) {
      ctx.addIssue({ code: 'custom', message: 'set either bearerToken or username and password, not both' });
    } else if (auth.bearerToken === undefined && !basic) {
      ctx.addIssue({ code: 'custom', message: 'set bearerToken, or username and password' });
    } else if (basic && auth.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'basic auth needs a username as well as a password' });
    } else if (basic && auth.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'basic auth needs a password as well as a username' });
    }
  })
  .describe('Credentials for /metrics and /readyz (not /healthz): bearerToken, or username and password.');

export const metricsSchema = z
  .strictObject({
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the HTTP endpoint listens on; anything but a loopback address requires auth. Default 127.0.0.1.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9464)
      .describe('TCP port of /metrics, /healthz and /readyz (0..65535; 0 takes any free port). Default 9464.'),
    /** required when `host` is not a loopback address; guards /metrics and /readyz (not /healthz) */
    auth: metricsAuthSchema
      .optional()
      .describe('Credentials for /metrics and /readyz (not /healthz): bearerToken, or username and password. Required when host is not a loopback address.'),
  })
  .superRefine((metrics, ctx) => {
    if (metrics.auth === undefined && !isLoopbackHost(metrics.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message:
          `required when host is ${JSON.stringify(metrics.host)} (not a loopback address): ` +
          'set auth.bearerToken, or auth.username and auth.password (env:NAME or file:/path references)',
      });
    }
  })
  .describe('The Prometheus /metrics, /healthz and /readyz HTTP endpoint. Changes take effect at the next restart.');

/** `{prefix}/{site}/stats`, QoS 0, for centres that read MQTT rather than scrape. */
export const statsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Publish the periodic stats summary. Default true.'),
    intervalSeconds: z.number().min(1).max(3600).default(60).describe('Seconds (1..3600) between stats messages. Default 60.'),
  })
  .describe('The periodic c5.stats.v1 summary on {prefix}/{site}/stats (QoS 0), for centres that read MQTT rather than scrape.');

export type MetricsSettings = z.output<typeof metricsSchema>;
export type MetricsAuthSettings = z.output<typeof metricsAuthSchema>;
export type StatsSettings = z.output<typeof statsSchema>;
