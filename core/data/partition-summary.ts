// One partition's mergeable summary, computed by DuckDB where the partition's Parquet is: exact counts and
// moments, a KLL sketch from exact order statistics, HyperLogLog registers from DuckDB's hash(), top-k with
// error bounds, and (when the model has an accepted schema) the counts its domain and range checks need.
import type { DuckDBConnection } from '@duckdb/node-api';
import { LIST, VARCHAR, listValue } from '@duckdb/node-api';
import { createHll, hllSet, hllToBase64 } from '../stats/sketch/hll';
import { DEFAULT_KLL_K, kllBlocks, kllFromOrderStatistics, type KllSketch } from '../stats/sketch/kll';
import type { Moments } from '../stats/sketch/moments';
import { DEFAULT_TOPK_CAPACITY, topKFromCounts, type TopKSummary } from '../stats/sketch/topk';
import type { ArtifactStore } from '../store/artifacts';
import { ident } from './duckdb';
import type { ColumnType } from './ingest';
import type { DatasetSchema } from './schema';
import { columnKind, type ColumnKind } from './statistics';

export interface ColumnSummary {
  name: string;
  type: string;
  kind: ColumnKind;
  /** Non-null values. */
  count: number;
  distinctHll: string;
  nan?: number;
  infinite?: number;
  /** numeric: moments and quantiles of the finite values. */
  moments?: Moments;
  kll?: KllSketch;
  /** date/timestamp: min and max as DuckDB prints them. */
  minText?: string | null;
  maxText?: string | null;
  topK?: TopKSummary;
}

/** A function of the rows alone, so the same rows always give the same summary bytes. */
export interface PartitionSummary {
  rows: number;
  columns: ColumnSummary[];
}

/** A stored summary, checked against its sha256. */
export async function readSummary(artifacts: ArtifactStore, key: string, sha256: string): Promise<PartitionSummary> {
  return JSON.parse((await artifacts.getBuffer(key, sha256)).toString('utf8')) as PartitionSummary;
}

/** Counts against the model's accepted schema: values outside a column's domain, or its numeric range. */
export interface SchemaChecks {
  schemaSha256: string;
  columns: { name: string; unexpected?: { count: number; sample: string[] }; outOfRange?: number }[];
}

const isFloat = (type: string): boolean => /^(FLOAT|DOUBLE|REAL)$/i.test(type);
const finiteOf = (c: ColumnType): string => (isFloat(c.type) ? `isfinite(${ident(c.name)})` : `${ident(c.name)} IS NOT NULL`);
const num = (v: unknown): number => Number(v ?? 0);

export async function summarizePartition(
  conn: DuckDBConnection,
  table: string,
  columns: ColumnType[],
  schema?: { sha256: string; schema: DatasetSchema },
  opts: { numericTopK?: boolean } = {},
): Promise<{ summary: PartitionSummary; checks: SchemaChecks | null }> {
  const parts = ['count(*)::BIGINT AS "rows"'];
  columns.forEach((c, i) => {
    const col = ident(c.name);
    const kind = columnKind(c.type);
    parts.push(`count(${col})::BIGINT AS c${i}_count`);
    if (kind === 'numeric') {
      const x = `${col}::DOUBLE`;
      const finite = finiteOf(c);
      if (isFloat(c.type))
        parts.push(`count(*) FILTER (WHERE isnan(${col}))::BIGINT AS c${i}_nan`, `count(*) FILTER (WHERE isinf(${col}))::BIGINT AS c${i}_inf`);
      parts.push(
        `count(*) FILTER (WHERE ${finite})::BIGINT AS c${i}_n`,
        `avg(${x}) FILTER (WHERE ${finite}) AS c${i}_mean`,
        `var_pop(${x}) FILTER (WHERE ${finite}) AS c${i}_var`,
        `min(${x}) FILTER (WHERE ${finite}) AS c${i}_min`,
        `max(${x}) FILTER (WHERE ${finite}) AS c${i}_max`,
      );
    } else if (kind === 'date' || kind === 'timestamp') {
      parts.push(`min(${col})::VARCHAR AS c${i}_min`, `max(${col})::VARCHAR AS c${i}_max`);
    }
  });
  const agg = (await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${table}`)).getRowObjectsJS()[0]!;
  const rows = num(agg.rows);
  const out: ColumnSummary[] = [];
  for (const [i, c] of columns.entries()) {
    const kind = columnKind(c.type);
    const s: ColumnSummary = { name: c.name, type: c.type, kind, count: num(agg[`c${i}_count`]), distinctHll: await hllRegisters(conn, table, c) };
    if (kind === 'numeric') {
      const n = num(agg[`c${i}_n`]);
      s.nan = isFloat(c.type) ? num(agg[`c${i}_nan`]) : 0;
      s.infinite = isFloat(c.type) ? num(agg[`c${i}_inf`]) : 0;
      s.moments =
        n === 0
          ? { count: 0, mean: 0, m2: 0, min: null, max: null }
          : { count: n, mean: Number(agg[`c${i}_mean`]), m2: Number(agg[`c${i}_var`]) * n, min: Number(agg[`c${i}_min`]), max: Number(agg[`c${i}_max`]) };
      s.kll = await orderStatistics(conn, table, c, n);
    } else if (kind === 'date' || kind === 'timestamp') {
      s.minText = (agg[`c${i}_min`] as string | null) ?? null;
      s.maxText = (agg[`c${i}_max`] as string | null) ?? null;
    }
    // Drift checks also count a numeric column's values: one with few values is tested as categorical.
    if (kind === 'string' || kind === 'boolean' || (kind === 'numeric' && opts.numericTopK)) s.topK = await topK(conn, table, c.name);
    out.push(s);
  }
  const checks = schema
    ? {
        schemaSha256: schema.sha256,
        columns: await Promise.all(columns.map(async (c) => ({ name: c.name, ...(await schemaCounts(conn, table, c, schema.schema)) }))),
      }
    : null;
  return { summary: { rows, columns: out }, checks };
}

/** HyperLogLog registers: the top 14 bits of DuckDB's 64-bit hash pick the register, the other 50 give rho. */
async function hllRegisters(conn: DuckDBConnection, table: string, c: ColumnType): Promise<string> {
  const col = ident(c.name);
  const res = await conn.runAndReadAll(
    `SELECT i::INTEGER AS i, max(CASE WHEN w = 0 THEN 51 ELSE 50 - floor(log2(w::DOUBLE))::INTEGER END)::INTEGER AS r
       FROM (SELECT hash(${col}) >> 50 AS i, hash(${col}) & ((1::UBIGINT << 50) - 1) AS w FROM ${table} WHERE ${col} IS NOT NULL)
      GROUP BY 1`,
  );
  const r = createHll();
  for (const row of res.getRowObjectsJS()) hllSet(r, Number(row.i), Number(row.r));
  return hllToBase64(r);
}

/** The finite values at the ranks a KLL sketch of n values needs, by one sort in DuckDB. */
async function orderStatistics(conn: DuckDBConnection, table: string, c: ColumnType, n: number): Promise<KllSketch> {
  const blocks = kllBlocks(n, DEFAULT_KLL_K);
  if (blocks.length === 0) return kllFromOrderStatistics(0, []);
  const size = 2 ** blocks[0]!.level;
  const full = blocks.filter((b) => b.level === blocks[0]!.level).length;
  const rest = blocks.slice(full).map((b) => b.rank);
  const wanted = `(r < ${full * size} AND r % ${size} = ${Math.floor(size / 2)})${rest.length ? ` OR r IN (${rest.join(', ')})` : ''}`;
  const res = await conn.runAndReadAll(
    `SELECT x FROM (SELECT x, row_number() OVER (ORDER BY x) - 1 AS r FROM (SELECT ${ident(c.name)}::DOUBLE AS x FROM ${table} WHERE ${finiteOf(c)})) WHERE ${wanted} ORDER BY r`,
  );
  return kllFromOrderStatistics(
    n,
    res.getRowsJS().map((row) => Number(row[0])),
  );
}

async function topK(conn: DuckDBConnection, table: string, name: string): Promise<TopKSummary> {
  const col = ident(name);
  const res = await conn.runAndReadAll(
    `SELECT ${col}::VARCHAR AS v, count(*)::BIGINT AS n FROM ${table} WHERE ${col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${DEFAULT_TOPK_CAPACITY + 1}`,
  );
  const counts = res.getRowObjectsJS().map((r) => ({ value: String(r.v), count: Number(r.n) }));
  return topKFromCounts(counts, DEFAULT_TOPK_CAPACITY, counts[DEFAULT_TOPK_CAPACITY]?.count ?? 0);
}

/** The two counts validation takes against an accepted schema (core/data/anomalies.ts runs the same queries on one table). */
async function schemaCounts(
  conn: DuckDBConnection,
  table: string,
  c: ColumnType,
  schema: DatasetSchema,
): Promise<Omit<SchemaChecks['columns'][number], 'name'>> {
  const expected = schema.columns.find((e) => e.name === c.name);
  if (!expected) return {};
  const col = ident(c.name);
  const out: Omit<SchemaChecks['columns'][number], 'name'> = {};
  if (expected.domain) {
    const res = await conn.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, list(DISTINCT v ORDER BY v)[1:5] AS sample FROM (
         SELECT ${col}::VARCHAR AS v FROM ${table} WHERE ${col} IS NOT NULL AND NOT list_contains($1, ${col}::VARCHAR))`,
      [listValue(expected.domain)],
      [LIST(VARCHAR)],
    );
    const row = res.getRowObjectsJS()[0]!;
    out.unexpected = { count: Number(row.n), sample: ((row.sample as string[] | null) ?? []).map(String) };
  }
  if (expected.kind === 'numeric' && columnKind(c.type) === 'numeric' && typeof expected.min === 'number' && typeof expected.max === 'number') {
    const x = `${col}::DOUBLE`;
    const res = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${table} WHERE ${x} < ${expected.min} OR ${x} > ${expected.max}`);
    out.outOfRange = Number(res.getRowObjectsJS()[0]!.n);
  }
  return out;
}
