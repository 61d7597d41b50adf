import { z } from 'zod';
import { alertSchema, ALERT_SCHEMA_NAME } from './alerts.js';
import { siteConfigSchema } from './config/siteConfig.js';

/**
 * The JSON Schemas published in config/, generated from the zod schemas so the wire contract
 * and the code cannot drift. `npm run schemas` writes them; a test fails when they are stale.
 */
export function generatedSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, id: string, title: string, io: 'input' | 'output'): string =>
    `${JSON.stringify({ ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }), $id: id, title }, null, 2)}\n`;
  return {
    'alert.schema.json': render(alertSchema, `urn:${ALERT_SCHEMA_NAME}`, ALERT_SCHEMA_NAME, 'output'),
    // The input side: what an operator may write, with defaults shown and optional fields optional.
    'site.schema.json': render(siteConfigSchema, 'urn:c5.site-config', 'c5 edge agent site config', 'input'),
  };
}
