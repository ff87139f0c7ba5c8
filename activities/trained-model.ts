// What the train activities record for a trained model alike, whoever fitted it: the experiment's parameters
// (what `mlops runs list|compare` shows), the dataset and feature plan it was trained on, and the model.
import type { TrainedModel, TrainInput } from '../core/ml/train';
import type { ArtifactInput } from '../core/store/lineage';
import type { StageOutcome } from './stage';

/** The dataset and the feature plan a model is trained on. */
export function trainingInputs(input: Pick<TrainInput, 'dataset' | 'planRef'>): ArtifactInput[] {
  return [
    { uri: input.dataset.uri, sha256: input.dataset.sha256, type: 'Dataset' },
    { uri: input.planRef.uri, sha256: input.planRef.sha256, type: 'FeaturePlan' },
  ];
}

export function trainedModelOutcome(
  input: Pick<TrainInput, 'dataset' | 'planRef' | 'spec' | 'selected'>,
  model: TrainedModel,
  own: { params: Record<string, unknown>; inputs?: ArtifactInput[]; modelProperties?: Record<string, unknown> },
): StageOutcome<TrainedModel> {
  return {
    result: model,
    params: {
      version: model.version,
      algorithm: model.algorithm,
      params: model.params,
      metrics: model.metrics,
      primaryMetric: model.primaryMetric,
      threshold: model.threshold,
      datasetSha256: input.dataset.sha256,
      seed: input.spec.training.seed,
      selected: input.selected,
      sizeBytes: model.sizeBytes,
      latency: model.latency,
      ...(model.sample ? { sample: model.sample } : {}),
      ...own.params,
    },
    inputs: [...trainingInputs(input), ...(own.inputs ?? [])],
    outputs: [{ uri: model.uri, sha256: model.sha256, type: 'Model', properties: { name: model.name, version: model.version, ...own.modelProperties } }],
  };
}
