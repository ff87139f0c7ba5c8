// Drift between two datasets on disk or in S3: the columns both have, read by DuckDB into typed arrays
// (numbers, and dates as epoch ms, are numeric; text and booleans are categorical), then detectDrift.
import type { Client } from 'minio';
import { readColumns, type ColumnRequest } from '../data/columns';
import { literal, withDuckDB } from '../data/duckdb';
import { DataError, fetchSource, type LocalSource } from '../data/source';
import { columnKind } from '../data/statistics';
import { detectDrift, type DriftColumn, type DriftOptions, type DriftReport } from './drift';
import { columnHistograms, renderDriftHtml } from './report-html';

function reader(src: LocalSource): string {
  if (src.format === 'parquet') return `read_parquet(${literal(src.file)})`;
  if (src.format === 'json') return `read_json(${literal(src.file)}, format = 'auto')`;
  return `read_csv(${literal(src.file)}, header = true)`;
}

export interface DatasetDrift {
  report: DriftReport;
  html: string;
  /** Columns present in only one of the two datasets (not compared). */
  skipped: { name: string; reason: string }[];
}

export async function compareDatasets(
  referenceUri: string,
  currentUri: string,
  opts: DriftOptions & { s3?: Client; columns?: string[]; createdAt?: string } = {},
): Promise<DatasetDrift> {
  const [ref, cur] = await Promise.all([fetchSource(referenceUri, { s3: opts.s3 }), fetchSource(currentUri, { s3: opts.s3 })]);
  try {
    return await withDuckDB(async (conn) => {
      const describe = async (src: LocalSource, uri: string): Promise<Map<string, string>> => {
        try {
          const res = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${reader(src)}`);
          return new Map(res.getRowObjectsJS().map((r) => [String(r.column_name), String(r.column_type)]));
        } catch (err) {
          throw new DataError(`${uri}: ${(err as Error).message.split('\n')[0]}`);
        }
      };
      const refTypes = await describe(ref, referenceUri);
      const curTypes = await describe(cur, currentUri);
      const skipped: DatasetDrift['skipped'] = [];
      const wanted = opts.columns ?? [...refTypes.keys()];
      for (const name of opts.columns ?? []) if (!refTypes.has(name)) throw new DataError(`${referenceUri} has no column ${JSON.stringify(name)}`);
      for (const name of curTypes.keys()) if (!refTypes.has(name)) skipped.push({ name, reason: 'only in the current dataset' });
      const requests: ColumnRequest[] = [];
      for (const name of wanted) {
        if (!curTypes.has(name)) {
          skipped.push({ name, reason: 'missing from the current dataset' });
          continue;
        }
        const kr = columnKind(refTypes.get(name)!);
        const kc = columnKind(curTypes.get(name)!);
        const kind = (k: string): ColumnRequest['kind'] | undefined =>
          k === 'numeric' ? 'numeric' : k === 'date' || k === 'timestamp' ? 'date' : k === 'string' || k === 'boolean' ? 'categorical' : undefined;
        const a = kind(kr);
        const b = kind(kc);
        if (!a || a !== b) {
          skipped.push({ name, reason: `types differ or are not comparable (${refTypes.get(name)} vs ${curTypes.get(name)})` });
          continue;
        }
        requests.push({ name, kind: a });
      }
      if (requests.length === 0) throw new DataError(`${referenceUri} and ${currentUri} have no comparable columns in common`);
      // One connection runs one streaming query at a time.
      const r = await readColumns(conn, reader(ref), requests);
      const c = await readColumns(conn, reader(cur), requests);
      const columns: DriftColumn[] = requests.map((req, i) => {
        const a = r.columns[i]!;
        const b = c.columns[i]!;
        return a.kind === 'numeric' && b.kind === 'numeric'
          ? { name: req.name, kind: 'numeric', reference: a.values, current: b.values }
          : { name: req.name, kind: 'categorical', reference: a.values as (string | null)[], current: b.values as (string | null)[] };
      });
      const report = detectDrift(columns, opts);
      const html = renderDriftHtml(report, columnHistograms(columns), {
        title: 'Data drift',
        reference: referenceUri,
        current: currentUri,
        createdAt: opts.createdAt ?? new Date().toISOString(),
      });
      return { report, html, skipped };
    });
  } finally {
    await Promise.all([ref.cleanup(), cur.cleanup()]);
  }
}
