// One partition of a partitioned input: its rows become a canonical Parquet artifact plus a mergeable summary
// (core/data/partition-summary.ts), both content-addressed. The same source rows always give the same bytes.
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'minio';
import { hashFile, type ArtifactStore } from '../store/artifacts';
import { reservedColumnName, reservedColumnReason } from './column-names';
import { hasFileRowNumberColumn, literal, withDuckDB } from './duckdb';
import { sourceRelation, type DatasetRef, type Progress } from './ingest';
import { manifestOf, partitionKey, type PartitionResult } from './partitioned-dataset';
import { mergeChecks } from './partition-statistics';
import { summarizePartition } from './partition-summary';
import type { PartitionPlan, PartitionSource } from './partitions';
import type { DatasetSchema } from './schema';
import { DataError, detectDelimiter, fetchSource, scanSource, type LocalSource } from './source';
import { canonicalJson } from '../canonical-json';

export interface PartitionOptions {
  delimiter?: string;
  /** The model's accepted schema, when it has one: each partition counts the values outside it. */
  schema?: { sha256: string; schema: DatasetSchema };
}

const describe = (p: PartitionSource): string => `partition ${p.index} (${p.uri}${p.rows ? ` rows ${p.rows.start}–${p.rows.start + p.rows.count - 1}` : ''})`;

export async function ingestPartition(
  part: PartitionSource,
  opts: PartitionOptions,
  deps: { artifacts: ArtifactStore; s3: Client; onProgress?: Progress },
): Promise<PartitionResult> {
  const progress = deps.onProgress ?? (() => undefined);
  const source = await fetchSource(part.uri, { s3: deps.s3, format: part.format });
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-partition-'));
  try {
    const dialect = source.format === 'csv' ? { delimiter: opts.delimiter ?? (await detectDelimiter(source.file)), quote: '"' } : undefined;
    const sourceSha256 = await scanSource(source, part.uri, dialect);
    const reader = await sourceRelation(source, { delimiter: dialect?.delimiter });
    const parquet = path.join(work, 'partition.parquet');
    return await withDuckDB(async (conn) => {
      try {
        // LIMIT/OFFSET, not rangeQuery's row-group read: see rangeQuery for why the bytes would change.
        const slice = part.rows ? ` LIMIT ${part.rows.count} OFFSET ${part.rows.start}` : '';
        await conn.run(`COPY (SELECT * FROM ${reader}${slice}) TO ${literal(parquet)} (FORMAT parquet, COMPRESSION zstd)`);
      } catch (err) {
        throw new DataError(`${describe(part)}: ${(err as Error).message.split('\n')[0]}`);
      }
      const table = `read_parquet(${literal(parquet)})`;
      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${table}`);
      const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const reserved = reservedColumnName(columns.map((c) => c.name));
      if (reserved !== undefined) throw new DataError(`${describe(part)}: ${reservedColumnReason(reserved)}`);
      const { summary, checks } = await summarizePartition(conn, table, columns, opts.schema);
      if (summary.rows === 0) throw new DataError(`${describe(part)}: no data rows`);
      progress(`partition ${part.index}: ${summary.rows} rows × ${columns.length} columns summarized`);
      return storePartition(
        parquet,
        { index: part.index, columns, sourceUri: part.uri, sourceSha256, range: part.rows ?? null, format: part.format },
        { summary, checks },
        deps.artifacts,
      );
    });
  } finally {
    await rm(work, { recursive: true, force: true });
    await source.cleanup();
  }
}

/** A partition's canonical Parquet file and its summary, stored content-addressed: the result the merge reads. */
export async function storePartition(
  parquet: string,
  part: Pick<PartitionResult, 'index' | 'columns' | 'sourceUri' | 'sourceSha256' | 'range' | 'format'>,
  summarized: Awaited<ReturnType<typeof summarizePartition>>,
  artifacts: ArtifactStore,
): Promise<PartitionResult> {
  const sha256 = await hashFile(parquet);
  const ref = await artifacts.putFile(partitionKey(sha256), parquet, 'application/vnd.apache.parquet');
  const summary = await artifacts.putContent('summaries', '.json', canonicalJson(summarized.summary), 'application/json');
  return { ...part, uri: ref.uri, sha256, rows: summarized.summary.rows, summary, checks: summarized.checks };
}

/**
 * The rows of a partition in file order, for reading them (drift summaries). A row range of a Parquet file
 * filters on DuckDB's file_row_number, which the scan pushes down to the row groups' offsets: it decodes only
 * the row groups covering the range (LIMIT/OFFSET decodes every row group before it). Ingest does not use it:
 * a range starting inside a source row group reaches the Parquet writer in chunks of another phase, the writer
 * cuts its row groups elsewhere, and the partition's bytes (its sha256) would change for the same rows
 * (test/unit/data/partition-range.test.ts). CSV and JSON have no row index: LIMIT/OFFSET.
 */
export async function rangeQuery(
  conn: DuckDBConnection,
  source: LocalSource,
  reader: string,
  rows: PartitionSource['rows'],
): Promise<{ sql: string; pruned: boolean }> {
  if (!rows) return { sql: `SELECT * FROM ${reader}`, pruned: false };
  if (![rows.start, rows.count].every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new DataError(`row range ${JSON.stringify(rows)} is not two whole numbers ≥ 0`);
  const limit = { sql: `SELECT * FROM ${reader} LIMIT ${rows.count} OFFSET ${rows.start}`, pruned: false };
  if (source.format !== 'parquet') return limit;
  if (await hasFileRowNumberColumn(conn, reader)) return limit;
  return {
    sql: `SELECT * EXCLUDE (file_row_number) FROM read_parquet(${literal(source.file)}, file_row_number = true)
           WHERE file_row_number >= ${rows.start} AND file_row_number < ${rows.start + rows.count}`,
    pruned: true,
  };
}

/**
 * The merged dataset version: the manifest stored content-addressed; sourceSha256 hashes the partitions' source
 * hashes. A feedback partition (core/data/feedback-partition.ts) goes last; like a single-file ingest's feedback
 * rows it counts in the rows but not in sourceSha256, the hash of the input.
 */
export async function storePartitionedDataset(
  plan: Pick<PartitionPlan, 'sourceUri'>,
  parts: PartitionResult[],
  artifacts: ArtifactStore,
  feedback?: PartitionResult,
): Promise<DatasetRef> {
  const all = feedback ? [...parts, feedback] : parts;
  const manifest = manifestOf(all);
  const checks = mergeChecks(all.map((p) => p.checks));
  const ref = await artifacts.putContent('datasets', '.json', canonicalJson(manifest), 'application/json');
  const sources = createHash('sha256');
  for (const p of [...parts].sort((a, b) => a.index - b.index)) sources.update(`${p.sourceSha256} ${p.range ? `${p.range.start}+${p.range.count}` : '*'}\n`);
  return {
    uri: ref.uri,
    sha256: ref.sha256,
    sourceSha256: sources.digest('hex'),
    sourceUri: plan.sourceUri,
    format: parts[0]!.format,
    rows: manifest.rows,
    columns: manifest.columns,
    partitions: all.length,
    ...(checks ? { checks } : {}),
  };
}
