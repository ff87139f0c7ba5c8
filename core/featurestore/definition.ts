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
import type { DataFormat } from '../data/source';
import { derivationOrder } from '../features/derive';
import { rawKind } from '../features/plan';
import { derivedKind, FEATURE_SET_NAME, FeatureSpecError, inputsOf, parseFeatureSpec, type Derivation } from '../features/spec';

export interface FeatureSetDefinition {
  name: string;
  /** The entity key column (values become text: 42 and "42" are the same entity). */
  entity: string;
  /** The event-time column (DATE or TIMESTAMP): when each row's values became true. */
  timestamp: string;
  source: { uri: string; format?: DataFormat };
  /** Raw source columns kept as features (numeric or categorical). */
  columns: string[];
  /** Derived features, computed from any source columns (the event time included). */
  features?: { derive: Derivation[] };
  description?: string;
}

export class FeatureSetError extends InvalidInput {
  override name = 'FeatureSetError';
  constructor(message: string) {
    super(message, 'spec');
  }
}

export { FEATURE_SET_NAME };

const FIELDS = ['name', 'entity', 'timestamp', 'source', 'columns', 'features', 'description'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function assertFeatureSetName(name: unknown, where = 'feature set name'): string {
  if (typeof name !== 'string' || !FEATURE_SET_NAME.test(name)) {
    throw new FeatureSetError(`${where} ${JSON.stringify(name)} must be 1-63 of a-z 0-9 _ - starting with a letter or digit`);
  }
  return name;
}

/** Column names: anything printable, except the `__` prefix the store uses for its own helper columns. */
function columnName(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 128 || /[\x00-\x1f\x7f]/.test(v)) {
    throw new FeatureSetError(`${where} must be a column name (1-128 printable characters), got ${JSON.stringify(v)}`);
  }
  if (v.startsWith('__')) throw new FeatureSetError(`${where} ${JSON.stringify(v)} starts with "__", which the feature store reserves`);
  return v;
}

/** Validates a feature-set definition; every error names the field. Column references are checked against the source when it is materialized. */
export function parseFeatureSet(raw: unknown): FeatureSetDefinition {
  if (!isRecord(raw)) throw new FeatureSetError('a feature set must be a JSON object with name, entity, timestamp, source and columns');
  const label = typeof raw.name === 'string' && FEATURE_SET_NAME.test(raw.name) ? `feature set ${JSON.stringify(raw.name)}: ` : '';
  const fail = (message: string): never => {
    throw new FeatureSetError(`${label}${message}`);
  };
  for (const k of Object.keys(raw)) if (!FIELDS.includes(k)) fail(`${k} is not a feature-set field (fields: ${FIELDS.join(', ')})`);
  for (const k of ['name', 'entity', 'timestamp', 'source'] as const) if (raw[k] === undefined) fail(`${k} is required`);
  try {
    const name = assertFeatureSetName(raw.name, 'name');
    const entity = columnName(raw.entity, 'entity');
    const timestamp = columnName(raw.timestamp, 'timestamp');
    if (entity === timestamp) fail(`entity and timestamp name the same column ${JSON.stringify(entity)}`);

    if (!isRecord(raw.source)) fail('source must be an object like { "uri": "s3://bucket/key.parquet" }');
    const source = raw.source as Record<string, unknown>;
    for (const k of Object.keys(source)) if (k !== 'uri' && k !== 'format') fail(`source.${k} is not a source field (fields: uri, format)`);
    if (typeof source.uri !== 'string' || source.uri.trim() === '') fail('source.uri must be a path, file:// or s3:// URI');
    if (source.format !== undefined && !['csv', 'json', 'parquet'].includes(source.format as string)) fail(`source.format must be csv, json or parquet, got ${JSON.stringify(source.format)}`);

    const reserved = new Map([[entity, 'the entity column'], [timestamp, 'the timestamp column']]);
    const columns: string[] = [];
    if (raw.columns !== undefined && !Array.isArray(raw.columns)) fail('columns must be a list of source column names');
    ((raw.columns as unknown[] | undefined) ?? []).forEach((c, i) => {
      const col = columnName(c, `columns[${i}]`);
      if (reserved.has(col)) fail(`columns[${i}] ${JSON.stringify(col)} is ${reserved.get(col)}; it is kept with every row anyway`);
      if (columns.includes(col)) fail(`columns[${i}] ${JSON.stringify(col)} is listed twice`);
      columns.push(col);
    });

    let derive: Derivation[] = [];
    if (raw.features !== undefined) {
      if (!isRecord(raw.features)) fail('features must be an object like { "derive": [...] }');
      const features = raw.features as Record<string, unknown>;
      for (const k of Object.keys(features)) if (k !== 'derive') fail(`features.${k} is not a feature-set field (fields: derive); encodings and selection belong in the pipeline spec`);
      try {
        derive = parseFeatureSpec({ derive: features.derive ?? [] }).derive ?? [];
      } catch (err) {
        if (err instanceof FeatureSpecError) fail(err.message);
        throw err;
      }
      derive.forEach((d, i) => {
        columnName(d.name, `features.derive[${i}].name`);
        if (reserved.has(d.name)) fail(`features.derive[${i}] (${d.name}) has the name of ${reserved.get(d.name)}`);
        if (columns.includes(d.name)) fail(`features.derive[${i}] (${d.name}) has the name of a kept column; rename the derived feature`);
      });
    }
    if (columns.length === 0 && derive.length === 0) fail('defines no features: list source columns in columns, or derive features in features.derive');
    if (raw.description !== undefined && typeof raw.description !== 'string') fail('description must be a string');

    const out: FeatureSetDefinition = { name, entity, timestamp, source: { uri: source.uri as string }, columns };
    if (source.format !== undefined) out.source.format = source.format as DataFormat;
    if (derive.length > 0) out.features = { derive };
    if (raw.description !== undefined) out.description = raw.description as string;
    return out;
  } catch (err) {
    if (err instanceof FeatureSetError && label && !err.message.startsWith(label)) throw new FeatureSetError(`${label}${err.message}`);
    throw err;
  }
}

/** Names of the features a set produces, in order: kept columns, then derived features. */
export function featureNames(def: FeatureSetDefinition): string[] {
  return [...def.columns, ...(def.features?.derive ?? []).map((d) => d.name)];
}

/** JSON with object keys sorted at every level: equal definitions give equal bytes. */
export function canonicalDefinition(def: FeatureSetDefinition): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
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
  if (rawKind(tsType) !== 'date') throw new FeatureSetError(`${where}: timestamp column ${JSON.stringify(def.timestamp)} is ${tsType}, not a DATE or TIMESTAMP; write event times as ISO timestamps`);
  const kept = def.columns.map((name, i): FeatureColumn => {
    const type = need(name, `columns[${i}]`);
    const kind = rawKind(type);
    if (kind === 'date') throw new FeatureSetError(`${where}: column ${JSON.stringify(name)} is a ${type}; derive features from it (day_of_week, month, …) instead of keeping it`);
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
      if (kind === undefined) throw new FeatureSetError(`${where}: ${d.name} reads column ${JSON.stringify(input)} of type ${type}, which is neither numeric, categorical nor a date`);
      deriveInputs.push({ name: input, kind });
      rowKinds[input] = kind === 'categorical' ? 'categorical' : 'numeric';
    }
  }
  const features = [...kept, ...derivations.map((d): FeatureColumn => ({ name: d.name, kind: derivedKind(d) }))];
  return { kept, derive, deriveInputs, rowKinds, features };
}
