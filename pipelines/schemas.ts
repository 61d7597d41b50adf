import { z } from 'zod';
import { siteConfigSchema } from './config/siteConfig.js';
import { WIRE_CHANNELS } from './wire/wireChannels.js';

/**
 * The JSON Schemas published in config/, generated from the zod schemas so the wire contract
 * and the code cannot drift. `npm run schemas` writes them; a test fails when they are stale.
 */
/**
 * `urn:c5:schema:NAME`: an RFC 8141 URN (namespace id `c5`). The earlier `urn:c5.alert.v1` had a
 * dotted namespace id and no specific string, which validators that parse `$id` (ajv's fast-uri)
 * refuse with "URN without nid".
 */
export function schemaUrn(name: string): string {
  return `urn:c5:schema:${name}`;
}

export function generatedSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, id: string, title: string, io: 'input' | 'output'): string =>
    `${JSON.stringify({ ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }), $id: id, title }, null, 2)}\n`;
  // One per MQTT payload (the AsyncAPI contract embeds the same schemas): alert.schema.json and schemas/*.schema.json.
  const wire = WIRE_CHANNELS.map(({ message }): [string, string] => {
    const name = message.title.startsWith('c5.') ? message.title : `c5.${message.name}`;
    return [message.schemaFile, render(message.schema, schemaUrn(name), message.title, 'output')];
  });
  return {
    ...Object.fromEntries(wire),
    // The input side: what an operator may write, with defaults shown and optional fields optional.
    'site.schema.json': render(siteConfigSchema, schemaUrn('c5.site-config'), 'c5 edge agent site config', 'input'),
  };
}
