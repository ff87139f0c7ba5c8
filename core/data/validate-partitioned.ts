// The validate stage for a partitioned dataset: the partitions' summaries merged into the statistics a single
// pass gives (core/data/partition-statistics.ts), and the anomalies of core/data/anomalies.ts. The domain and
// range checks use the counts each partition took against the accepted schema; only duplicate keys (a
// cross-partition question) and a schema accepted after the partitions were read need the rows themselves.
import type { ArtifactStore } from '../store/artifacts';
import type { SchemaStore } from '../store/schemas';
import { findAnomalies, VALIDATION_DEFAULTS, type Anomaly } from './anomalies';
import { withDatasetTable } from './dataset-table';
import { withDuckDB } from './duckdb';
import type { Progress } from './ingest';
import { domainsOf, mergeSummaries, toDatasetStatistics } from './partition-statistics';
import { readSummary, type PartitionSummary, type SchemaChecks } from './partition-summary';
import { readManifest, summaryKey } from './partitioned-dataset';
import { compatibleKinds, inferSchema, type DatasetSchema } from './schema';
import type { DatasetStatistics } from './statistics';
import { validationResult, type ValidateInput, type ValidationResult } from './validate';

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export async function mergedStatistics(
  artifacts: ArtifactStore,
  dataset: ValidateInput['dataset'],
): Promise<{ merged: PartitionSummary; stats: DatasetStatistics }> {
  const manifest = await readManifest(artifacts, dataset);
  const parts: { name: string; summary: PartitionSummary }[] = [];
  for (const [i, p] of manifest.partitions.entries()) {
    parts.push({
      name: `${i}`,
      summary: await readSummary(artifacts, summaryKey(p.summarySha256), p.summarySha256),
    });
  }
  const merged = mergeSummaries(parts);
  return { merged, stats: toDatasetStatistics(merged) };
}

export async function validatePartitionedDataset(
  input: ValidateInput,
  deps: { artifacts: ArtifactStore; schemas: SchemaStore; onProgress?: Progress },
): Promise<ValidationResult> {
  const progress = deps.onProgress ?? (() => undefined);
  const { merged, stats } = await mergedStatistics(deps.artifacts, input.dataset);
  progress(`statistics of ${stats.rows} rows × ${stats.columns.length} columns merged from ${input.dataset.partitions} partitions`);
  const observed = inferSchema(stats, domainsOf(merged));
  const noRows = !input.rules.keys?.length;
  return validationResult(input, deps, stats, observed, (baseline, accepted) => {
    const checks = input.dataset.checks;
    if (baseline && accepted && checks && checks.schemaSha256 === accepted.sha256 && noRows) {
      // Every partition counted against this schema: no row needs reading again.
      return withDuckDB(async (conn) => [
        ...(await findAnomalies(conn, '(SELECT 1 WHERE false)', stats, withoutRowChecks(baseline), input.rules)),
        ...schemaCountAnomalies(checks, baseline, stats, input.rules),
      ]);
    }
    // Without an accepted schema only duplicate keys need the rows.
    if (!baseline && noRows) return withDuckDB((conn) => findAnomalies(conn, '(SELECT 1 WHERE false)', stats, undefined, input.rules));
    return withDatasetTable(deps.artifacts, input.dataset, (conn, table) => findAnomalies(conn, table, stats, baseline, input.rules));
  });
}

/** The schema without what findAnomalies would check row by row (domains, numeric ranges). */
function withoutRowChecks(schema: DatasetSchema): DatasetSchema {
  return { columns: schema.columns.map(({ domain: _d, ...c }) => (c.kind === 'numeric' ? { ...c, min: null, max: null } : c)) };
}

/** The domain and range anomalies, from the partitions' counts, worded as core/data/anomalies.ts words them. */
function schemaCountAnomalies(checks: SchemaChecks, schema: DatasetSchema, stats: DatasetStatistics, rules: ValidateInput['rules']): Anomaly[] {
  const r = { ...VALIDATION_DEFAULTS, ...rules };
  const out: Anomaly[] = [];
  for (const expected of schema.columns) {
    const observed = stats.columns.find((c) => c.name === expected.name);
    const counts = checks.columns.find((c) => c.name === expected.name);
    if (!observed || !counts || observed.count === 0 || !compatibleKinds(expected.kind, observed.kind)) continue;
    if (expected.domain && counts.unexpected) {
      const fraction = counts.unexpected.count / stats.rows;
      if (fraction > r.maxUnexpectedFraction) {
        out.push({
          column: expected.name,
          rule: 'unexpected_categories',
          severity: 'error',
          expected: `values in the schema's domain (${expected.domain.length} values), at most ${pct(r.maxUnexpectedFraction)} outside`,
          observed: `${counts.unexpected.count} rows (${pct(fraction)}) outside it, e.g. ${JSON.stringify(counts.unexpected.sample)}`,
        });
      }
    }
    if (expected.kind === 'numeric' && typeof expected.min === 'number' && typeof expected.max === 'number' && counts.outOfRange !== undefined) {
      const fraction = counts.outOfRange / stats.rows;
      if (fraction > r.maxOutOfRangeFraction) {
        out.push({
          column: expected.name,
          rule: 'out_of_range',
          severity: 'warning',
          expected: `[${expected.min}, ${expected.max}]`,
          observed: `${counts.outOfRange} rows (${pct(fraction)}) outside; observed [${observed.min}, ${observed.max}]`,
        });
      }
    }
  }
  return out;
}
