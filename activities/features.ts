// The features stage as an activity: resolves the feature graph (the transform) and stores it.
import { featuresStage, type FeatureStageInput, type FeaturesStageResult } from '../core/features/stages';
import type { ArtifactStore } from '../core/store/artifacts';
import type { LineageStore } from '../core/store/lineage';
import { runStage } from './stage';

export function makeFeatures(deps: { artifacts: ArtifactStore; lineage: LineageStore }) {
  return async function buildFeatures(input: FeatureStageInput & { model: string }): Promise<FeaturesStageResult> {
    return runStage(deps.lineage, 'features', input.model, async (progress) => {
      const result = await featuresStage(input, { artifacts: deps.artifacts, onProgress: progress });
      return {
        result,
        params: { features: result.plan.features.map((f) => f.name), derivedMissing: result.derivedMissing },
        inputs: [{ uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' }],
        outputs: [{ uri: result.planRef.uri, sha256: result.planRef.sha256, type: 'FeaturePlan' }],
      };
    });
  };
}
