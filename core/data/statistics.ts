// Per-column statistics of a Parquet dataset, computed by DuckDB in a few set queries (one aggregate
// pass for all columns, then one histogram / top-k query per column): TFDV's StatisticsGen in SQL.
// Quantiles are exact up to QUANTILE_SAMPLE_ROWS rows; above that, when the relation has a row-number column,
// they are exact over its stride sample (exact quantiles sort every value: most of the time at 10M rows).
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, literal } from './duckdb';
import { strideSamplePredicate } from './stride-sample';
import type { ColumnType } from './ingest';

export type ColumnKind = 'numeric' | 'boolean' | 'string' | 'date' | 'timestamp' | 'other';

export interface ColumnStatistics {
  name: string;
  type: string;
  kind: ColumnKind;
  count: number;
  missing: number;
  missingFraction: number;
  distinct: number;
  /** numeric only: NaN and ±Infinity counts (NaN is not counted as missing here). */
  nan?: number;
  infinite?: number;
  mean?: number | null;
  std?: number | null;
  min?: number | string | null;
  max?: number | string | null;
  quantiles?: Record<string, number | null>;
  histogram?: { edges: number[]; counts: number[] };
  topK?: { value: string; count: number }[];
}

export interface DatasetStatistics {
  rows: number;
  columns: ColumnStatistics[];
}

export const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
export const QUANTILE_SAMPLE_ROWS = 100_000;
const HISTOGRAM_BINS = 20;
const TOP_K = 20;

export function columnKind(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/.test(t)) return 'numeric';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR') return 'string';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return 'other';
}

const isFloat = (type: string): boolean => /^(FLOAT|DOUBLE|REAL)$/i.test(type);

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Statistics of `table` (any DuckDB relation: a table name or a `read_parquet(...)` call). `rowNumber` names the
 * relation's 0-based row-number column, if it has one (quantiles of large tables are then taken on a sample).
 */
export async function computeStatistics(
  conn: DuckDBConnection,
  table: string,
  columns: ColumnType[],
  opts: { rowNumber?: string } = {},
): Promise<DatasetStatistics> {
  let sampled = 'true';
  if (opts.rowNumber) {
    const rows = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${table}`)).getRowObjectsJS()[0]!.n);
    sampled = strideSamplePredicate(opts.rowNumber, rows, QUANTILE_SAMPLE_ROWS);
  }
  let agg: Record<string, unknown>;
  try {
    agg = await aggregates(conn, table, columns, false, sampled);
  } catch (err) {
    // Squared deviations of values near ±1e308 overflow DuckDB's variance, which then refuses the whole query.
    if (!/Out of Range Error/.test((err as Error).message)) throw err;
    agg = await aggregates(conn, table, columns, true, sampled);
  }
  return describeColumns(conn, table, columns, agg);
}

/**
 * One pass over the table for every column's counts and moments. `scaled` computes each standard deviation on the
 * values times 2^-600 (then scales it back), which cannot overflow; values below ~1e-140 then lose precision.
 * Each numeric column is projected once as its finite values (NULL elsewhere) and once more as those of the
 * quantile sample: aggregates skip NULLs, which costs a third of a FILTER clause per aggregate.
 */
async function aggregates(conn: DuckDBConnection, table: string, columns: ColumnType[], scaled: boolean, sampled: string): Promise<Record<string, unknown>> {
  const parts: string[] = ['count(*)::BIGINT AS "rows"'];
  const projected: string[] = [];
  columns.forEach((c, i) => {
    const col = ident(c.name);
    const kind = columnKind(c.type);
    parts.push(`count(${col})::BIGINT AS c${i}_count`, `approx_count_distinct(${col})::BIGINT AS c${i}_distinct`);
    if (kind === 'numeric') {
      const finite = isFloat(c.type) ? `isfinite(${col})` : `${col} IS NOT NULL`;
      const x = `"mlops f${i}"`;
      projected.push(`CASE WHEN ${finite} THEN ${col}::DOUBLE END AS ${x}`, `CASE WHEN ${finite} AND ${sampled} THEN ${col}::DOUBLE END AS "mlops q${i}"`);
      if (isFloat(c.type))
        parts.push(`count(*) FILTER (WHERE isnan(${col}))::BIGINT AS c${i}_nan`, `count(*) FILTER (WHERE isinf(${col}))::BIGINT AS c${i}_inf`);
      parts.push(
        `avg(${x}) AS c${i}_mean`,
        `${scaled ? `stddev_samp(${x} * pow(2, -600)) * pow(2, 600)` : `stddev_samp(${x})`} AS c${i}_std`,
        `min(${x}) AS c${i}_min`,
        `max(${x}) AS c${i}_max`,
        `quantile_cont("mlops q${i}", [${QUANTILES.join(', ')}]) AS c${i}_q`,
      );
    } else if (kind === 'date' || kind === 'timestamp') {
      parts.push(`min(${col})::VARCHAR AS c${i}_min`, `max(${col})::VARCHAR AS c${i}_max`);
    }
  });
  const from = projected.length > 0 ? `(SELECT *, ${projected.join(', ')} FROM ${table})` : table;
  return (await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${from}`)).getRowObjectsJS()[0]!;
}

async function describeColumns(conn: DuckDBConnection, table: string, columns: ColumnType[], agg: Record<string, unknown>): Promise<DatasetStatistics> {
  const rows = Number(agg.rows);
  const out: ColumnStatistics[] = [];
  for (const [i, c] of columns.entries()) {
    const kind = columnKind(c.type);
    const count = Number(agg[`c${i}_count`]);
    const s: ColumnStatistics = {
      name: c.name,
      type: c.type,
      kind,
      count,
      missing: rows - count,
      missingFraction: rows === 0 ? 0 : (rows - count) / rows,
      distinct: Math.min(Number(agg[`c${i}_distinct`]), count),
    };
    if (kind === 'numeric') {
      s.nan = isFloat(c.type) ? Number(agg[`c${i}_nan`]) : 0;
      s.infinite = isFloat(c.type) ? Number(agg[`c${i}_inf`]) : 0;
      s.mean = num(agg[`c${i}_mean`]);
      s.std = num(agg[`c${i}_std`]);
      s.min = num(agg[`c${i}_min`]);
      s.max = num(agg[`c${i}_max`]);
      const q = (agg[`c${i}_q`] as unknown[] | null) ?? [];
      s.quantiles = Object.fromEntries(QUANTILES.map((p, k) => [`p${Math.round(p * 100)}`, num(q[k])]));
      if (s.min !== null && s.max !== null) s.histogram = await histogram(conn, table, c, s.min, s.max);
    } else if (kind === 'date' || kind === 'timestamp') {
      s.min = (agg[`c${i}_min`] as string | null) ?? null;
      s.max = (agg[`c${i}_max`] as string | null) ?? null;
    }
    if (kind === 'string' || kind === 'boolean') s.topK = await topK(conn, table, c.name);
    out.push(s);
  }
  return { rows, columns: out };
}

async function histogram(conn: DuckDBConnection, table: string, c: ColumnType, min: number, max: number): Promise<{ edges: number[]; counts: number[] }> {
  const bins = min === max ? 1 : HISTOGRAM_BINS;
  // Divided before subtracting: max − min overflows to Infinity when the values span most of the double range.
  // ((x − min) / bins) / width is a fraction of the whole range: times bins, it is the bin.
  const width = max / bins - min / bins || 1;
  const col = `${ident(c.name)}::DOUBLE`;
  const res = await conn.runAndReadAll(
    `SELECT least(greatest(floor((${col} / ${bins} - ${min / bins}) / ${width} * ${bins}), 0), ${bins - 1})::INTEGER AS b, count(*)::BIGINT AS n
       FROM ${table} WHERE ${isFloat(c.type) ? `isfinite(${ident(c.name)})` : `${ident(c.name)} IS NOT NULL`} GROUP BY 1`,
  );
  const counts = new Array<number>(bins).fill(0);
  for (const r of res.getRowObjectsJS()) counts[Number(r.b)] = Number(r.n);
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? max : min + k * width));
  return { edges, counts };
}

async function topK(conn: DuckDBConnection, table: string, name: string): Promise<{ value: string; count: number }[]> {
  const col = ident(name);
  const res = await conn.runAndReadAll(
    `SELECT ${col}::VARCHAR AS v, count(*)::BIGINT AS n FROM ${table} WHERE ${col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP_K}`,
  );
  return res.getRowObjectsJS().map((r) => ({ value: String(r.v), count: Number(r.n) }));
}

/** All distinct values of a column when there are at most `limit` of them, else undefined. */
export async function domainOf(conn: DuckDBConnection, table: string, name: string, limit: number): Promise<string[] | undefined> {
  const col = ident(name);
  const res = await conn.runAndReadAll(`SELECT DISTINCT ${col}::VARCHAR AS v FROM ${table} WHERE ${col} IS NOT NULL ORDER BY 1 LIMIT ${limit + 1}`);
  const values = res.getRowObjectsJS().map((r) => String(r.v));
  return values.length > limit ? undefined : values;
}

export function parquetTable(file: string): string {
  return `read_parquet(${literal(file)})`;
}
