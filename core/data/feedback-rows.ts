// Feedback rows (logged predictions with feedback labels) as rows of a dataset: how many fit under
// data.maxFeedbackShare, and the SQL that casts each logged value to its column's type. One way for both the
// single-file ingest (rows appended after the source rows) and a partitioned one (the rows as a last partition).
import { writeFile } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { literal } from './duckdb';
import type { ColumnType, FeedbackRows } from './ingest';

/** How many of the feedback rows fit next to `source` source rows: share = f / (source + f) ≤ maxShare. */
export function feedbackCap(source: number, feedback: FeedbackRows): number {
  const share = feedback.maxShare ?? 1;
  return share >= 1 ? feedback.rows.length : Math.min(feedback.rows.length, Math.floor((source * share) / (1 - share) + 1e-9));
}

/**
 * Inserts `rows` into `table` (whose columns are `columns`), in their given order: the logged features fill the
 * columns by name, cast to the column's type (dates were logged as epoch ms), the label fills the target, and
 * protected attributes (logged hashed or not at all) stay missing. `file` is a scratch file for the rows.
 */
export async function insertFeedback(
  conn: DuckDBConnection,
  table: string,
  columns: ColumnType[],
  rows: FeedbackRows['rows'],
  feedback: Pick<FeedbackRows, 'target' | 'protected'>,
  file: string,
): Promise<void> {
  await writeFile(file, rows.map((r, i) => JSON.stringify({ i, f: r.features, label: r.label })).join('\n'));
  const protectedSet = new Set(feedback.protected);
  const select = columns.map((c) => {
    const value = `(f->>${literal(c.name)})`;
    if (c.name === feedback.target) return `TRY_CAST(label AS ${c.type})`;
    if (protectedSet.has(c.name)) return `NULL::${c.type}`;
    if (/^(DATE|TIMESTAMP)/.test(c.type)) {
      return `CASE WHEN json_type(f, ${literal(c.name)}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN epoch_ms(TRY_CAST(${value} AS DOUBLE)::BIGINT)::${c.type} ELSE TRY_CAST(${value} AS ${c.type}) END`;
    }
    if (c.type === 'BOOLEAN') return `CASE ${value} WHEN '1' THEN true WHEN '0' THEN false ELSE TRY_CAST(${value} AS BOOLEAN) END`;
    return `TRY_CAST(${value} AS ${c.type})`;
  });
  await conn.run(
    `INSERT INTO ${table} SELECT ${select.join(', ')} FROM read_json(${literal(file)}, format = 'newline_delimited', columns = {i: 'BIGINT', f: 'JSON', label: 'VARCHAR'}) ORDER BY i`,
  );
}
