// The govern, features and select stages: each reads the canonical dataset, works on the feature graph and
// stores its result as a content-addressed JSON artifact. The feature plan (the transform graph) is the
// features stage's artifact; train and serve recompute derivations from it with the same code.
import type { DuckDBConnection } from '@duckdb/node-api';
import { readColumns, type DataColumn } from '../data/columns';
import { withDatasetTable } from '../data/dataset-table';
import type { DatasetRef, Progress } from '../data/ingest';
import { canonicalJson } from '../canonical-json';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import { deriveColumns } from './derive';
import { governanceReport, type GovernanceReport, type GovernanceSpec } from './govern';
import { planFeatures, type FeaturePlan } from './plan';
import type { SelectionResult, SelectionSpec } from './select';
import { derivationInputs, selectFromTable } from './select-table';
import type { FeatureSpec } from './spec';

export interface FeatureStageInput {
  dataset: DatasetRef;
  target: string;
  keys?: string[];
  time?: string;
  features?: FeatureSpec;
  governance?: GovernanceSpec;
}

export function planFor(input: FeatureStageInput): FeaturePlan {
  return planFeatures({
    columns: input.dataset.columns,
    target: input.target,
    keys: input.keys,
    time: input.time,
    features: input.features,
    prohibited: input.governance?.prohibited,
    protected: input.governance?.protected,
  });
}

export async function governStage(
  input: FeatureStageInput,
  deps: { artifacts: ArtifactStore; onProgress?: Progress },
): Promise<{ report: GovernanceReport; reportRef: ArtifactRef }> {
  planFor(input); // refuses a graph in which a prohibited or protected column reaches the model
  const report = await withDatasetTable(deps.artifacts, input.dataset, (conn, table) => governanceReport(conn, table, input.governance ?? {}));
  deps.onProgress?.(`governance: ${report.representation.length} protected attribute(s), ${report.warnings.length} warning(s)`);
  const reportRef = await deps.artifacts.putContent('reports/governance', '.json', canonicalJson(report), 'application/json');
  return { report, reportRef };
}

/** The raw columns of a plan and its derived features, read/computed for every row. */
export async function computeFeatures(
  conn: DuckDBConnection,
  table: string,
  plan: FeaturePlan,
  opts: { limit?: number } = {},
): Promise<{ rows: number; byName: Map<string, DataColumn> }> {
  const batch = await readColumns(conn, table, plan.raw, opts);
  const derived = deriveColumns(plan.derive, batch.columns, batch.rows);
  const byName = new Map<string, DataColumn>();
  for (const c of [...batch.columns, ...derived]) byName.set(c.name, c);
  return { rows: batch.rows, byName };
}

export interface FeaturesStageResult {
  plan: FeaturePlan;
  planRef: ArtifactRef;
  /** Per derived feature: share of rows where it is missing (a derivation that yields nothing is a spec bug). */
  derivedMissing: Record<string, number>;
}

export async function featuresStage(input: FeatureStageInput, deps: { artifacts: ArtifactStore; onProgress?: Progress }): Promise<FeaturesStageResult> {
  const plan = planFor(input);
  const derivedMissing: Record<string, number> = {};
  if (plan.derive.length > 0) {
    await withDatasetTable(deps.artifacts, input.dataset, async (conn, table) => {
      // Only the derivations' inputs are read.
      const { rows, byName } = await computeFeatures(conn, table, { ...plan, raw: derivationInputs(plan) });
      for (const d of plan.derive) {
        const c = byName.get(d.name)!;
        let missing = 0;
        for (let i = 0; i < rows; i++) {
          const v = c.values[i];
          if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) missing++;
        }
        derivedMissing[d.name] = rows === 0 ? 0 : missing / rows;
      }
    });
  }
  deps.onProgress?.(`feature plan: ${plan.features.length} candidate features (${plan.derive.length} derived)`);
  const planRef = await deps.artifacts.putContent('features/plans', '.json', canonicalJson(plan), 'application/json');
  return { plan, planRef, derivedMissing };
}

export async function selectStage(
  input: { dataset: DatasetRef; plan: FeaturePlan; selection?: SelectionSpec },
  deps: { artifacts: ArtifactStore; onProgress?: Progress },
): Promise<{ selection: SelectionResult; selectionRef: ArtifactRef }> {
  // Set work in DuckDB plus a stride sample in JS: the table is never read whole into memory.
  const selection = await withDatasetTable(
    deps.artifacts,
    input.dataset,
    (conn, table, rowNumber) => selectFromTable(conn, table, input.plan, input.selection, { rowNumber, onProgress: deps.onProgress }),
    { rowNumbers: true },
  );
  deps.onProgress?.(`selected ${selection.selected.length} features, dropped ${selection.dropped.length}`);
  const selectionRef = await deps.artifacts.putContent('features/selections', '.json', canonicalJson(selection), 'application/json');
  return { selection, selectionRef };
}
