// Batch scoring of a partitioned table (a partitioned dataset version, a directory, glob or s3:// prefix, or a
// file above partitionRows): each partition is scored on its own (any worker, its own content-addressed
// scores/<model>/<version>/parts/<sha256>.parquet), and the merge concatenates the parts in partition order
// into the same scores/<model>/<version>/<sha256>.parquet one pass over the whole table writes. A table
// without the entity key is keyed by row number: each part numbers from 0 and the merge adds the rows before it.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ident, literal, withDuckDB } from '../data/duckdb';
import type { ColumnType, Progress } from '../data/ingest';
import { partitionKey, readManifest } from '../data/partitioned-dataset';
import { planPartitions, type PartitionSource } from '../data/partitions';
import type { Stores } from '../store';
import { hashFile, type ArtifactRef } from '../store/artifacts';
import { RegistryError } from '../store/registry';
import { openScoring, scoreRelation, scoresKey, type BatchScoreRequest, type BatchScoreResult } from './batch-score';
import { FeatureSetError } from './definition';
import { withSourceTable } from './materialize';

/** The table to score and how: the version is fixed here, so an alias moved mid-run does not mix two versions. */
export interface ScorePlan {
  model: string;
  version: number;
  alias: string | null;
  table: string;
  /** Null: the table is one file at most partitionRows long, scored in one pass. */
  partitions: PartitionSource[] | null;
}

export interface ScorePartitionResult {
  index: number;
  ref: ArtifactRef;
  rows: number;
  columns: ColumnType[];
  missingFields: string[];
  sourceUri: string;
  sourceSha256: string;
  range: PartitionSource['rows'] | null;
  sets: BatchScoreResult['sets'];
}

const MANIFEST = /\/datasets\/([0-9a-f]{64})\.json$/;

export async function planBatchScore(stores: Stores, request: BatchScoreRequest & { partitionRows?: number }): Promise<ScorePlan> {
  const table = request.table;
  if (table === undefined || (request.sets ?? []).length > 0) throw new FeatureSetError('a partitioned batch score takes a table (and no feature sets)');
  const alias = request.version === undefined ? (request.alias ?? 'production') : null;
  const version = request.version ?? (await stores.registry.getAlias(request.model, alias!));
  if (version === undefined) throw new RegistryError(`model ${request.model} has no version with the alias ${alias}`);
  const manifest = MANIFEST.exec(table);
  if (manifest && table.startsWith('s3://')) {
    // A partitioned dataset version: its canonical Parquet partitions, in order.
    const m = await readManifest(stores.artifacts, { uri: table, sha256: manifest[1]! });
    const partitions = m.partitions.map((p, index): PartitionSource => ({ index, uri: stores.artifacts.uri(partitionKey(p.sha256)), format: 'parquet' }));
    return { model: request.model, version, alias, table, partitions };
  }
  const plan = await planPartitions({ uri: table, format: request.format, partitionRows: request.partitionRows }, stores);
  return { model: request.model, version, alias, table, partitions: plan?.partitions ?? null };
}

const describe = (p: PartitionSource): string => `partition ${p.index} (${p.uri}${p.rows ? ` rows ${p.rows.start}–${p.rows.start + p.rows.count - 1}` : ''})`;

/** Scores one partition with the plan's version into its own content-addressed Parquet. */
export async function scorePartition(
  stores: Stores,
  input: { request: BatchScoreRequest; version: number; partition: PartitionSource },
  opts: { onProgress?: Progress } = {},
): Promise<ScorePartitionResult> {
  const progress = opts.onProgress ?? (() => undefined);
  const p = input.partition;
  const request = { ...input.request, version: input.version, table: describe(p) };
  const scoring = await openScoring(stores, request, progress);
  try {
    const file = path.join(scoring.work, 'part.parquet');
    const out = await withSourceTable(p.uri, { s3: stores.s3, format: p.format, ...(p.rows ? { rows: p.rows } : {}) }, async (conn, rel, src) => ({
      ...(await scoreRelation(conn, scoring, request, { table: rel, columns: src.columns }, file, progress)),
      sourceSha256: src.sha256,
    }));
    if (out.rows === 0) throw new FeatureSetError(`nothing to score: ${describe(p)} has no rows`);
    const sha256 = await hashFile(file);
    const ref = await stores.artifacts.putFile(
      `scores/${scoring.model.name}/${scoring.model.version}/parts/${sha256}.parquet`,
      file,
      'application/vnd.apache.parquet',
    );
    progress(`${describe(p)}: scored ${out.rows} rows; stored ${ref.uri}`);
    return {
      index: p.index,
      ref,
      rows: out.rows,
      columns: out.columns,
      missingFields: out.missingFields,
      sourceUri: p.uri,
      sourceSha256: out.sourceSha256,
      range: p.rows ?? null,
      sets: scoring.sets.map((s) => ({ name: s.fs.name, version: s.fs.version, parts: s.parts.length })),
    };
  } finally {
    await scoring.release();
  }
}

/** Hash over the partitions' sources (sha256 and row range, in order): the table's identity, as ingest records it. */
export function partitionedSourceSha256(parts: Pick<ScorePartitionResult, 'sourceSha256' | 'range'>[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.sourceSha256} ${p.range ? `${p.range.start}+${p.range.count}` : '*'}\n`);
  return h.digest('hex');
}

/** The parts in partition order as one scores artifact: the same parts give the same bytes. */
export async function mergeScores(
  stores: Stores,
  input: { plan: ScorePlan; asOf?: string; parts: ScorePartitionResult[] },
  opts: { onProgress?: Progress } = {},
): Promise<Omit<BatchScoreResult, 'ms'> & { partitions: number }> {
  const progress = opts.onProgress ?? (() => undefined);
  const parts = [...input.parts].sort((a, b) => a.index - b.index);
  const expected = input.plan.partitions?.length ?? 0;
  parts.forEach((p, i) => {
    if (p.index !== i) throw new Error(`scores of partition ${i} are missing (got partition ${p.index})`);
  });
  if (parts.length !== expected) throw new Error(`expected the scores of ${expected} partitions, got ${parts.length}`);
  const shape = (cols: ColumnType[]): string => cols.map((c) => `${c.name} ${c.type}`).join(', ');
  const first = parts[0]!;
  for (const p of parts) {
    if (shape(p.columns) !== shape(first.columns))
      throw new FeatureSetError(
        `the scores of partition ${p.index} (${p.sourceUri}) have columns (${shape(p.columns)}) but partition 0's have (${shape(first.columns)}); score partitions with the same columns`,
      );
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-merge-scores-'));
  try {
    const files: string[] = [];
    for (const p of parts) {
      const file = path.join(work, `part-${p.index}.parquet`);
      await stores.artifacts.getFile(stores.artifacts.keyOf(p.ref.uri), file, p.ref.sha256);
      files.push(file);
    }
    const numbered = first.columns[0]?.name === 'row' && first.columns[0].type === 'BIGINT';
    let offset = 0;
    const selects = parts.map((p, i) => {
      const row = numbered ? ` REPLACE (${ident('row')} + ${offset} AS ${ident('row')})` : '';
      offset += p.rows;
      return `SELECT *${row}, ${i} AS __mlops_part FROM read_parquet(${literal(files[i]!)}, file_row_number = true)`;
    });
    const file = path.join(work, 'scores.parquet');
    await withDuckDB((conn) =>
      conn.run(
        `COPY (SELECT * EXCLUDE (__mlops_part, file_row_number) FROM (${selects.join(' UNION ALL ')}) ORDER BY __mlops_part, file_row_number)
           TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`,
      ),
    );
    const sha256 = await hashFile(file);
    const { model, version } = input.plan;
    const ref = await stores.artifacts.putFile(scoresKey(model, version, sha256), file, 'application/vnd.apache.parquet');
    const rows = parts.reduce((n, p) => n + p.rows, 0);
    progress(`merged ${parts.length} partitions, ${rows} rows: ${ref.uri}`);
    return {
      model,
      version,
      alias: input.plan.alias,
      ref,
      rows,
      columns: first.columns,
      sets: first.sets,
      table: { uri: input.plan.table, sha256: partitionedSourceSha256(parts) },
      asOf: input.asOf ?? null,
      missingFields: first.missingFields,
      partitions: parts.length,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
