// Ingest: any supported input becomes one canonical, content-addressed Parquet artifact. DuckDB streams
// the conversion (the rows never pass through JS); the same input bytes always give the same Parquet bytes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Client } from 'minio';
import { hashFile, type ArtifactStore } from '../store/artifacts';
import { reservedColumnName, reservedColumnReason } from './column-names';
import type { SchemaChecks } from './partition-summary';
import { literal, withDuckDB } from './duckdb';
import { feedbackDrift, type FeedbackDrift } from './feedback-drift';
import { feedbackCap, insertFeedback } from './feedback-rows';
import { DataError, detectDelimiter, fetchSource, scanSource, type CsvDialect, type DataFormat, type LocalSource } from './source';

export interface IngestOptions {
  uri: string;
  format?: DataFormat;
  /** CSV only; detected when absent. */
  delimiter?: string;
}

/**
 * Logged predictions with feedback labels, appended after the source rows: their logged features fill the
 * source's columns (by name, cast to the column's type; dates were logged as epoch ms), the label fills the
 * target, and protected attributes (logged hashed or not at all) stay missing.
 */
export interface FeedbackRows {
  rows: { features: Record<string, unknown>; label: string }[];
  target: string;
  protected: string[];
  /**
   * Largest share of feedback rows in the result (spec data.maxFeedbackShare): labelled traffic is the traffic
   * the model chose to act on (or someone chose to label), so it must not swamp the source data. Rows beyond
   * the cap are left out, the first ones in the given order kept.
   */
  maxShare?: number;
}

export interface ColumnType {
  name: string;
  type: string;
}

export interface DatasetRef {
  /** s3:// URI of the canonical Parquet. */
  uri: string;
  /** SHA-256 of the canonical Parquet. */
  sha256: string;
  /** SHA-256 of the input bytes. */
  sourceSha256: string;
  sourceUri: string;
  format: DataFormat;
  rows: number;
  /** Of `rows`, those that came from logged predictions with feedback labels. */
  feedbackRows?: number;
  /** Feedback rows left out by data.maxFeedbackShare. */
  feedbackCapped?: number;
  /** How the feedback rows' features differ from the source rows' (null: nothing comparable). */
  feedbackDrift?: FeedbackDrift | null;
  columns: ColumnType[];
  /** A partitioned dataset: `uri` is its manifest (core/data/partitioned-dataset.ts) over this many partitions. */
  partitions?: number;
  /** A partitioned dataset: its partitions' counts against the model's accepted schema (core/data/partition-summary.ts). */
  checks?: SchemaChecks;
}

export type Progress = (message: string) => void;

/** CSV fields may be large (free text); larger ones are refused with a clear message. */
export const MAX_CSV_LINE_BYTES = 16 * 1024 * 1024;

export async function ingest(
  opts: IngestOptions,
  deps: { artifacts: ArtifactStore; s3?: Client; onProgress?: Progress; feedback?: FeedbackRows },
): Promise<DatasetRef> {
  const progress = deps.onProgress ?? (() => undefined);
  const source = await fetchSource(opts.uri, { s3: deps.s3, format: opts.format });
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-ingest-'));
  try {
    progress(`reading ${opts.uri} (${source.format}, ${source.bytes} bytes)`);
    return await withDuckDB(async (conn) => {
      const dialect = source.format === 'csv' ? await csvDialect(source, opts) : undefined;
      const sourceSha256 = await scanSource(source, opts.uri, dialect);
      progress(`checked ${source.bytes} bytes (sha256 ${sourceSha256.slice(0, 12)})`);
      if (source.format === 'csv') await checkHeader(conn, source.file, opts.uri, dialect!);
      const parquet = path.join(work, 'dataset.parquet');
      const reader = readerSql(source.file, source.format, dialect);
      const feedback = deps.feedback && deps.feedback.rows.length > 0 ? deps.feedback : undefined;
      let appended: { added: number; capped: number; drift?: FeedbackDrift | null } = { added: 0, capped: 0 };
      if (feedback) {
        appended = await appendFeedback(conn, opts.uri, reader, feedback, path.join(work, 'feedback.ndjson'));
        progress(
          `added ${appended.added} logged predictions with feedback labels${appended.capped ? ` (${appended.capped} more left out by data.maxFeedbackShare ${feedback.maxShare})` : ''}`,
        );
        await duck(opts.uri, () => conn.run(`COPY ingest_rows TO ${literal(parquet)} (FORMAT parquet, COMPRESSION zstd)`));
      } else {
        await duck(opts.uri, () => conn.run(`COPY (SELECT * FROM ${reader}) TO ${literal(parquet)} (FORMAT parquet, COMPRESSION zstd)`));
      }
      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(parquet)})`);
      const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
      const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${literal(parquet)})`);
      const rows = Number(count.getRowObjectsJS()[0]!.n);
      if (rows === 0) throw new DataError(`${opts.uri}: no data rows`);
      if (columns.length === 0) throw new DataError(`${opts.uri}: no columns`);
      const reserved = reservedColumnName(columns.map((c) => c.name));
      if (reserved !== undefined) throw new DataError(`${opts.uri}: ${reservedColumnReason(reserved)}`);
      progress(`converted ${rows} rows × ${columns.length} columns to Parquet`);
      const sha256 = await hashFile(parquet);
      const ref = await deps.artifacts.putFile(`datasets/${sha256}.parquet`, parquet, 'application/vnd.apache.parquet');
      progress(`stored ${ref.uri}`);
      return {
        uri: ref.uri,
        sha256,
        sourceSha256,
        sourceUri: opts.uri,
        format: source.format,
        rows,
        columns,
        ...(feedback
          ? {
              feedbackRows: appended.added,
              ...(appended.capped ? { feedbackCapped: appended.capped } : {}),
              ...(appended.drift ? { feedbackDrift: appended.drift } : {}),
            }
          : {}),
      };
    });
  } finally {
    await rm(work, { recursive: true, force: true });
    await source.cleanup();
  }
}

/** Source rows, then the feedback rows in their given order, into the table ingest_rows (order kept for the Parquet). */
async function appendFeedback(
  conn: DuckDBConnection,
  uri: string,
  reader: string,
  feedback: FeedbackRows,
  file: string,
): Promise<{ added: number; capped: number; drift?: FeedbackDrift | null }> {
  await duck(uri, () => conn.run(`CREATE TEMP TABLE ingest_rows AS SELECT * FROM ${reader}`));
  const described = await conn.runAndReadAll('DESCRIBE ingest_rows');
  const columns = described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  if (!columns.some((c) => c.name === feedback.target)) return { added: 0, capped: 0 }; // validation names the missing target
  const source = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM ingest_rows')).getRowObjectsJS()[0]!.n);
  const rows = feedback.rows.slice(0, feedbackCap(source, feedback));
  if (rows.length === 0) return { added: 0, capped: feedback.rows.length };
  await insertFeedback(conn, 'ingest_rows', columns, rows, feedback, file);
  const drift = await feedbackDrift(conn, 'ingest_rows', columns, source, new Set([feedback.target, ...feedback.protected]));
  return { added: rows.length, capped: feedback.rows.length - rows.length, drift };
}

function readerSql(file: string, format: DataFormat, dialect?: CsvDialect): string {
  if (format === 'parquet') return `read_parquet(${literal(file)})`;
  if (format === 'json') return `read_json(${literal(file)}, format = 'auto')`;
  return `read_csv(${literal(file)}, delim = ${literal(dialect!.delimiter)}, quote = ${literal(dialect!.quote)}, escape = ${literal(dialect!.quote)}, header = true, strict_mode = true, max_line_size = ${MAX_CSV_LINE_BYTES})`;
}

/** The DuckDB relation that reads a fetched source as ingest does (CSV dialect detected unless given). */
export async function sourceRelation(source: LocalSource, opts: { delimiter?: string } = {}): Promise<string> {
  return readerSql(source.file, source.format, source.format === 'csv' ? await csvDialect(source, opts) : undefined);
}

async function csvDialect(source: LocalSource, opts: { delimiter?: string }): Promise<CsvDialect> {
  if (opts.delimiter !== undefined) {
    if (opts.delimiter.length !== 1 || /["\r\n]/.test(opts.delimiter)) {
      throw new DataError(`delimiter ${JSON.stringify(opts.delimiter)} must be one character other than a quote or newline`);
    }
    return { delimiter: opts.delimiter, quote: '"' };
  }
  return { delimiter: await detectDelimiter(source.file), quote: '"' };
}

/** Duplicate or empty column names are refused: DuckDB would silently rename them. */
async function checkHeader(conn: DuckDBConnection, file: string, uri: string, dialect: CsvDialect): Promise<void> {
  const res = await duck(uri, () =>
    conn.runAndReadAll(
      `SELECT * FROM read_csv(${literal(file)}, delim = ${literal(dialect.delimiter)}, quote = ${literal(dialect.quote)}, header = false, all_varchar = true, max_line_size = ${MAX_CSV_LINE_BYTES}) LIMIT 1`,
    ),
  );
  const names = (res.getRowsJS()[0] ?? []).map((v) =>
    v === null
      ? ''
      : String(v)
          .replace(/^\uFEFF/, '')
          .trim(),
  );
  const empty = names.findIndex((n) => n === '');
  if (empty >= 0) throw new DataError(`${uri}: header column ${empty + 1} has no name`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new DataError(`${uri}: the header names column ${JSON.stringify(n)} twice; column names must be unique`);
    seen.add(n);
  }
}

/** DuckDB's message without the echoed input line, and never longer than a screenful. */
function firstLine(message: string): string {
  const text = message
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^(Original Line|Possible Solution)/.test(l))
    .slice(0, 3)
    .join(' ')
    .trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Runs a DuckDB call, turning its errors into DataErrors that name the input. */
async function duck<T>(uri: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DataError) throw err;
    const message = (err as Error).message;
    if (/No magic bytes|not a parquet file|Invalid Input Error: .*parquet/i.test(message)) {
      throw new DataError(`${uri}: not a valid Parquet file`);
    }
    if (/Maximum line size/i.test(message)) {
      throw new DataError(`${uri}: a field is larger than ${MAX_CSV_LINE_BYTES / 2 ** 20} MiB, the largest CSV field accepted`);
    }
    throw new DataError(`${uri}: ${firstLine(message.replace(/^[A-Za-z ]+Error: /, ''))}`);
  }
}
