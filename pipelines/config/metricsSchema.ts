import { z } from 'zod';

/** The /metrics, /healthz and /readyz endpoint. */

export const metricsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(9464),
});

