// Batch scoring: the deployed model (its ONNX graph, through the same `predict` as the model server, so batch
// and online answers agree) scores either every entity's latest offline feature values of one or more sets, or
// the rows of a table, chunk by chunk. Predictions are written as one content-addressed Parquet artifact,
// scores/<model>/<version>/<sha256>.parquet, with lineage: model + feature-set parts (+ table) → scores.
//
// Inputs: a model field is taken from the table when it has the column, else from the latest offline value
// of a set (joined by the entity key), else it is missing (null, which the model's imputers handle; the
// result lists such fields). Set versions default to the ones the model was trained with.
// Output columns: the entity key (VARCHAR; a table without it gets `row`, its 0-based row number),
// model_version, then label and probability_<class> per class (classifiers) or value (regression).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { reservedColumnName, reservedColumnReason } from '../data/column-names';
import { ident, literal, withDuckDB } from '../data/duckdb';
import type { ColumnType, Progress } from '../data/ingest';
import type { DataFormat } from '../data/source';
import { rawKind } from '../features/plan';
import type { Stores } from '../store';
import { hashFile, type ArtifactRef } from '../store/artifacts';
import type { ArtifactInput } from '../store/lineage';
import { RegistryError } from '../store/registry';
import { codeVersion } from '../version';
import { predict } from '../predict/score';
import { loadServedModel, type ServedModel } from '../predict/served-model';
import { FeatureSetError } from './definition';
import { withSourceTable } from './materialize';
import { fetchParts, materializedSet, type MaterializedSet } from './offline';

export interface BatchScoreRequest {
  model: string;
  /** The alias whose version scores (default production), unless `version` is given. */
  alias?: string;
  version?: number;
  /** Score every entity's latest offline values of these sets … */
  sets?: { name: string; version?: number }[];
  /** … or the rows of a table (path, file:// or s3://). */
  table?: string;
  /**
   * A DATE/TIMESTAMP column of the table: each row is scored with the set values in force at that time (a
   * point-in-time join, as training sets are built) instead of the latest ones. For backfills.
   */
  asOf?: string;
  format?: DataFormat;
  /** Rows per predict call (default 4096). */
  chunkRows?: number;
}

export interface BatchScoreResult {
  model: string;
  version: number;
  alias: string | null;
  ref: ArtifactRef;
  rows: number;
  columns: ColumnType[];
  sets: { name: string; version: number; parts: number }[];
  table: { uri: string; sha256: string } | null;
  /** The table column whose time the set values were taken as of (null: the latest values). */
  asOf: string | null;
  /** Model fields no input provided: scored as missing. */
  missingFields: string[];
  ms: number;
}

type FieldSource = { from: 'table'; column: string; type: string } | { from: 'set'; table: string; column: string } | { from: 'missing' };

/** A table column as the model field's kind: numbers (dates as epoch ms, as requests send them) or text. */
function tableField(column: string, type: string, kind: 'numeric' | 'categorical'): string {
  const col = `t.${ident(column)}`;
  if (kind === 'categorical') return `${col}::VARCHAR`;
  return rawKind(type) === 'date' ? `epoch_ms(${col}::TIMESTAMP)::DOUBLE` : `TRY_CAST(${col} AS DOUBLE)`;
}

/** A model version loaded with the feature-set files it reads: what scoring any rows needs. */
export interface Scoring {
  model: ServedModel;
  mv: { uri: string; sha256: string };
  alias: string | null;
  sets: (MaterializedSet & { files: string[]; fields: [string, string][] })[];
  work: string;
  release: () => Promise<void>;
}

/** Checks the request, resolves the version (an alias is read once), loads the model and fetches the sets' parts. */
export async function openScoring(stores: Stores, request: BatchScoreRequest, progress: Progress): Promise<Scoring> {
  const wantSets = request.sets ?? [];
  if (wantSets.length > 0 === (request.table !== undefined))
    throw new FeatureSetError('batch scoring takes feature sets to score or a table, not both and not neither');
  if (request.asOf !== undefined && request.table === undefined) throw new FeatureSetError('an as-of column scores the rows of a table: give a table with it');
  const alias = request.version === undefined ? (request.alias ?? 'production') : null;
  const version = request.version ?? (await stores.registry.getAlias(request.model, alias!));
  if (version === undefined) throw new RegistryError(`model ${request.model} has no version with the alias ${alias}`);
  const mv = await stores.registry.getVersion(request.model, version);
  if (!mv) throw new RegistryError(`model ${request.model} has no version ${version}`);

  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-batch-score-'));
  let loaded: ServedModel | undefined;
  const release = async (): Promise<void> => {
    await loaded?.scorer.release();
    await rm(work, { recursive: true, force: true });
  };
  try {
    const model = await loadServedModel(stores, request.model, version);
    loaded = model;
    progress(`loaded ${model.name} v${model.version}`);
    // Sets named, or (for a table) the ones the model was trained with; versions default to the trained ones.
    const trained = new Map(model.featureSets.map((s) => [s.name, s]));
    const setRefs: { name: string; version?: number }[] = wantSets.length > 0 ? wantSets : model.featureSets.map((s) => ({ name: s.name }));
    const sets: Scoring['sets'] = [];
    for (const [k, want] of setRefs.entries()) {
      const m = await materializedSet(stores.pool, { name: want.name, version: want.version ?? trained.get(want.name)?.version });
      // Feature → request field: the model's mapping (prefixed or not) for a set it was trained with, else the feature's name.
      const mapping = trained.get(m.fs.name)?.fields ?? m.features.map((f): [string, string] => [f, f]);
      const fields = mapping.filter(([feature, field]) => m.features.includes(feature) && model.fields.has(field));
      if (wantSets.length > 0 && fields.length === 0) {
        throw new FeatureSetError(
          `model ${model.name} v${model.version} reads none of the features of ${m.fs.name}@${m.fs.version} (${m.features.join(', ')})`,
        );
      }
      sets.push({ ...m, fields, files: await fetchParts(stores.artifacts, m.parts, path.join(work, `set${k}`)) });
    }
    return { model, mv: { uri: mv.uri, sha256: mv.sha256 }, alias, sets, work, release };
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * Scores `source` (a table relation, or null: every entity of the sets) into `scores` and then `file`, a
 * Parquet file in the scoring's work dir.
 */
export async function scoreRelation(
  conn: DuckDBConnection,
  scoring: Scoring,
  request: Pick<BatchScoreRequest, 'table' | 'asOf' | 'chunkRows'>,
  source: { table: string; columns: ColumnType[] } | null,
  file: string,
  progress: Progress,
): Promise<{ rows: number; columns: ColumnType[]; missingFields: string[] }> {
  const { model, sets } = scoring;
  const tableTypes = new Map((source?.columns ?? []).map((c) => [c.name, c.type]));
  const reserved = reservedColumnName(tableTypes.keys());
  if (reserved !== undefined) throw new FeatureSetError(`table ${request.table}: ${reservedColumnReason(reserved)}`);
  const asOf = request.asOf;
  if (asOf !== undefined) {
    const type = tableTypes.get(asOf);
    if (type === undefined)
      throw new FeatureSetError(
        `table ${request.table} has no column ${JSON.stringify(asOf)} to take the as-of time from (columns: ${[...tableTypes.keys()].join(', ')})`,
      );
    if (rawKind(type) !== 'date') throw new FeatureSetError(`table ${request.table}: as-of column ${JSON.stringify(asOf)} is ${type}, not a DATE or TIMESTAMP`);
  }
  const entity = model.featureSets[0]?.entity ?? sets[0]?.fs.definition.entity;
  const fieldSources = new Map<string, FieldSource>();
  for (const field of model.fields.keys()) {
    const type = tableTypes.get(field);
    if (type !== undefined) fieldSources.set(field, { from: 'table', column: field, type });
  }
  // Per set, the fields no table column provides: every entity's latest offline row, or with an as-of
  // column all rows, joined below to the latest at or before each table row's time (ASOF).
  const setTables: string[] = [];
  for (const [k, s] of sets.entries()) {
    const def = s.fs.definition;
    const take = s.fields.filter(([, field]) => !fieldSources.has(field));
    // A table that carries all of a set's fields needs nothing from it.
    if (source && take.length === 0) continue;
    for (const [, field] of take) fieldSources.set(field, { from: 'set', table: `l${k}`, column: field });
    await conn.run(
      `CREATE TEMP TABLE l${k} AS SELECT ${ident(def.entity)}::VARCHAR AS __mlops_entity, ${ident(def.timestamp)}::TIMESTAMP AS __mlops_ts${take.map(([f, field]) => `, ${ident(f)} AS ${ident(field)}`).join('')}
         FROM read_parquet([${s.files.map(literal).join(', ')}])
       ${asOf === undefined ? `QUALIFY row_number() OVER (PARTITION BY ${ident(def.entity)} ORDER BY ${ident(def.timestamp)} DESC) = 1` : ''}`,
    );
    setTables.push(`l${k}`);
  }
  const missingFields = [...model.fields.keys()].filter((f) => !fieldSources.has(f));
  const selects = [...model.fields].map(([field, kind]) => {
    const src = fieldSources.get(field) ?? { from: 'missing' };
    if (src.from === 'table') return `${tableField(src.column, src.type, kind)} AS ${ident(field)}`;
    if (src.from === 'set') return `${src.table}.${ident(src.column)} AS ${ident(field)}`;
    return `NULL::${kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'} AS ${ident(field)}`;
  });

  let keyName: string;
  let from: string;
  if (source) {
    await conn.run(`CREATE TEMP TABLE t AS SELECT *, row_number() OVER () - 1 AS __mlops_row FROM ${source.table}`);
    const hasEntity = entity !== undefined && tableTypes.has(entity);
    if (!hasEntity && setTables.length > 0) {
      throw new FeatureSetError(`table ${request.table} has no column ${JSON.stringify(entity)}, the entity key to join the feature sets' values by`);
    }
    keyName = hasEntity ? entity! : 'row';
    const key = hasEntity ? `t.${ident(entity!)}::VARCHAR` : 't.__mlops_row::BIGINT';
    const join = (l: string): string =>
      asOf === undefined
        ? `LEFT JOIN ${l} ON ${l}.__mlops_entity = t.${ident(entity!)}::VARCHAR`
        : `ASOF LEFT JOIN ${l} ON ${l}.__mlops_entity = t.${ident(entity!)}::VARCHAR AND t.${ident(asOf)}::TIMESTAMP >= ${l}.__mlops_ts`;
    from = `SELECT ${key} AS __mlops_key, ${selects.join(', ')} FROM t ${setTables.map(join).join(' ')} ORDER BY t.__mlops_row`;
  } else {
    keyName = entity!;
    const entities = setTables.map((l) => `SELECT __mlops_entity FROM ${l}`).join(' UNION ');
    from = `SELECT e.__mlops_entity AS __mlops_key, ${selects.join(', ')} FROM (${entities}) e ${setTables.map((l) => `LEFT JOIN ${l} ON ${l}.__mlops_entity = e.__mlops_entity`).join(' ')} ORDER BY e.__mlops_entity`;
  }
  if (missingFields.length > 0) progress(`no input provides ${missingFields.join(', ')}: scored as missing`);

  const outputs = model.task === 'regression' ? ['value DOUBLE'] : ['label VARCHAR', ...model.classes.map((c) => `${ident(`probability_${c}`)} DOUBLE`)];
  await conn.run(
    `CREATE TEMP TABLE scores (${ident(keyName)} ${source && keyName === 'row' ? 'BIGINT' : 'VARCHAR'}, model_version INTEGER, ${outputs.join(', ')})`,
  );
  const rows = await scoreChunks(conn, from, model, request.chunkRows ?? 4096, source !== null && keyName === 'row', progress);
  await conn.run(`COPY scores TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`);
  const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM scores`);
  const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  return { rows, columns, missingFields };
}

export async function batchScore(stores: Stores, request: BatchScoreRequest, opts: { onProgress?: Progress } = {}): Promise<BatchScoreResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => undefined);
  const scoring = await openScoring(stores, request, progress);
  const { model, mv, alias, sets } = scoring;
  try {
    const file = path.join(scoring.work, 'scores.parquet');
    const table = request.table;
    const out =
      table !== undefined
        ? await withSourceTable(table, { s3: stores.s3, format: request.format }, async (conn, rel, src) => ({
            ...(await scoreRelation(conn, scoring, request, { table: rel, columns: src.columns }, file, progress)),
            tableSha256: src.sha256,
          }))
        : await withDuckDB(async (conn) => ({ ...(await scoreRelation(conn, scoring, request, null, file, progress)), tableSha256: null }));
    if (out.rows === 0) throw new FeatureSetError(`nothing to score: ${table !== undefined ? `table ${table} has no rows` : 'the sets have no entities'}`);

    const sha256 = await hashFile(file);
    const ref = await stores.artifacts.putFile(scoresKey(model.name, model.version, sha256), file, 'application/vnd.apache.parquet');
    progress(`scored ${out.rows} rows; stored ${ref.uri}`);
    const setSummary = sets.map((s) => ({ name: s.fs.name, version: s.fs.version, parts: s.parts.length }));
    const tableRef = table !== undefined ? { uri: table, sha256: out.tableSha256! } : null;
    // A table in the artifact store is content-addressed, so it can be an input; any other path is recorded by URI and hash.
    const tableInput: ArtifactInput[] = tableRef && inStore(stores, tableRef.uri) ? [{ uri: tableRef.uri, sha256: tableRef.sha256, type: 'Dataset' }] : [];
    await stores.lineage.recordStage({
      key: `featurestore/batch-score/${model.name}/${model.version}/${sha256}`,
      stage: 'batch-score',
      codeVersion: codeVersion(),
      contexts: [{ type: 'model', name: model.name }],
      params: {
        model: model.name,
        version: model.version,
        alias,
        rows: out.rows,
        sets: setSummary,
        table: tableRef,
        asOf: request.asOf ?? null,
        missingFields: out.missingFields,
      },
      inputs: [{ uri: mv.uri, sha256: mv.sha256, type: 'Model' }, ...setPartInputs(scoring), ...tableInput],
      outputs: [{ uri: ref.uri, sha256: ref.sha256, type: 'Predictions', properties: { model: model.name, version: model.version, rows: out.rows } }],
    });
    return {
      model: model.name,
      version: model.version,
      alias,
      ref,
      rows: out.rows,
      columns: out.columns,
      sets: setSummary,
      table: tableRef,
      asOf: request.asOf ?? null,
      missingFields: out.missingFields,
      ms: Date.now() - started,
    };
  } finally {
    await scoring.release();
  }
}

/** Where a model version's scores are stored, by content. */
export const scoresKey = (model: string, version: number, sha256: string): string => `scores/${model}/${version}/${sha256}.parquet`;

/** The feature-set parts a scoring read, as lineage inputs. */
export const setPartInputs = (scoring: Pick<Scoring, 'sets'>): ArtifactInput[] =>
  scoring.sets.flatMap((s) => s.parts.map((p) => ({ uri: p.part_uri, sha256: p.sha256, type: 'FeatureSetPart' })));

export function inStore(stores: Stores, uri: string): boolean {
  try {
    stores.artifacts.keyOf(uri);
    return true;
  } catch {
    return false;
  }
}

/** Streams `sql` (key, then the model's fields), predicts chunk by chunk, appends to `scores`. Returns the rows scored. */
async function scoreChunks(
  conn: DuckDBConnection,
  sql: string,
  model: ServedModel,
  chunkRows: number,
  numericKey: boolean,
  progress: Progress,
): Promise<number> {
  const fields = [...model.fields.keys()];
  const stream = await conn.stream(sql);
  const appender = await conn.createAppender('scores');
  let rows = 0;
  let keys: unknown[] = [];
  let batch: Record<string, unknown>[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const { predictions } = await predict(model, batch);
    predictions.forEach((p, i) => {
      if (numericKey) appender.appendBigInt(BigInt(keys[i] as bigint | number));
      else if (keys[i] === null) appender.appendNull();
      else appender.appendVarchar(String(keys[i]));
      appender.appendInteger(model.version);
      if (model.task === 'regression') appender.appendDouble(p.value as number);
      else {
        appender.appendVarchar(p.label as string);
        const probabilities = p.probabilities as Record<string, number>;
        for (const c of model.classes) appender.appendDouble(probabilities[c]!);
      }
      appender.endRow();
    });
    rows += batch.length;
    progress(`scored ${rows} rows`);
    keys = [];
    batch = [];
  };
  try {
    for (let chunk = await stream.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await stream.fetchChunk()) {
      const vectors = Array.from({ length: fields.length + 1 }, (_, c) => chunk.getColumnVector(c));
      for (let i = 0; i < chunk.rowCount; i++) {
        keys.push(vectors[0]!.getItem(i));
        const row: Record<string, unknown> = {};
        for (let f = 0; f < fields.length; f++) row[fields[f]!] = vectors[f + 1]!.getItem(i);
        batch.push(row);
      }
      if (batch.length >= chunkRows) await flush();
    }
    await flush();
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows;
}
