import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedSchemas } from '../pipelines/schemas.js';
import { asyncApiYaml } from './asyncApiYaml.js';

// Runs from dist/scripts/, so the repository's config/ folder is two levels up.
const configDir = fileURLToPath(new URL('../../config/', import.meta.url));
for (const [name, text] of Object.entries({ ...generatedSchemas(), 'asyncapi.yaml': asyncApiYaml() })) {
  mkdirSync(dirname(configDir + name), { recursive: true });
  writeFileSync(configDir + name, text);
  process.stdout.write(`wrote config/${name}\n`);
}
