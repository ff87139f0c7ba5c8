// The published JSON Schemas (schema/*.json), generated from the zod schemas that validate the same input,
// so an editor's checks and `mlops` agree. `npm run schemas` writes them; a unit test keeps them current.
import { z } from 'zod';
import { featureSetSchema } from './featurestore/definition';
import { pipelineInputSchema } from './spec';

/** File name under schema/ → the JSON Schema it holds. */
export const JSON_SCHEMAS: Record<string, () => Record<string, unknown>> = {
  'pipeline-spec.schema.json': pipelineSpecJsonSchema,
  'feature-set.schema.json': featureSetJsonSchema,
};

type JsonObject = { [k: string]: unknown };

function toJsonSchema(schema: z.ZodType): JsonObject {
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as JsonObject;
}

function pipelineSpecJsonSchema(): JsonObject {
  const schema = toJsonSchema(pipelineInputSchema);
  // The parser reads an absent `data` as {} only to name the missing data.uri; to an editor, data is required.
  const properties = schema.properties as Record<string, JsonObject>;
  delete properties.data!.default;
  schema.required = ['data', ...((schema.required as string[] | undefined) ?? [])];
  return schema;
}

/** The exact bytes of a schema file. */
export function renderJsonSchema(file: string): string {
  const build = JSON_SCHEMAS[file];
  if (!build) throw new Error(`no JSON Schema named ${file} (schemas: ${Object.keys(JSON_SCHEMAS).join(', ')})`);
  return `${JSON.stringify(build(), null, 2)}\n`;
}

function featureSetJsonSchema(): JsonObject {
  const schema = toJsonSchema(featureSetSchema);
  // A definition file may name this schema for editors; parseFeatureSet ignores the key, as parseSpec does.
  schema.properties = {
    $schema: { type: 'string', description: 'the JSON Schema editors check this file against (ignored by mlops)' },
    ...(schema.properties as JsonObject),
  };
  return schema;
}
