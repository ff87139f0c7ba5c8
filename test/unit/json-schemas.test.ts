// The published JSON Schemas are generated from the zod schemas that validate specs: the checked-in files must
// be what the code generates now, and say what the parser says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMAS, renderJsonSchema } from '../../core/json-schemas';

const schemaDir = path.join(__dirname, '..', '..', 'schema');

describe('published JSON Schemas', () => {
  it.each(Object.keys(JSON_SCHEMAS))('schema/%s is current (run `npm run schemas` after changing a spec field)', (file) => {
    expect(readFileSync(path.join(schemaDir, file), 'utf8')).toBe(renderJsonSchema(file));
  });

  it('the pipeline spec schema requires data and target, refuses unknown fields and echoes the defaults', () => {
    const schema = JSON.parse(renderJsonSchema('pipeline-spec.schema.json'));
    expect(schema.required).toEqual(['data', 'target']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.data.required).toEqual(['uri']);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['$schema', 'run', 'training', 'monitor']));
    expect(schema.properties.training.properties.trials).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 8 });
    expect(schema.properties.deploy.properties.strategy.enum).toEqual(['replace', 'canary', 'ab', 'shadow']);
  });
  it('the feature-set schema requires the identifying fields and describes derivations by op', () => {
    const schema = JSON.parse(renderJsonSchema('feature-set.schema.json'));
    expect(schema.required).toEqual(['name', 'entity', 'timestamp', 'source']);
    expect(schema.additionalProperties).toBe(false);
    const ops = schema.properties.features.properties.derive.items.oneOf.flatMap(
      (o: { properties: { op: { enum?: string[]; const?: string } } }) => o.properties.op.enum ?? [o.properties.op.const],
    );
    expect(ops).toEqual([
      'day_of_week',
      'month',
      'hour',
      'weekend',
      'day_of_year',
      'year',
      'log1p',
      'ratio',
      'product',
      'bucketize',
      'weighted_sum',
      'cross',
      'holiday',
    ]);
  });
});
