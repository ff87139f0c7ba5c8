// Training sets from the offline store by point-in-time joins: every labelled event gets, per feature set,
// the values of the latest feature row of its entity whose event time is at or before the event's time
// (DuckDB ASOF LEFT JOIN), so no value from the event's future reaches a training row. An event with no
// earlier feature row gets nulls. Events keep their order and all their columns.
//
// Column names: feature columns keep their feature names; two sets (or a set and the events) sharing a name
// is an error, unless `prefixed` names every feature column `<set>__<feature>`.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { reservedColumnName, reservedColumnReason } from '../data/column-names';
import { ident, literal } from '../data/duckdb';
import type { ColumnType, Progress } from '../data/ingest';
import { DataError, type DataFormat } from '../data/source';
import { rawKind } from '../features/plan';
import { hashFile, type ArtifactRef } from '../store/artifacts';
import type { ArtifactInput } from '../store/lineage';
import { codeVersion } from '../version';
import { FeatureSetError, type FeatureColumn } from './definition';
import { withSourceTable, type FeatureStoreDeps } from './materialize';
import { requireFeatureSet, type FeatureSetVersion } from './registry';

export interface TrainingSetRequest {
  /** Labelled events: a path, file:// or s3:// URI (CSV, JSON or Parquet). */
  events: string;
  /** The events' entity key column, matched (as text) against each set's entity key. */
  entity: string;
  /** The events' time column (DATE or TIMESTAMP). */
  timestamp: string;
  /** Sets to join: default version the latest; default features all of the set's. */
  sets: { name: string; version?: number; features?: string[] }[];
  /** Name feature columns `<set>__<feature>` instead of `<feature>`. */
  prefixed?: boolean;
  format?: DataFormat;
  /**
   * The events as a lineage artifact (e.g. the canonical Dataset ingest made of them): linked as an input of
   * the training set. Its sha256 must be that of the bytes read. Without it, the URI and sha256 are only
   * recorded in the training set's properties (a path's content may change; an artifact's may not).
   */
  eventsArtifact?: ArtifactInput;
}

export interface TrainingSetResult {
  /** trainingsets/<sha256>.parquet in the artifact store. */
  ref: ArtifactRef;
  rows: number;
  columns: ColumnType[];
  /** Per set: the version joined, its parts, and feature → output column. */
  sets: { name: string; version: number; parts: number; columns: Record<string, string> }[];
  eventsSha256: string;
}

export interface MaterializedSet {
  fs: FeatureSetVersion;
  parts: { part_uri: string; sha256: string }[];
  /** The features asked for (default: every stored feature, in order). */
  features: string[];
  /** Every stored feature with its kind. */
  stored: FeatureColumn[];
}

/** A set version's offline parts and features; an error when it was never materialized or lacks a feature asked for. */
export async function materializedSet(pool: FeatureStoreDeps['pool'], want: { name: string; version?: number; features?: string[] }): Promise<MaterializedSet> {
  const fs = await requireFeatureSet(pool, want.name, want.version);
  const parts = (
    await pool.query<{ part_uri: string; sha256: string }>(
      'SELECT part_uri, sha256 FROM feature_materializations WHERE set_name = $1 AND version = $2 ORDER BY id',
      [fs.name, fs.version],
    )
  ).rows;
  const state = await pool.query<{ features: FeatureColumn[] }>('SELECT features FROM feature_watermarks WHERE set_name = $1 AND version = $2', [
    fs.name,
    fs.version,
  ]);
  if (parts.length === 0 || !state.rows[0]) {
    throw new FeatureSetError(
      `feature set ${fs.name}@${fs.version} has no materialized rows; run \`mlops features materialize ${fs.name} --version ${fs.version}\` first`,
    );
  }
  const available = state.rows[0].features.map((f) => f.name);
  const unknown = (want.features ?? []).filter((f) => !available.includes(f));
  if (unknown.length > 0)
    throw new FeatureSetError(
      `feature set ${fs.name}@${fs.version} has no feature ${unknown.map((u) => JSON.stringify(u)).join(', ')} (features: ${available.join(', ')})`,
    );
  if (want.features && want.features.length === 0) throw new FeatureSetError(`feature set ${fs.name}: features is an empty list; omit it for all features`);
  return { fs, parts, features: want.features ?? available, stored: state.rows[0].features };
}

/** Downloads parts (hash verified) as `<prefix>-part<j>.parquet`; returns the files. */
export async function fetchParts(artifacts: FeatureStoreDeps['artifacts'], parts: MaterializedSet['parts'], prefix: string): Promise<string[]> {
  const files: string[] = [];
  for (const [j, p] of parts.entries()) {
    const file = `${prefix}-part${j}.parquet`;
    await artifacts.getFile(artifacts.keyOf(p.part_uri), file, p.sha256);
    files.push(file);
  }
  return files;
}

export async function buildTrainingSet(deps: FeatureStoreDeps, request: TrainingSetRequest, opts: { onProgress?: Progress } = {}): Promise<TrainingSetResult> {
  const progress = opts.onProgress ?? (() => undefined);
  if (request.sets.length === 0) throw new FeatureSetError('a training set needs at least one feature set');
  const sets: (MaterializedSet & { columns: Record<string, string> })[] = [];
  for (const want of request.sets) {
    const m = await materializedSet(deps.pool, want);
    sets.push({ ...m, columns: Object.fromEntries(m.features.map((f) => [f, request.prefixed ? `${m.fs.name}__${f}` : f])) });
  }

  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-training-set-'));
  try {
    const files: string[][] = [];
    for (const [k, s] of sets.entries()) files.push(await fetchParts(deps.artifacts, s.parts, path.join(work, `set${k}`)));
    progress(`fetched ${files.flat().length} part(s) of ${sets.map((s) => `${s.fs.name}@${s.fs.version}`).join(', ')}`);

    const out = path.join(work, 'training-set.parquet');
    const { rows, columns, eventsSha256 } = await withSourceTable(request.events, { s3: deps.s3, format: request.format }, async (conn, table, source) => {
      const types = new Map(source.columns.map((c) => [c.name, c.type]));
      const names = source.columns.map((c) => c.name).join(', ');
      for (const [col, field] of [
        [request.entity, 'entity'],
        [request.timestamp, 'timestamp'],
      ] as const) {
        if (!types.has(col)) throw new FeatureSetError(`events ${request.events} have no ${field} column ${JSON.stringify(col)} (columns: ${names})`);
      }
      if (rawKind(types.get(request.timestamp)!) !== 'date')
        throw new FeatureSetError(
          `events ${request.events}: timestamp column ${JSON.stringify(request.timestamp)} is ${types.get(request.timestamp)}, not a DATE or TIMESTAMP`,
        );
      const taken = new Map(source.columns.map((c) => [c.name, 'an events column']));
      const reserved = reservedColumnName(source.columns.map((c) => c.name));
      if (reserved !== undefined) throw new FeatureSetError(`events ${request.events}: ${reservedColumnReason(reserved)}`);
      for (const s of sets) {
        for (const column of Object.values(s.columns)) {
          const clash = taken.get(column);
          if (clash)
            throw new FeatureSetError(
              `column ${JSON.stringify(column)} of feature set ${s.fs.name} collides with ${clash}; select features or join with prefixed names (<set>__<feature>)`,
            );
          taken.set(column, `a feature of ${s.fs.name}`);
        }
      }

      // The table keeps the events' order (__mlops_row), which the training set keeps too.
      await conn.run(
        `CREATE TEMP TABLE ev AS SELECT *, ${ident(request.entity)}::VARCHAR AS __mlops_entity, ${ident(request.timestamp)}::TIMESTAMP AS __mlops_ts, row_number() OVER () AS __mlops_row FROM ${table}`,
      );
      const joins: string[] = [];
      for (const [k, s] of sets.entries()) {
        const def = s.fs.definition;
        const select = Object.entries(s.columns)
          .map(([f, c]) => `${ident(f)} AS ${ident(c)}`)
          .join(', ');
        await conn.run(
          `CREATE TEMP TABLE f${k} AS SELECT ${ident(def.entity)}::VARCHAR AS __mlops_entity, ${ident(def.timestamp)}::TIMESTAMP AS __mlops_ts, ${select}
             FROM read_parquet([${files[k]!.map(literal).join(', ')}])`,
        );
        joins.push(`ASOF LEFT JOIN f${k} ON e.__mlops_entity = f${k}.__mlops_entity AND e.__mlops_ts >= f${k}.__mlops_ts`);
      }
      const selects = ['e.* EXCLUDE (__mlops_entity, __mlops_ts, __mlops_row)', ...sets.map((_, k) => `f${k}.* EXCLUDE (__mlops_entity, __mlops_ts)`)];
      await conn.run(
        `COPY (SELECT ${selects.join(', ')} FROM ev e ${joins.join(' ')} ORDER BY e.__mlops_row) TO ${literal(out)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(out)})`);
      const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${literal(out)})`);
      return {
        rows: Number(count.getRowObjectsJS()[0]!.n),
        columns: described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) })),
        eventsSha256: source.sha256,
      };
    });
    if (rows === 0) throw new DataError(`events ${request.events}: no rows`);
    if (request.eventsArtifact && request.eventsArtifact.sha256 !== eventsSha256) {
      throw new DataError(`events ${request.events}: read bytes with sha256 ${eventsSha256}, not ${request.eventsArtifact.sha256} as its artifact says`);
    }
    progress(`joined ${rows} events point-in-time`);

    const sha256 = await hashFile(out);
    const ref = await deps.artifacts.putFile(`trainingsets/${sha256}.parquet`, out, 'application/vnd.apache.parquet');
    const summary = sets.map((s) => ({ name: s.fs.name, version: s.fs.version, parts: s.parts.length, columns: s.columns }));
    const inputs: ArtifactInput[] = [
      ...(request.eventsArtifact ? [request.eventsArtifact] : []),
      ...sets.flatMap((s) => [
        { uri: s.fs.uri, sha256: s.fs.sha256, type: 'FeatureSet', properties: { name: s.fs.name } },
        ...s.parts.map((p) => ({ uri: p.part_uri, sha256: p.sha256, type: 'FeatureSetPart' })),
      ]),
    ];
    const params = { events: request.events, eventsSha256, entity: request.entity, timestamp: request.timestamp, sets: summary };
    await deps.lineage.recordStage({
      key: `featurestore/training-set/${sha256}`,
      stage: 'training-set',
      codeVersion: codeVersion(),
      params,
      inputs,
      outputs: [{ uri: ref.uri, sha256: ref.sha256, type: 'TrainingSet', properties: { ...params, rows, columns } }],
    });
    progress(`stored ${ref.uri}`);
    return { ref, rows, columns, sets: summary, eventsSha256 };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
