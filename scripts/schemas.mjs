#!/usr/bin/env node
// `npm run schemas`: writes the published JSON Schemas (schema/*.json) from the zod schemas in core/.
// Run after changing a spec field; test/unit/json-schemas.test.ts fails while a checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { JSON_SCHEMAS, renderJsonSchema } = createRequire(import.meta.url)(path.join(root, 'dist', 'core', 'json-schemas.js'));
for (const file of Object.keys(JSON_SCHEMAS)) {
  writeFileSync(path.join(root, 'schema', file), renderJsonSchema(file));
  console.log(`wrote schema/${file}`);
}
