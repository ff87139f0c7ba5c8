// A feature set: a named, versioned definition of features about one kind of entity, read from one source
// with an event-time column. Derived features use the pipeline spec's derivation syntax (and its parser), so
// the feature store, training and serving compute them with the same code.
//
//   { "name": "customer_stats", "entity": "customer_id", "timestamp": "event_time",
//     "source": { "uri": "s3://bucket/customers.parquet" },
//     "columns": ["spend", "plan"],
//     "features": { "derive": [{ "name": "log_spend", "op": "log1p", "input": "spend" }] },
//     "description": "optional" }
import { InvalidInput } from '../errors';
import { createHash } from 'node:crypto';
import type { ColumnRequest } from '../data/columns';
import type { ColumnType } from '../data/ingest';
import { reservedColumnName, reservedColumnReason } from '../data/column-names';
import { derivationOrder } from '../features/derive';
import { rawKind } from '../features/plan';
import { z } from 'zod';
import { derivationLabel, derivationList, derivedKind, FEATURE_SET_NAME, inputsOf, type Derivation } from '../features/spec';
import { oneOf, parseWith, phrase, refuse, section, text } from '../spec-fields';

export class FeatureSetError extends InvalidInput {
  override name = 'FeatureSetError';
  constructor(message: string) {
    super(message, 'spec');
  }
}

export { FEATURE_SET_NAME };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SET_NAME_RULE = 'must be 1-63 of a-z 0-9 _ - starting with a letter or digit';

export function assertFeatureSetName(name: unknown, where = 'feature set name'): string {
  if (typeof name !== 'string' || !FEATURE_SET_NAME.test(name)) throw new FeatureSetError(`${where} ${JSON.stringify(name)} ${SET_NAME_RULE}`);
  return name;
}

/** Column names: anything printable, except the `__` prefix the store uses for its own helper columns. */
const columnName = (() => {
  const error = 'a column name (1-128 printable characters)';
  return z
    .string({ error })
    .refine((v) => v.trim() !== '' && v.length <= 128 && !/[\x00-\x1f\x7f]/.test(v), { error })
    .refine((v) => !v.startsWith('__'), { error: phrase('{value} starts with "__", which the feature store reserves') });
})();

const setFields = {
  name: z.string({ error: phrase(`{value} ${SET_NAME_RULE}`) }).regex(FEATURE_SET_NAME, { error: phrase(`{value} ${SET_NAME_RULE}`) }),
  /** The entity key column (values become text: 42 and "42" are the same entity). */
  entity: columnName.describe('the entity key column (values become text: 42 and "42" are the same entity)'),
  timestamp: columnName.describe("the event-time column (DATE or TIMESTAMP): when each row's values became true"),
  source: section(
    {
      uri: text('a path, file:// or s3:// URI'),
      format: oneOf(['csv', 'json', 'parquet']).optional().describe('default: from the file name'),
    },
    { noun: 'a source field', expected: 'an object like { "uri": "s3://bucket/key.parquet" }' },
  ),
  columns: z.array(columnName, { error: 'a list of source column names' }).default([]).describe('raw source columns kept as features (numeric or categorical)'),
  features: section(
    { derive: derivationList.default([]) },
    {
      noun: 'a feature-set field',
      hint: 'encodings and selection belong in the pipeline spec',
      expected: 'an object like { "derive": [...] }',
    },
  )
    .optional()
    .describe("derived features, computed from any source columns (the event time included), in the pipeline spec's derive syntax"),
  description: z.string({ error: 'a string' }).optional(),
};

/** Checks across fields: columns named once, none of them the entity or timestamp, and at least one feature. */
function checkColumns(def: z.output<ReturnType<typeof section<typeof setFields>>>, ctx: z.RefinementCtx): void {
  if (def.entity === def.timestamp) refuse(ctx, ['entity'], `and timestamp name the same column ${JSON.stringify(def.entity)}`);
  const reserved = new Map([
    [def.entity, 'the entity column'],
    [def.timestamp, 'the timestamp column'],
  ]);
  def.columns.forEach((c, i) => {
    if (reserved.has(c)) refuse(ctx, ['columns', i], `${JSON.stringify(c)} is ${reserved.get(c)}; it is kept with every row anyway`);
    else if (def.columns.indexOf(c) !== i) refuse(ctx, ['columns', i], `${JSON.stringify(c)} is listed twice`);
  });
  const derive = def.features?.derive ?? [];
  derive.forEach((d, i) => {
    if (d.name.startsWith('__'))
      refuse(ctx, [], `features.derive[${i}].name ${JSON.stringify(d.name)} starts with "__", which the feature store reserves`, true);
    else if (reserved.has(d.name)) refuse(ctx, ['features', 'derive', i], `has the name of ${reserved.get(d.name)}`);
    else if (def.columns.includes(d.name)) refuse(ctx, ['features', 'derive', i], 'has the name of a kept column; rename the derived feature');
  });
  if (def.columns.length === 0 && derive.length === 0)
    refuse(ctx, [], 'defines no features: list source columns in columns, or derive features in features.derive');
}

/** A feature-set definition as `mlops features apply FILE` reads it. */
export const featureSetSchema = section(setFields, { noun: 'a feature-set field' })
  .superRefine(checkColumns)
  // No derivations means no `features` key, so equal definitions keep equal bytes (and versions).
  .transform((def) => {
    if (def.features?.derive.length) return def;
    const { features: _none, ...rest } = def;
    return rest as typeof def;
  })
  .meta({
    title: 'temporal-mlops feature-set definition',
    description: 'A named, versioned set of features about one kind of entity, read from one source with an event-time column.',
  });

export type FeatureSetDefinition = z.output<typeof featureSetSchema>;

/** Validates a feature-set definition; every error names the field. Column references are checked against the source when it is materialized. */
export function parseFeatureSet(raw: unknown): FeatureSetDefinition {
  if (!isRecord(raw)) throw new FeatureSetError('a feature set must be a JSON object with name, entity, timestamp, source and columns');
  const { $schema: _editorsOnly, ...fields } = raw;
  const result = parseWith(featureSetSchema, fields, { root: '', label: derivationLabel });
  if (result.ok) return result.value;
  const label = typeof raw.name === 'string' && FEATURE_SET_NAME.test(raw.name) ? `feature set ${JSON.stringify(raw.name)}: ` : '';
  throw new FeatureSetError(result.messages.map((m) => `${label}${m}`).join('\n'));
}

/** Names of the features a set produces, in order: kept columns, then derived features. */
export function featureNames(def: FeatureSetDefinition): string[] {
  return [...def.columns, ...(def.features?.derive ?? []).map((d) => d.name)];
}

/** JSON with object keys sorted at every level: equal definitions give equal bytes. */
export function canonicalDefinition(def: FeatureSetDefinition): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort(v[k])]),
          )
        : v;
  return `${JSON.stringify(sort(def))}\n`;
}

export function definitionSha256(def: FeatureSetDefinition): string {
  return createHash('sha256').update(canonicalDefinition(def)).digest('hex');
}

export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureColumn {
  name: string;
  kind: FeatureKind;
}

/** A definition resolved against its source's columns: what to read, derive and store. */
export interface ResolvedFeatureSet {
  /** Kept raw columns (booleans are numeric 0/1, as everywhere else). */
  kept: FeatureColumn[];
  /** Derivations in dependency order. */
  derive: Derivation[];
  /** Source columns the derivations read, as the batch path reads them (dates as epoch ms). */
  deriveInputs: ColumnRequest[];
  /** Raw column kinds for `deriveRow` (the serving path; dates arrive as numbers or ISO strings). */
  rowKinds: Record<string, FeatureKind>;
  /** Every stored feature, in order: kept columns, then derived features. */
  features: FeatureColumn[];
}

/** Checks a definition against the source's columns; errors name the column and list the ones there are. */
export function resolveFeatureSet(def: FeatureSetDefinition, columns: ColumnType[]): ResolvedFeatureSet {
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const where = `feature set ${def.name}: source ${def.source.uri}`;
  const list = columns.map((c) => c.name).join(', ');
  const need = (name: string, field: string): string => {
    const type = types.get(name);
    if (type === undefined) throw new FeatureSetError(`${where} has no column ${JSON.stringify(name)} (named by ${field}; columns: ${list})`);
    return type;
  };
  need(def.entity, 'entity');
  const tsType = need(def.timestamp, 'timestamp');
  if (rawKind(tsType) !== 'date')
    throw new FeatureSetError(
      `${where}: timestamp column ${JSON.stringify(def.timestamp)} is ${tsType}, not a DATE or TIMESTAMP; write event times as ISO timestamps`,
    );
  const kept = def.columns.map((name, i): FeatureColumn => {
    const type = need(name, `columns[${i}]`);
    const kind = rawKind(type);
    if (kind === 'date')
      throw new FeatureSetError(`${where}: column ${JSON.stringify(name)} is a ${type}; derive features from it (day_of_week, month, …) instead of keeping it`);
    if (kind === undefined) throw new FeatureSetError(`${where}: column ${JSON.stringify(name)} has type ${type}, which is neither numeric nor categorical`);
    return { name, kind };
  });
  const derivations = def.features?.derive ?? [];
  const reserved = reservedColumnName([def.entity, def.timestamp, ...def.columns, ...derivations.flatMap(inputsOf), ...derivations.map((d) => d.name)]);
  if (reserved !== undefined) throw new FeatureSetError(`${where}: ${reservedColumnReason(reserved)}`);
  let derive: Derivation[];
  try {
    derive = derivationOrder(derivations, new Set(types.keys()));
  } catch (err) {
    throw new FeatureSetError(`${where}: ${(err as Error).message.replace(/^features: /, '')} (columns: ${list})`);
  }
  const derivedNames = new Set(derivations.map((d) => d.name));
  const deriveInputs: ColumnRequest[] = [];
  const rowKinds: Record<string, FeatureKind> = {};
  for (const d of derive) {
    for (const input of inputsOf(d)) {
      if (derivedNames.has(input) || deriveInputs.some((r) => r.name === input)) continue;
      const type = types.get(input)!;
      const kind = rawKind(type);
      if (kind === undefined)
        throw new FeatureSetError(
          `${where}: ${d.name} reads column ${JSON.stringify(input)} of type ${type}, which is neither numeric, categorical nor a date`,
        );
      deriveInputs.push({ name: input, kind });
      rowKinds[input] = kind === 'categorical' ? 'categorical' : 'numeric';
    }
  }
  const features = [...kept, ...derivations.map((d): FeatureColumn => ({ name: d.name, kind: derivedKind(d) }))];
  return { kept, derive, deriveInputs, rowKinds, features };
}
