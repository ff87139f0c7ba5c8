// Incremental materialization of one feature-set version: the source rows whose event time is past the
// version's watermark become one content-addressed Parquet part in the offline store, and the latest row
// per entity goes to the online store. Derived features are computed by `deriveColumns`, the batch side of
// the kernel the model server runs per request (`deriveRow`), so offline, online and serving agree.
//
// Rules: rows without an entity key or event time are skipped (and counted); two rows of one entity with the
// same event time keep the later one in source order; non-finite numbers are stored as missing (null), −0
// as 0. The whole run holds a row lock on the set version, so concurrent runs queue up instead of racing,
// and the part, the watermark, the online rows and the part's lineage artifact commit together.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBDataChunk, DOUBLE, INTEGER, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import type { Client } from 'minio';
import type pg from 'pg';
import { readColumns, type DataColumn } from '../data/columns';
import { ident, literal, withDuckDB } from '../data/duckdb';
import type { ColumnType, Progress } from '../data/ingest';
import { DataError, detectDelimiter, fetchSource, scanSource, type DataFormat } from '../data/source';
import { deriveColumns, type Scalar } from '../features/derive';
import { hashFile, type ArtifactRef, type ArtifactStore } from '../store/artifacts';
import { inTransaction, putArtifact, type ArtifactInput, type LineageStore } from '../store/lineage';
import { codeVersion } from '../version';
import { FeatureSetError, resolveFeatureSet, type FeatureColumn, type FeatureSetDefinition, type ResolvedFeatureSet } from './definition';
import { writeOnlineFeatures, type FeatureValue, type OnlineBatch } from './online';
import { ISO_US, requireFeatureSet, type FeatureSetVersion } from './registry';

export interface FeatureStoreDeps {
  pool: pg.Pool;
  artifacts: ArtifactStore;
  lineage: LineageStore;
  /** Reads s3:// sources (and events) outside the artifact store's prefix. */
  s3?: Client;
}

export interface MaterializeResult {
  name: string;
  version: number;
  /** Rows written to the new part (0: nothing new, nothing written). */
  rows: number;
  /** Distinct entities in the new rows (each offered to the online store once). */
  entities: number;
  /** Online rows inserted or moved forward. */
  onlineWritten: number;
  /** Source rows not taken: no entity or event time, at or before the watermark, or same entity and time as a later row. */
  skipped: { missingKey: number; behindWatermark: number; duplicates: number };
  /** Watermarks as ISO timestamps with microseconds; null before the first run. */
  fromWatermark: string | null;
  watermark: string | null;
  part: ArtifactRef | null;
  sourceSha256: string;
  ms: number;
}

/** How both stores hold a value: non-finite numbers (NaN, ±Infinity) are missing, −0 is 0. */
export function storedValue(v: Scalar): FeatureValue {
  if (typeof v === 'number') return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
  return v;
}

/** The same rule in SQL, for a kept raw column. */
function storedSql(column: string, kind: FeatureColumn['kind']): string {
  const v = `${column}::DOUBLE`;
  return kind === 'categorical' ? `${column}::VARCHAR` : `CASE WHEN ${v} = 0 THEN 0::DOUBLE WHEN isfinite(${v}) THEN ${v} END`;
}

const ISO_DUCK = `'%Y-%m-%dT%H:%M:%S.%fZ'`;
const ONLINE_BATCH = 10_000;

/** DuckDB's message, first lines only, as a DataError naming the input. */
async function duck<T>(uri: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DataError || err instanceof FeatureSetError) throw err;
    const message = (err as Error).message
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, 2)
      .join(' ');
    throw new DataError(`${uri}: ${message.length > 300 ? `${message.slice(0, 300)}…` : message}`);
  }
}

/**
 * A data source (path, file:// or s3://) as a DuckDB relation, for the duration of `fn`: its bytes are
 * checked and hashed first (as ingest does), its columns described. Session time zone UTC, so TIMESTAMPTZ
 * columns become UTC timestamps. `rows` takes a range of rows (a partition of a split file); the sha256 is the whole file's.
 */
export async function withSourceTable<T>(
  uri: string,
  opts: { s3?: Client; format?: DataFormat; rows?: { start: number; count: number } },
  fn: (conn: DuckDBConnection, table: string, source: { sha256: string; columns: ColumnType[] }) => Promise<T>,
): Promise<T> {
  const source = await fetchSource(uri, opts);
  try {
    const dialect = source.format === 'csv' ? { delimiter: await detectDelimiter(source.file), quote: '"' } : undefined;
    const sha256 = await scanSource(source, uri, dialect);
    const file = literal(source.file);
    const reader =
      source.format === 'parquet'
        ? `read_parquet(${file})`
        : source.format === 'json'
          ? `read_json(${file}, format = 'auto')`
          : `read_csv(${file}, delim = ${literal(dialect!.delimiter)}, quote = '"', escape = '"', header = true, strict_mode = true)`;
    const table = opts.rows ? `(SELECT * FROM ${reader} LIMIT ${Math.trunc(opts.rows.count)} OFFSET ${Math.trunc(opts.rows.start)})` : reader;
    return await withDuckDB(async (conn) => {
      await conn.run(`SET TimeZone = 'UTC'`);
      const described = await duck(uri, () => conn.runAndReadAll(`DESCRIBE SELECT * FROM ${table}`));
      const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      return fn(conn, table, { sha256, columns });
    });
  } finally {
    await source.cleanup();
  }
}

/** Writes typed-array columns, keyed by row id `__mlops_row`, to a new table, one DuckDB chunk at a time. */
async function appendColumns(conn: DuckDBConnection, table: string, ids: Float64Array, columns: DataColumn[]): Promise<void> {
  const types = [INTEGER, ...columns.map((c) => (c.kind === 'numeric' ? DOUBLE : VARCHAR))];
  await conn.run(
    `CREATE TEMP TABLE ${table} (__mlops_row INTEGER, ${columns.map((c) => `${ident(c.name)} ${c.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'}`).join(', ')})`,
  );
  const appender = await conn.createAppender(table);
  try {
    for (let start = 0; start < ids.length; start += 2048) {
      const n = Math.min(2048, ids.length - start);
      const chunk = DuckDBDataChunk.create(types, n);
      const vectors = types.map((_, c) => chunk.getColumnVector(c));
      for (let k = 0; k < n; k++) {
        vectors[0]!.setItem(k, ids[start + k]!);
        for (let c = 0; c < columns.length; c++) vectors[c + 1]!.setItem(k, storedValue(columns[c]!.values[start + k] ?? null));
      }
      for (const v of vectors) v.flush();
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Stages the source rows past the watermark in `fs_new` (one per entity and time) and counts what was left out. */
export async function stageNewRows(
  conn: DuckDBConnection,
  table: string,
  def: FeatureSetDefinition,
  needed: string[],
  watermarkUs: bigint | null,
): Promise<{ rows: number; skipped: MaterializeResult['skipped'] }> {
  // The source in its own order (__mlops_row), which decides between two rows of one entity and time.
  await duck(def.source.uri, () =>
    conn.run(
      `CREATE TEMP TABLE fs_src AS SELECT ${ident(def.entity)}::VARCHAR AS __mlops_entity, ${ident(def.timestamp)}::TIMESTAMP AS __mlops_ts
              ${needed.map((n) => `, ${ident(n)}`).join('')}, row_number() OVER () AS __mlops_row FROM ${table}`,
    ),
  );
  await conn.run(
    `CREATE TEMP TABLE fs_new AS SELECT * FROM fs_src
      WHERE __mlops_entity IS NOT NULL AND __mlops_ts IS NOT NULL AND ($1::BIGINT IS NULL OR epoch_us(__mlops_ts) > $1::BIGINT)`,
    [watermarkUs],
  );
  const counts = (
    await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM fs_src WHERE __mlops_entity IS NULL OR __mlops_ts IS NULL)::BIGINT AS missing,
            (SELECT count(*) FROM fs_src WHERE __mlops_entity IS NOT NULL AND epoch_us(__mlops_ts) <= $1::BIGINT)::BIGINT AS behind,
            (SELECT count(*) FROM fs_new)::BIGINT AS candidates,
            (SELECT count(*) FROM (SELECT DISTINCT __mlops_entity, __mlops_ts FROM fs_new))::BIGINT AS fresh`,
      [watermarkUs],
    )
  ).getRowObjectsJS()[0]!;
  const rows = Number(counts.fresh);
  const duplicates = Number(counts.candidates) - rows;
  // Duplicates are rare: only then pay for a window to keep the later row.
  if (duplicates > 0) {
    await conn.run(
      `DELETE FROM fs_new WHERE __mlops_row IN (SELECT __mlops_row FROM fs_new QUALIFY row_number() OVER (PARTITION BY __mlops_entity, __mlops_ts ORDER BY __mlops_row DESC) > 1)`,
    );
  }
  return { rows, skipped: { missingKey: Number(counts.missing), behindWatermark: Number(counts.behind), duplicates } };
}

/** Builds `fs_out` from `fs_new`: entity, event time and every feature as stored, sorted by entity and time. */
export async function buildFeatureRows(conn: DuckDBConnection, def: FeatureSetDefinition, resolved: ResolvedFeatureSet): Promise<void> {
  const derivedNames = new Set((def.features?.derive ?? []).map((d) => d.name));
  if (derivedNames.size > 0) {
    // Each row's id travels with its inputs, so the derived values join back whatever order the scan had.
    const batch = await readColumns(conn, 'fs_new', [...resolved.deriveInputs, { name: '__mlops_row', kind: 'numeric' }]);
    const ids = batch.columns.pop()!.values as Float64Array;
    await appendColumns(conn, 'fs_derived', ids, deriveColumns(resolved.derive, batch.columns, batch.rows));
  }
  const features = resolved.features.map((f) =>
    derivedNames.has(f.name) ? `d.${ident(f.name)}` : `${storedSql(`n.${ident(f.name)}`, f.kind)} AS ${ident(f.name)}`,
  );
  await conn.run(
    `CREATE TEMP TABLE fs_out AS SELECT n.__mlops_entity AS ${ident(def.entity)}, n.__mlops_ts AS ${ident(def.timestamp)}, ${features.join(', ')}
       FROM fs_new n ${derivedNames.size > 0 ? 'JOIN fs_derived d ON d.__mlops_row = n.__mlops_row' : ''} ORDER BY n.__mlops_entity, n.__mlops_ts`,
  );
}

/** Offers the latest row per entity of `fs_out` to the online store, as JSON built by DuckDB (shortest round-trip doubles). */
async function upsertLatest(
  conn: DuckDBConnection,
  db: pg.PoolClient,
  def: FeatureSetDefinition,
  features: FeatureColumn[],
  set: { name: string; version: number },
): Promise<number> {
  const pairs = features.map((f) => `${literal(f.name)}, ${ident(f.name)}`).join(', ');
  const latest = await conn.stream(
    `SELECT ${ident(def.entity)}, strftime(${ident(def.timestamp)}, ${ISO_DUCK}), json_object(${pairs})::VARCHAR FROM fs_out
     QUALIFY row_number() OVER (PARTITION BY ${ident(def.entity)} ORDER BY ${ident(def.timestamp)} DESC) = 1`,
  );
  let written = 0;
  let batch: OnlineBatch = { entities: [], eventTimes: [], values: [] };
  for (let chunk = await latest.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await latest.fetchChunk()) {
    const [e, t, v] = [0, 1, 2].map((c) => chunk.getColumnVector(c));
    for (let i = 0; i < chunk.rowCount; i++) {
      batch.entities.push(e!.getItem(i) as string);
      batch.eventTimes.push(t!.getItem(i) as string);
      batch.values.push(v!.getItem(i) as string);
    }
    if (batch.entities.length >= ONLINE_BATCH) {
      written += await writeOnlineFeatures(db, set, batch);
      batch = { entities: [], eventTimes: [], values: [] };
    }
  }
  return written + (await writeOnlineFeatures(db, set, batch));
}

/**
 * Records a stored part of `fs_out` in the transaction `db` (which holds the set version's row lock): the
 * materialization row, the part's lineage artifact, the new watermark, and the latest row per entity online.
 */
export async function commitPart(
  conn: DuckDBConnection,
  db: pg.PoolClient,
  fs: FeatureSetVersion,
  features: FeatureColumn[],
  c: { part: ArtifactRef; rows: number; fromWatermark: string | null; sourceSha256: string; progress: Progress },
): Promise<{ entities: number; watermark: string; onlineWritten: number }> {
  const def = fs.definition;
  const { part, rows, fromWatermark, progress } = c;
  const span = (
    await conn.runAndReadAll(
      `SELECT count(DISTINCT ${ident(def.entity)})::BIGINT AS entities, strftime(max(${ident(def.timestamp)}), ${ISO_DUCK}) AS watermark FROM fs_out`,
    )
  ).getRowObjectsJS()[0]!;
  const entities = Number(span.entities);
  const watermark = String(span.watermark);

  await db.query(
    `INSERT INTO feature_materializations (set_name, version, part_uri, sha256, rows, entities, from_watermark, to_watermark, source_sha256)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [fs.name, fs.version, part.uri, part.sha256, rows, entities, fromWatermark, watermark, c.sourceSha256],
  );
  await putArtifact(db, {
    uri: part.uri,
    sha256: part.sha256,
    type: 'FeatureSetPart',
    properties: {
      name: fs.name,
      version: fs.version,
      rows,
      fromWatermark,
      toWatermark: watermark,
      sourceUri: def.source.uri,
      sourceSha256: c.sourceSha256,
    },
  });
  await db.query(
    `INSERT INTO feature_watermarks (set_name, version, watermark, features) VALUES ($1, $2, $3, $4)
     ON CONFLICT (set_name, version) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()`,
    [fs.name, fs.version, watermark, JSON.stringify(features)],
  );
  const onlineWritten = await upsertLatest(conn, db, def, features, { name: fs.name, version: fs.version });
  progress(`online store: ${onlineWritten} of ${entities} entities moved forward`);
  return { entities, watermark, onlineWritten };
}

/** Writes the staged `fs_out` rows content-addressed under the version's `parts/` (or a partition's rows under `partitions/`). */
export async function storePart(
  conn: DuckDBConnection,
  deps: Pick<FeatureStoreDeps, 'artifacts'>,
  fs: Pick<FeatureSetVersion, 'name' | 'version'>,
  work: string,
  folder: 'parts' | 'partitions' = 'parts',
): Promise<ArtifactRef> {
  const file = path.join(work, `${folder}.parquet`);
  await conn.run(`COPY fs_out TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`);
  return deps.artifacts.putFile(`featuresets/${fs.name}/${fs.version}/${folder}/${await hashFile(file)}.parquet`, file, 'application/vnd.apache.parquet');
}

/** The execution linking definition (and any partitions) → part; the part's own lineage row is committed with it. */
export async function recordMaterialization(
  deps: Pick<FeatureStoreDeps, 'lineage'>,
  fs: FeatureSetVersion,
  outcome: { part: ArtifactRef; rows: number; watermark: string | null; sourceSha256: string },
  extra: { params?: Record<string, unknown>; inputs?: ArtifactInput[] } = {},
): Promise<void> {
  await deps.lineage.recordStage({
    key: `featurestore/materialize/${fs.name}/${fs.version}/${outcome.part.sha256}`,
    stage: 'materialize',
    codeVersion: codeVersion(),
    params: {
      name: fs.name,
      version: fs.version,
      rows: outcome.rows,
      watermark: outcome.watermark,
      sourceUri: fs.definition.source.uri,
      sourceSha256: outcome.sourceSha256,
      ...extra.params,
    },
    inputs: [{ uri: fs.uri, sha256: fs.sha256, type: 'FeatureSet', properties: { name: fs.name } }, ...(extra.inputs ?? [])],
    outputs: [{ uri: outcome.part.uri, sha256: outcome.part.sha256, type: 'FeatureSetPart' }],
  });
}

/** Materializes the rows of `name` (default: its latest version) past the watermark. Safe to run at any time. */
export async function materialize(
  deps: FeatureStoreDeps,
  set: { name: string; version?: number },
  opts: { onProgress?: Progress } = {},
): Promise<MaterializeResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => undefined);
  const fs = await requireFeatureSet(deps.pool, set.name, set.version);
  const def = fs.definition;
  const key = { name: fs.name, version: fs.version };
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-materialize-'));
  try {
    const outcome = await inTransaction(deps.pool, async (db) => {
      // Concurrent runs of one version queue here; the next one then finds the new watermark.
      await db.query('SELECT 1 FROM feature_sets WHERE name = $1 AND version = $2 FOR UPDATE', [fs.name, fs.version]);
      const state = await db.query<{ us: string; iso: string; features: FeatureColumn[] }>(
        `SELECT (extract(epoch FROM watermark) * 1000000)::bigint::text AS us, to_char(watermark AT TIME ZONE 'UTC', ${ISO_US}) AS iso, features
           FROM feature_watermarks WHERE set_name = $1 AND version = $2`,
        [fs.name, fs.version],
      );
      const from = state.rows[0];
      const fromWatermark = from?.iso ?? null;
      progress(`${fs.name}@${fs.version}: reading ${def.source.uri}${from ? ` past ${from.iso}` : ''}`);
      return withSourceTable(def.source.uri, { s3: deps.s3, format: def.source.format }, async (conn, table, source) => {
        const resolved = resolveFeatureSet(def, source.columns);
        const before = new Map((from?.features ?? []).map((f) => [f.name, f.kind]));
        const changed = from ? resolved.features.filter((f) => before.get(f.name) !== f.kind) : [];
        if (changed.length > 0) {
          throw new FeatureSetError(
            `feature set ${fs.name}@${fs.version}: the source's columns changed type since the first materialization ` +
              `(${changed.map((f) => `${f.name} was ${before.get(f.name)}, is now ${f.kind}`).join('; ')}); a version's features keep their kinds`,
          );
        }
        const needed = [...new Set([...resolved.kept.map((c) => c.name), ...resolved.deriveInputs.map((c) => c.name)])];
        const { rows, skipped } = await stageNewRows(conn, table, def, needed, from ? BigInt(from.us) : null);
        progress(
          `${rows} new rows (${skipped.behindWatermark} at or before the watermark, ${skipped.missingKey} without entity or time, ${skipped.duplicates} duplicates)`,
        );
        if (rows === 0)
          return { rows, entities: 0, onlineWritten: 0, skipped, fromWatermark, watermark: fromWatermark, part: null, sourceSha256: source.sha256 };

        await buildFeatureRows(conn, def, resolved);
        progress(`derived ${def.features?.derive.length ?? 0} feature(s) for ${rows} rows`);
        const part = await storePart(conn, deps, fs, work);
        progress(`stored ${part.uri}`);
        const { entities, watermark, onlineWritten } = await commitPart(conn, db, fs, resolved.features, {
          part,
          rows,
          fromWatermark,
          sourceSha256: source.sha256,
          progress,
        });
        return { rows, entities, onlineWritten, skipped, fromWatermark, watermark, part, sourceSha256: source.sha256 };
      });
    });
    if (outcome.part) await recordMaterialization(deps, fs, { ...outcome, part: outcome.part });
    return { ...key, ...outcome, ms: Date.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
