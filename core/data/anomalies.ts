// Validation in TFDV's spirit: anomalies of a dataset against the model's schema and the run's rules.
// Errors fail the run; warnings are reported. Each anomaly names the column, rule, expected and observed.
import { LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { ident } from './duckdb';
import { compatibleKinds, type DatasetSchema } from './schema';
import type { ColumnStatistics, DatasetStatistics } from './statistics';

export type Severity = 'error' | 'warning';

export interface Anomaly {
  column: string | null;
  rule: string;
  severity: Severity;
  expected: string;
  observed: string;
}

export interface ValidationRules {
  target: string;
  /** Columns that together identify a row; duplicates are an error. */
  keys?: string[];
  /** Other columns the spec names (time column, protected attributes, …): each must exist. */
  required?: string[];
  minRows?: number;
  /** A feature missing in more than this fraction of rows is a warning. */
  maxMissingFraction?: number;
  /** Values outside the schema's categorical domain in more than this fraction of rows are an error. */
  maxUnexpectedFraction?: number;
  /** Values outside the schema's range in more than this fraction of rows are a warning. */
  maxOutOfRangeFraction?: number;
}

export const VALIDATION_DEFAULTS = { minRows: 10, maxMissingFraction: 0.5, maxUnexpectedFraction: 0.01, maxOutOfRangeFraction: 0.01 };

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export async function findAnomalies(
  conn: DuckDBConnection,
  table: string,
  stats: DatasetStatistics,
  schema: DatasetSchema | undefined,
  rules: ValidationRules,
): Promise<Anomaly[]> {
  const r = { ...VALIDATION_DEFAULTS, ...rules };
  const out: Anomaly[] = [];
  const byName = new Map(stats.columns.map((c) => [c.name, c]));
  const available = stats.columns.map((c) => c.name).join(', ');
  const add = (column: string | null, rule: string, severity: Severity, expected: string, observed: string): void => {
    out.push({ column, rule, severity, expected, observed });
  };

  if (stats.rows < r.minRows) add(null, 'too_few_rows', 'error', `at least ${r.minRows} rows`, `${stats.rows} rows`);

  // Columns the spec names must exist.
  const named: [string, string][] = [
    [r.target, 'target'],
    ...(r.keys ?? []).map((k) => [k, 'key'] as [string, string]),
    ...(r.required ?? []).map((k) => [k, 'spec'] as [string, string]),
  ];
  for (const [name, role] of named) {
    if (!byName.has(name))
      add(
        name,
        role === 'target' ? 'target_missing' : 'missing_column',
        'error',
        `${role} column ${JSON.stringify(name)}`,
        `no such column; columns are: ${available}`,
      );
  }

  const target = byName.get(r.target);
  if (target) {
    if (target.missing > 0)
      add(r.target, 'target_missing_values', 'error', 'no missing labels', `${target.missing} rows (${pct(target.missingFraction)}) without a label`);
    if ((target.nan ?? 0) + (target.infinite ?? 0) > 0)
      add(r.target, 'nan_infinity', 'error', 'finite labels', `${target.nan} NaN, ${target.infinite} ±Infinity`);
    if (target.count > 0 && target.distinct <= 1)
      add(r.target, 'target_constant', 'error', 'at least 2 distinct labels', `1 distinct value (${describeOnly(target)})`);
  }

  for (const c of stats.columns) {
    if (c.name === r.target) continue;
    if (c.count === 0) add(c.name, 'all_missing', 'warning', 'some values', 'every value is missing; the column will not be used');
    else if (c.missingFraction > r.maxMissingFraction)
      add(c.name, 'missing_fraction', 'warning', `at most ${pct(r.maxMissingFraction)} missing`, `${pct(c.missingFraction)} missing`);
    if ((c.infinite ?? 0) > 0 || (c.nan ?? 0) > 0) {
      add(c.name, 'nan_infinity', 'warning', 'finite values', `${c.nan} NaN, ${c.infinite} ±Infinity (treated as missing)`);
    }
  }

  if (r.keys && r.keys.length > 0 && r.keys.every((k) => byName.has(k))) {
    const keyList = r.keys.map(ident).join(', ');
    const res = await conn.runAndReadAll(`SELECT (count(*) - count(DISTINCT (${keyList})))::BIGINT AS d FROM ${table}`);
    const dup = Number(res.getRowObjectsJS()[0]!.d);
    if (dup > 0) add(r.keys.join(','), 'duplicate_keys', 'error', 'unique keys', `${dup} duplicate rows`);
  }

  if (schema) {
    // Every domain and range check in one pass over the table; examples only for the columns that fail.
    const domainChecks: { name: string; domain: string[] }[] = [];
    const rangeChecks: { name: string; min: number; max: number; observed: ColumnStatistics }[] = [];
    for (const expected of schema.columns) {
      const observed = byName.get(expected.name);
      if (!observed) {
        if (expected.name !== r.target) add(expected.name, 'missing_column', 'error', `column of kind ${expected.kind}`, 'column absent');
        continue;
      }
      if (!compatibleKinds(expected.kind, observed.kind)) {
        add(expected.name, 'type_mismatch', 'error', `${expected.kind} (${expected.type})`, `${observed.kind} (${observed.type})`);
        continue;
      }
      if (expected.domain && observed.count > 0) domainChecks.push({ name: expected.name, domain: expected.domain });
      if (expected.kind === 'numeric' && typeof expected.min === 'number' && typeof expected.max === 'number' && observed.count > 0) {
        rangeChecks.push({ name: expected.name, min: expected.min, max: expected.max, observed });
      }
    }
    const counts = await outsideCounts(conn, table, domainChecks, rangeChecks);
    for (const [k, d] of domainChecks.entries()) {
      const n = counts.unexpected[k]!;
      const fraction = n / stats.rows;
      if (fraction > r.maxUnexpectedFraction) {
        const sample = await unexpectedExamples(conn, table, d);
        add(
          d.name,
          'unexpected_categories',
          'error',
          `values in the schema's domain (${d.domain.length} values), at most ${pct(r.maxUnexpectedFraction)} outside`,
          `${n} rows (${pct(fraction)}) outside it, e.g. ${JSON.stringify(sample)}`,
        );
      }
    }
    for (const [k, c] of rangeChecks.entries()) {
      const n = counts.outOfRange[k]!;
      const fraction = n / stats.rows;
      if (fraction > r.maxOutOfRangeFraction) {
        add(c.name, 'out_of_range', 'warning', `[${c.min}, ${c.max}]`, `${n} rows (${pct(fraction)}) outside; observed [${c.observed.min}, ${c.observed.max}]`);
      }
    }
    const known = new Set(schema.columns.map((c) => c.name));
    for (const c of stats.columns) if (!known.has(c.name)) add(c.name, 'new_column', 'warning', "only the schema's columns", `new column of kind ${c.kind}`);
  }
  return out;
}

/** Rows outside each domain and each range, counted in one scan. */
async function outsideCounts(
  conn: DuckDBConnection,
  table: string,
  domains: { name: string; domain: string[] }[],
  ranges: { name: string; min: number; max: number }[],
): Promise<{ unexpected: number[]; outOfRange: number[] }> {
  if (domains.length + ranges.length === 0) return { unexpected: [], outOfRange: [] };
  const parts = [
    ...domains.map(
      (d, k) => `count(*) FILTER (WHERE ${ident(d.name)} IS NOT NULL AND NOT list_contains($${k + 1}, ${ident(d.name)}::VARCHAR))::BIGINT AS u${k}`,
    ),
    ...ranges.map((c, k) => {
      const col = `${ident(c.name)}::DOUBLE`;
      return `count(*) FILTER (WHERE ${col} < ${c.min} OR ${col} > ${c.max})::BIGINT AS o${k}`;
    }),
  ];
  const res = await conn.runAndReadAll(
    `SELECT ${parts.join(', ')} FROM ${table}`,
    domains.map((d) => listValue(d.domain)),
    domains.map(() => LIST(VARCHAR)),
  );
  const row = res.getRowObjectsJS()[0]!;
  return { unexpected: domains.map((_, k) => Number(row[`u${k}`])), outOfRange: ranges.map((_, k) => Number(row[`o${k}`])) };
}

/** The first five values (sorted) of a column outside its domain. */
async function unexpectedExamples(conn: DuckDBConnection, table: string, d: { name: string; domain: string[] }): Promise<unknown> {
  const res = await conn.runAndReadAll(
    `SELECT list(DISTINCT v ORDER BY v)[1:5] AS sample FROM (
       SELECT ${ident(d.name)}::VARCHAR AS v FROM ${table}
        WHERE ${ident(d.name)} IS NOT NULL AND NOT list_contains($1, ${ident(d.name)}::VARCHAR))`,
    [listValue(d.domain)],
    [LIST(VARCHAR)],
  );
  return res.getRowObjectsJS()[0]!.sample;
}

function describeOnly(c: ColumnStatistics): string {
  if (c.topK && c.topK[0]) return JSON.stringify(c.topK[0].value);
  return String(c.min ?? '');
}

/** One message naming every error: column, rule, expected and observed. */
export function anomalyMessage(anomalies: Anomaly[]): string {
  return anomalies
    .filter((a) => a.severity === 'error')
    .map((a) => `${a.column === null ? 'dataset' : `column ${JSON.stringify(a.column)}`}: ${a.rule}: expected ${a.expected}; observed ${a.observed}`)
    .join('\n');
}
