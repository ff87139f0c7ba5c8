// How the feedback rows appended to a retraining set differ from the source rows, column by column (the
// same tests as the drift monitor): labelled traffic is the traffic the model acted on or someone chose to
// label, so its features need not look like the training data, and the run says how far they do not.
import type { DuckDBConnection } from '@duckdb/node-api';
import { detectDrift, type DriftColumn } from '../stats/drift';
import { driftFromSummaries } from '../stats/merged-drift';
import { ident, literal } from './duckdb';
import type { PartitionSummary } from './partition-summary';
import { columnKind } from './statistics';

export interface FeedbackDrift {
  sourceRows: number;
  feedbackRows: number;
  driftedShare: number;
  columns: { name: string; method: string; statistic: number; drifted: boolean }[];
  /** Partitioned inputs: columns the partition summaries cannot compare, with the reason. */
  skipped?: { name: string; reason: string }[];
}

/** The first `source` rows of `table` against the rest, every column but `skip` (target, protected). */
export async function feedbackDrift(
  conn: DuckDBConnection,
  table: string,
  columns: { name: string; type: string }[],
  source: number,
  skip: Set<string>,
): Promise<FeedbackDrift | null> {
  const compared: DriftColumn[] = [];
  for (const c of columns) {
    if (skip.has(c.name)) continue;
    // The statistics' own type test: a list such as BIGINT[] is not numeric (its values are compared as text).
    const numeric = columnKind(c.type) === 'numeric';
    const expr = numeric ? `CAST(${ident(c.name)} AS DOUBLE)` : `CAST(${ident(c.name)} AS VARCHAR)`;
    const read = async (where: string): Promise<unknown[]> =>
      (await conn.runAndReadAll(`SELECT ${expr} AS v FROM (SELECT ${ident(c.name)}, row_number() OVER () AS n FROM ${table}) WHERE ${where}`))
        .getRowObjectsJS()
        .map((r) => r.v);
    const a = await read(`n <= ${literal(String(source))}::BIGINT`);
    const b = await read(`n > ${literal(String(source))}::BIGINT`);
    if (numeric) {
      const ref = Float64Array.from(a, (v) => (typeof v === 'number' ? v : NaN));
      const cur = Float64Array.from(b, (v) => (typeof v === 'number' ? v : NaN));
      if (ref.some((v) => !Number.isNaN(v)) && cur.some((v) => !Number.isNaN(v)))
        compared.push({ name: c.name, kind: 'numeric', reference: ref, current: cur });
    } else {
      const ref = a.map((v) => (v === null || v === undefined ? null : String(v)));
      const cur = b.map((v) => (v === null || v === undefined ? null : String(v)));
      if (ref.some((v) => v !== null) && cur.some((v) => v !== null)) compared.push({ name: c.name, kind: 'categorical', reference: ref, current: cur });
    }
  }
  if (compared.length === 0) return null;
  const report = detectDrift(compared, { autoSizeOf: 'smaller' });
  return {
    sourceRows: source,
    feedbackRows: compared[0]!.current.length,
    driftedShare: report.driftedShare,
    columns: report.columns.map((c) => ({ name: c.name, method: c.method, statistic: c.statistic, drifted: c.drifted })),
  };
}

/**
 * The same report for a partitioned input, from the merged summary of the source partitions and the feedback
 * partition's summary (core/stats/merged-drift.ts: KS from the KLL sketches within their rank error, exact
 * category counts). A numeric column with few values is tested as numeric here: an ingest partition's summary
 * does not count numeric values. A column with no value on one side is left out, as the single-file path does.
 */
export function feedbackDriftFromSummaries(source: PartitionSummary, feedback: PartitionSummary, skip: Set<string>): FeedbackDrift | null {
  const present = (s: PartitionSummary, name: string): boolean => {
    const c = s.columns.find((x) => x.name === name);
    return c !== undefined && (c.kind === 'numeric' ? (c.kll?.n ?? 0) > 0 : c.count > 0);
  };
  const columns = source.columns.map((c) => c.name).filter((name) => !skip.has(name) && present(source, name) && present(feedback, name));
  if (columns.length === 0) return null;
  let drift: ReturnType<typeof driftFromSummaries>;
  try {
    drift = driftFromSummaries(source, feedback, { autoSizeOf: 'smaller', columns });
  } catch (err) {
    // Only dates, timestamps or categories beyond the exact counts are left: nothing comparable.
    if (/no comparable columns/.test((err as Error).message)) return null;
    throw err;
  }
  return {
    sourceRows: source.rows,
    feedbackRows: feedback.rows,
    driftedShare: drift.report.driftedShare,
    columns: drift.report.columns.map((c) => ({ name: c.name, method: c.method, statistic: c.statistic, drifted: c.drifted })),
    ...(drift.skipped.length > 0 ? { skipped: drift.skipped } : {}),
  };
}
