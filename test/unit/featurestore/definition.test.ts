// Feature-set definitions: every bad input is refused with a message that names the field.
import { describe, expect, it } from 'vitest';
import {
  canonicalDefinition,
  definitionSha256,
  featureNames,
  FeatureSetError,
  parseFeatureSet,
  resolveFeatureSet,
} from '../../../core/featurestore/definition';

const good = {
  name: 'customer_stats',
  entity: 'customer_id',
  timestamp: 'event_time',
  source: { uri: 's3://data/customers.parquet' },
  columns: ['spend', 'plan'],
  features: { derive: [{ name: 'log_spend', op: 'log1p', input: 'spend' }] },
};

const refuses = (raw: unknown, message: string | RegExp): void => {
  expect(() => parseFeatureSet(raw)).toThrow(FeatureSetError);
  expect(() => parseFeatureSet(raw)).toThrow(message);
};

describe('parseFeatureSet', () => {
  it('accepts a complete definition and fills in derivation defaults', () => {
    const def = parseFeatureSet({
      ...good,
      features: { derive: [...good.features.derive, { name: 'holiday', op: 'holiday', input: 'event_time' }] },
      description: 'spend',
    });
    expect(def.features!.derive[1]).toEqual({ name: 'holiday', op: 'holiday', input: 'event_time', calendar: 'us-federal' });
    expect(featureNames(def)).toEqual(['spend', 'plan', 'log_spend', 'holiday']);
    expect(parseFeatureSet({ ...good, columns: undefined, features: good.features }).columns).toEqual([]);
    // An editor's $schema is ignored, so it changes neither the definition nor its hash.
    expect(definitionSha256(parseFeatureSet({ $schema: '../schema/feature-set.schema.json', ...good }))).toBe(definitionSha256(parseFeatureSet(good)));
  });

  it('gives equal definitions equal canonical bytes whatever the key order', () => {
    const reordered = { features: good.features, columns: good.columns, source: good.source, timestamp: good.timestamp, entity: good.entity, name: good.name };
    expect(canonicalDefinition(parseFeatureSet(reordered))).toBe(canonicalDefinition(parseFeatureSet(good)));
    expect(definitionSha256(parseFeatureSet(good))).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionSha256(parseFeatureSet({ ...good, columns: ['plan', 'spend'] }))).not.toBe(definitionSha256(parseFeatureSet(good)));
  });

  it('refuses what is not an object, and missing or unknown fields', () => {
    refuses([], 'a feature set must be a JSON object');
    refuses(null, 'a feature set must be a JSON object');
    refuses({ ...good, entity: undefined }, 'feature set "customer_stats": entity is required');
    refuses({ ...good, source: undefined }, 'feature set "customer_stats": source is required');
    refuses(
      { ...good, owner: 'me' },
      'feature set "customer_stats": owner is not a feature-set field (fields: name, entity, timestamp, source, columns, features, description)',
    );
  });

  it('refuses names that are not like model names', () => {
    refuses({ ...good, name: 'Customer Stats' }, 'name "Customer Stats" must be 1-63 of a-z 0-9 _ - starting with a letter or digit');
    refuses({ ...good, name: 'a.b' }, /name "a\.b" must be/);
    refuses({ ...good, name: '_x' }, /name "_x" must be/);
    refuses({ ...good, name: 'x'.repeat(64) }, /must be 1-63/);
    refuses({ ...good, name: 7 }, 'name 7 must be');
  });

  it('refuses bad column names, with the field that holds them', () => {
    refuses({ ...good, entity: '' }, 'feature set "customer_stats": entity must be a column name (1-128 printable characters), got ""');
    refuses({ ...good, timestamp: 3 }, 'timestamp must be a column name');
    refuses({ ...good, timestamp: 'customer_id' }, 'entity and timestamp name the same column "customer_id"');
    refuses({ ...good, columns: 'spend' }, 'columns must be a list of source column names');
    refuses({ ...good, columns: ['spend', 4] }, 'columns[1] must be a column name');
    refuses({ ...good, columns: ['spend', 'spend'] }, 'columns[1] "spend" is listed twice');
    refuses({ ...good, columns: ['event_time'] }, 'columns[0] "event_time" is the timestamp column; it is kept with every row anyway');
    refuses({ ...good, columns: ['__row'] }, 'columns[0] "__row" starts with "__", which the feature store reserves');
    refuses({ ...good, columns: ['a\nb'] }, 'columns[0] must be a column name');
  });

  it('refuses a bad source', () => {
    refuses({ ...good, source: 's3://data/x.parquet' }, 'source must be an object like { "uri": "s3://bucket/key.parquet" }');
    refuses({ ...good, source: { uri: ' ' } }, 'source.uri must be a path, file:// or s3:// URI');
    refuses({ ...good, source: { uri: 'x.csv', format: 'xlsx' } }, 'source.format must be csv, json or parquet, got "xlsx"');
    refuses({ ...good, source: { uri: 'x.csv', bucket: 'b' } }, 'source.bucket is not a source field (fields: uri, format)');
  });

  it("refuses bad derivations with the feature spec parser's messages", () => {
    refuses({ ...good, features: [] }, 'features must be an object like { "derive": [...] }');
    refuses(
      { ...good, features: { derive: [], encodings: {} } },
      'features.encodings is not a feature-set field (fields: derive); encodings and selection belong in the pipeline spec',
    );
    refuses({ ...good, features: { derive: {} } }, 'features.derive must be a list');
    refuses(
      { ...good, features: { derive: [{ name: 'x', op: 'sqrt', input: 'spend' }] } },
      'feature set "customer_stats": features.derive[0] (x).op "sqrt" is not one of',
    );
    refuses(
      { ...good, features: { derive: [{ name: 'x', op: 'ratio', inputs: ['spend'] }] } },
      'features.derive[0] (x).inputs must be a list of exactly 2 column names, got ["spend"]',
    );
    refuses(
      { ...good, features: { derive: [{ name: 'spend', op: 'log1p', input: 'spend' }] } },
      'features.derive[0] (spend) has the name of a kept column; rename the derived feature',
    );
    refuses(
      { ...good, features: { derive: [{ name: 'customer_id', op: 'log1p', input: 'spend' }] } },
      'features.derive[0] (customer_id) has the name of the entity column',
    );
    refuses({ ...good, features: { derive: [{ name: '__x', op: 'log1p', input: 'spend' }] } }, 'features.derive[0].name "__x" starts with "__"');
  });

  it('refuses a set without features and a description that is not text', () => {
    refuses({ ...good, columns: [], features: undefined }, 'defines no features: list source columns in columns, or derive features in features.derive');
    refuses({ ...good, description: 3 }, 'description must be a string');
  });
});

describe('resolveFeatureSet', () => {
  const columns = [
    { name: 'customer_id', type: 'BIGINT' },
    { name: 'event_time', type: 'TIMESTAMP' },
    { name: 'spend', type: 'DOUBLE' },
    { name: 'plan', type: 'VARCHAR' },
    { name: 'signup', type: 'DATE' },
    { name: 'active', type: 'BOOLEAN' },
    { name: 'tags', type: 'VARCHAR[]' },
  ];
  const def = parseFeatureSet({
    ...good,
    columns: ['spend', 'plan', 'active'],
    features: {
      derive: [
        { name: 'm', op: 'month', input: 'signup' },
        { name: 'pm', op: 'cross', inputs: ['plan', 'm'] },
      ],
    },
  });

  it('lists the features with their kinds and what the derivations read', () => {
    const r = resolveFeatureSet(def, columns);
    expect(r.features).toEqual([
      { name: 'spend', kind: 'numeric' },
      { name: 'plan', kind: 'categorical' },
      { name: 'active', kind: 'numeric' },
      { name: 'm', kind: 'numeric' },
      { name: 'pm', kind: 'categorical' },
    ]);
    expect(r.deriveInputs).toEqual([
      { name: 'signup', kind: 'date' },
      { name: 'plan', kind: 'categorical' },
    ]);
    expect(r.rowKinds).toEqual({ signup: 'numeric', plan: 'categorical' });
  });

  it('names the column the source lacks, or whose type does not fit', () => {
    const without = (name: string) => columns.filter((c) => c.name !== name);
    expect(() => resolveFeatureSet(def, without('customer_id'))).toThrow('has no column "customer_id" (named by entity; columns: event_time, spend');
    expect(() => resolveFeatureSet(def, without('plan'))).toThrow('has no column "plan" (named by columns[1];');
    expect(() => resolveFeatureSet(def, without('signup'))).toThrow('m reads column "signup", which is neither in the dataset nor derived');
    const stringTime = columns.map((c) => (c.name === 'event_time' ? { ...c, type: 'VARCHAR' } : c));
    expect(() => resolveFeatureSet(def, stringTime)).toThrow('timestamp column "event_time" is VARCHAR, not a DATE or TIMESTAMP');
    expect(() => resolveFeatureSet(parseFeatureSet({ ...good, columns: ['signup'] }), columns)).toThrow('column "signup" is a DATE; derive features from it');
    expect(() => resolveFeatureSet(parseFeatureSet({ ...good, columns: ['tags'] }), columns)).toThrow(
      'column "tags" has type VARCHAR[], which is neither numeric nor categorical',
    );
    expect(
      resolveFeatureSet(parseFeatureSet({ ...good, columns: ['RowId'] }), [...columns, { name: 'RowId', type: 'BIGINT' }]).kept.map((f) => f.name),
    ).toContain('RowId');
    expect(() => resolveFeatureSet(parseFeatureSet({ ...good, columns: ['__Mlops_row'] }), [...columns, { name: '__Mlops_row', type: 'BIGINT' }])).toThrow(
      '"__Mlops_row" starts with "__", which the feature store reserves',
    );
  });
});
