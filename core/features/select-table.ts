// Feature selection on a dataset table without reading it whole into JS: what needs every row (missing
// fractions, variances of raw features) is one DuckDB aggregate; what needs only the stride sample (top shares,
// correlations, model importance) reads the sample's rows, copied once into a small temporary table. Derived
// features are computed by the derivation code (the same as in training and serving) from their inputs only.
// The result equals selectFeatures on all rows read into JS, up to rounding in the variances.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataColumn } from '../data/columns';
import { ident } from '../data/duckdb';
import { strideSamplePredicate } from '../data/stride-sample';
import { modelImportance } from '../ml/importance';
import type { FeaturePlan } from './plan';
import {
  categoricalStat,
  chooseFeatures,
  numericStat,
  SELECTION_DEFAULTS,
  strideSample,
  type FeatureStat,
  type SelectionResult,
  type SelectionSpec,
} from './select';
import { inputsOf } from './spec';
import { computeFeatures } from './stages';

const SAMPLE_TABLE = 'mlops_select_sample';

/** Count of finite values and population variance of each raw numeric feature; count of values of each raw categorical one. */
async function rawStats(conn: DuckDBConnection, table: string, plan: FeaturePlan, rows: number): Promise<Map<string, FeatureStat>> {
  const raw = plan.features.filter((f) => f.source === 'raw');
  const out = new Map<string, FeatureStat>();
  if (raw.length === 0) return out;
  const parts = raw.flatMap((f, i) => {
    const x = `${ident(f.name)}::DOUBLE`;
    return f.kind === 'numeric'
      ? [`count(*) FILTER (WHERE isfinite(${x}))::BIGINT AS n${i}`, `var_pop(${x}) FILTER (WHERE isfinite(${x})) AS v${i}`]
      : [`count(${ident(f.name)})::BIGINT AS n${i}`];
  });
  const r = (await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM ${table}`)).getRowObjectsJS()[0]!;
  raw.forEach((f, i) => {
    const present = Number(r[`n${i}`]);
    const missingFraction = rows === 0 ? 1 : (rows - present) / rows;
    out.set(
      f.name,
      f.kind === 'numeric'
        ? { name: f.name, kind: 'numeric', missingFraction, variance: present > 0 ? Number(r[`v${i}`] ?? 0) : 0 }
        : { name: f.name, kind: 'categorical', missingFraction },
    );
  });
  return out;
}

/** The raw columns the plan's derivations read (directly or through other derivations). */
export function derivationInputs(plan: FeaturePlan): FeaturePlan['raw'] {
  const derived = new Set(plan.derive.map((d) => d.name));
  const needed = new Set(plan.derive.flatMap((d) => inputsOf(d)).filter((n) => !derived.has(n)));
  return plan.raw.filter((r) => needed.has(r.name));
}

/**
 * Selects among the plan's features on `table`, a relation with a 0-based row-number column `rowNumber`
 * (read_parquet(…, file_row_number = true)). `onProgress` hears each step.
 */
export async function selectFromTable(
  conn: DuckDBConnection,
  table: string,
  plan: FeaturePlan,
  spec: SelectionSpec = {},
  opts: { rowNumber?: string; onProgress?: (message: string) => void } = {},
): Promise<SelectionResult> {
  const rowNumber = opts.rowNumber ?? 'file_row_number';
  const s = { ...SELECTION_DEFAULTS, ...spec };
  const rows = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${table}`)).getRowObjectsJS()[0]!.n);
  const n = Math.min(rows, s.sampleRows);
  const columns = plan.raw.map((r) => ident(r.name)).join(', ');
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${SAMPLE_TABLE} AS SELECT ${columns} FROM ${table} WHERE ${strideSamplePredicate(rowNumber, rows, n)} ORDER BY ${rowNumber}`,
  );
  try {
    const sample = await computeFeatures(conn, SAMPLE_TABLE, plan);
    if (sample.rows !== n) throw new Error(`the stride sample of ${rows} rows has ${sample.rows} rows, expected ${n}`);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const full = await rawStats(conn, table, plan, rows);
    opts.onProgress?.(`statistics of ${full.size} raw features over ${rows} rows; sample of ${n} rows`);
    // Derived features over every row, from their inputs only.
    const derived =
      plan.derive.length > 0 ? (await computeFeatures(conn, table, { ...plan, raw: derivationInputs(plan) })).byName : new Map<string, DataColumn>();
    const features = plan.features.map((f) => sample.byName.get(f.name)!);
    const rowsSample = strideSample(rows, n);
    const stats = plan.features.map((f, i): FeatureStat => {
      if (f.source === 'derived') {
        const c = derived.get(f.name)!;
        return c.kind === 'numeric' ? numericStat(c, rows) : categoricalStat(c, rows, rowsSample);
      }
      const st = full.get(f.name)!;
      const c = features[i]!;
      return c.kind === 'categorical' ? { ...st, topShare: categoricalStat(c, n, all).topShare! } : st;
    });
    const importance = spec.topK !== undefined ? modelImportance(features, sample.byName.get(plan.target)!, n) : undefined;
    return chooseFeatures(features, all, stats, spec, importance);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${SAMPLE_TABLE}`);
  }
}
