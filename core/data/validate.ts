// The validate stage: statistics of the dataset, its observed schema, and the anomalies against the model's
// accepted schema. The first valid dataset of a model becomes its schema (version 1).
import { canonicalJson } from '../canonical-json';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { AcceptedSchema, SchemaStore } from '../store/schemas';
import { findAnomalies, type Anomaly, type ValidationRules } from './anomalies';
import { withDatasetTable } from './dataset-table';
import type { DatasetRef, Progress } from './ingest';
import { inferSchema, MAX_DOMAIN_SIZE, type DatasetSchema } from './schema';
import { computeStatistics, domainOf, type DatasetStatistics } from './statistics';

export interface ValidateInput {
  dataset: DatasetRef;
  model: string;
  rules: ValidationRules;
}

export interface ValidationResult {
  passed: boolean;
  anomalies: Anomaly[];
  statistics: ArtifactRef;
  /** The schema this dataset shows (what `mlops schema accept` would adopt). */
  observedSchema: ArtifactRef;
  /** The accepted schema it was checked against (created from this dataset when the model had none). */
  schema: { version: number; uri: string; sha256: string; createdNow: boolean };
}

export async function validateDataset(
  input: ValidateInput,
  deps: { artifacts: ArtifactStore; schemas: SchemaStore; onProgress?: Progress },
): Promise<ValidationResult> {
  const progress = deps.onProgress ?? (() => undefined);
  return withDatasetTable(
    deps.artifacts,
    input.dataset,
    async (conn, table, rowNumber) => {
      const stats = await computeStatistics(conn, table, input.dataset.columns, { rowNumber });
      progress(`statistics of ${stats.rows} rows × ${stats.columns.length} columns`);
      const domains: Record<string, string[] | undefined> = {};
      for (const c of stats.columns) {
        if ((c.kind === 'string' || c.kind === 'boolean') && c.distinct <= MAX_DOMAIN_SIZE * 1.1) {
          domains[c.name] = await domainOf(conn, table, c.name, MAX_DOMAIN_SIZE);
        }
      }
      const observed = inferSchema(stats, domains);
      return validationResult(input, deps, stats, observed, (baseline) => findAnomalies(conn, table, stats, baseline, input.rules));
    },
    { rowNumbers: true },
  );
}

/**
 * What every validate stage ends with, whatever computed the statistics: the statistics and the observed schema
 * stored, the anomalies against the model's accepted schema (`anomaliesFor` gets it parsed, with its record; or
 * undefined when the model has none), the first valid dataset's schema accepted as version 1, and the result.
 */
export async function validationResult(
  input: ValidateInput,
  deps: { artifacts: ArtifactStore; schemas: SchemaStore; onProgress?: Progress },
  stats: DatasetStatistics,
  observed: DatasetSchema,
  anomaliesFor: (baseline: DatasetSchema | undefined, accepted: AcceptedSchema | undefined) => Promise<Anomaly[]>,
): Promise<ValidationResult> {
  const [statistics, observedSchema] = await Promise.all([
    deps.artifacts.putContent('statistics', '.json', canonicalJson(stats), 'application/json'),
    deps.artifacts.putContent('schemas', '.json', canonicalJson(observed), 'application/json'),
  ]);
  let accepted = await deps.schemas.current(input.model);
  let createdNow = false;
  let anomalies: Anomaly[];
  if (accepted) {
    const baseline = JSON.parse((await deps.artifacts.getBuffer(deps.artifacts.keyOf(accepted.uri), accepted.sha256)).toString('utf8')) as DatasetSchema;
    anomalies = await anomaliesFor(baseline, accepted);
  } else {
    anomalies = await anomaliesFor(undefined, undefined);
    if (!anomalies.some((a) => a.severity === 'error')) {
      accepted = await deps.schemas.accept(input.model, { ...observedSchema, type: 'Schema' }, 'pipeline', 'first dataset of the model', { onlyIfNone: true });
      createdNow = accepted.sha256 === observedSchema.sha256;
    }
  }
  const passed = !anomalies.some((a) => a.severity === 'error');
  deps.onProgress?.(`${anomalies.length} anomalies (${anomalies.filter((a) => a.severity === 'error').length} errors)`);
  return {
    passed,
    anomalies,
    statistics,
    observedSchema,
    schema: accepted
      ? { version: accepted.version, uri: accepted.uri, sha256: accepted.sha256, createdNow }
      : { version: 0, uri: '', sha256: '', createdNow: false },
  };
}

export type { AcceptedSchema, DatasetStatistics };
