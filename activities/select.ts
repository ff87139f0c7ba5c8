// The select stage as an activity: drops features by statistics; every dropped feature keeps its reason.
import type { DatasetRef } from '../core/data/ingest';
import type { FeaturePlan } from '../core/features/plan';
import type { SelectionResult, SelectionSpec } from '../core/features/select';
import { selectStage } from '../core/features/stages';
import type { ArtifactRef, ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export interface SelectInput {
  model: string;
  dataset: DatasetRef;
  plan: FeaturePlan;
  planRef: ArtifactRef;
  selection?: SelectionSpec;
}

export function makeSelect(deps: { artifacts: ArtifactStore; lineage: LineageStore }) {
  return async function selectFeatures(input: SelectInput): Promise<SelectionResult & { selectionUri: string }> {
    return runStage(deps.lineage, 'select', input.model, async (progress) => {
      const { selection, selectionRef } = await selectStage(input, { artifacts: deps.artifacts, onProgress: progress });
      return {
        result: { ...selection, selectionUri: selectionRef.uri },
        params: { spec: input.selection ?? {}, selected: selection.selected, dropped: selection.dropped },
        inputs: [
          { uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' },
          { uri: input.planRef.uri, sha256: input.planRef.sha256, type: 'FeaturePlan' },
        ],
        outputs: [{ uri: selectionRef.uri, sha256: selectionRef.sha256, type: 'FeatureSelection' }],
      };
    });
  };
}
