// Moves columns from DuckDB into JS as typed arrays, chunk by chunk (never row objects): numeric and
// date/time columns as Float64Array (NaN = missing; dates as epoch milliseconds, UTC), categorical columns
// as (string | null)[].
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from './duckdb';

export type ColumnRequest = { name: string; kind: 'numeric' | 'date' | 'categorical' };

export type DataColumn = { name: string; kind: 'numeric'; values: Float64Array } | { name: string; kind: 'categorical'; values: (string | null)[] };

export interface ColumnBatch {
  rows: number;
  columns: DataColumn[];
}

/** Categorical columns with at most this many values travel as ENUM codes plus a dictionary. */
const MAX_DICTIONARY = 100_000;
let enumCounter = 0;

function selectExpr(c: ColumnRequest, enumType?: string): string {
  const col = ident(c.name);
  if (c.kind === 'numeric') return `coalesce(${col}::DOUBLE, 'NaN'::DOUBLE)`;
  if (c.kind === 'date') return `coalesce(epoch_ms(${col}::TIMESTAMP)::DOUBLE, 'NaN'::DOUBLE)`;
  // Codes are numbers: moving them is several times cheaper than materializing a JS string per row.
  if (enumType) return `coalesce(enum_code(${col}::VARCHAR::${enumType})::DOUBLE, -1)`;
  return `${col}::VARCHAR`;
}

/** An ENUM type over the column's values and its dictionary, or undefined when the column has too many values. */
async function dictionaryOf(conn: DuckDBConnection, table: string, name: string): Promise<{ type: string; values: string[] } | undefined> {
  const col = ident(name);
  const distinct = await conn.runAndReadAll(`SELECT approx_count_distinct(${col})::BIGINT AS n FROM ${table}`);
  if (Number(distinct.getRowObjectsJS()[0]!.n) > MAX_DICTIONARY) return undefined;
  const type = `mlops_dict_${++enumCounter}`;
  await conn.run(`CREATE TYPE ${type} AS ENUM (SELECT DISTINCT ${col}::VARCHAR FROM ${table} WHERE ${col} IS NOT NULL ORDER BY 1)`);
  const res = await conn.runAndReadAll(`SELECT enum_range(NULL::${type})::VARCHAR[] AS d`);
  return { type, values: (res.getRowObjectsJS()[0]!.d as string[] | null) ?? [] };
}

/** Reads the requested columns of `table` (a relation expression), optionally limited to the first `limit` rows. */
export async function readColumns(conn: DuckDBConnection, table: string, requests: ColumnRequest[], opts: { limit?: number } = {}): Promise<ColumnBatch> {
  const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';
  const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM (SELECT 1 FROM ${table}${limit})`);
  const rows = Number(count.getRowObjectsJS()[0]!.n);
  const columns: DataColumn[] = requests.map((r) =>
    r.kind === 'categorical'
      ? { name: r.name, kind: 'categorical', values: new Array<string | null>(rows) }
      : { name: r.name, kind: 'numeric', values: new Float64Array(rows) },
  );
  if (requests.length === 0) return { rows, columns };
  // Sequential: one connection runs one query at a time.
  const dictionaries: ({ type: string; values: string[] } | undefined)[] = [];
  for (const r of requests) dictionaries.push(r.kind === 'categorical' ? await dictionaryOf(conn, table, r.name) : undefined);
  const exprs = requests.map((r, i) => selectExpr(r, dictionaries[i]?.type));
  const result = await conn.stream(`SELECT ${exprs.join(', ')} FROM ${table}${limit}`);
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    for (let c = 0; c < columns.length; c++) {
      const vector = chunk.getColumnVector(c);
      const target = columns[c]!;
      if (target.kind === 'numeric') {
        const out = target.values;
        for (let i = 0; i < n; i++) out[offset + i] = vector.getItem(i) as number;
      } else if (dictionaries[c]) {
        const out = target.values;
        const dict = dictionaries[c]!.values;
        for (let i = 0; i < n; i++) {
          const code = vector.getItem(i) as number;
          out[offset + i] = code < 0 ? null : dict[code]!;
        }
      } else {
        const out = target.values;
        for (let i = 0; i < n; i++) out[offset + i] = vector.getItem(i) as string | null;
      }
    }
    offset += n;
  }
  for (const d of dictionaries) if (d) await conn.run(`DROP TYPE ${d.type}`);
  if (offset !== rows) throw new Error(`read ${offset} rows from ${table}, expected ${rows}`);
  return { rows, columns };
}
