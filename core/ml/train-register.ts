// Registering a trained model as the model's next version, the same way for the built-in trainers and an
// external one: the training reference the drift monitor compares traffic with, the evaluation report, the
// registry entry (signature, metrics, lineage properties), then the ONNX bytes at the version's URI.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import { referenceSample, storeReference } from '../monitor/reference';
import type { OnnxSignature } from '../onnx/signature';
import type { ArtifactStore } from '../store/artifacts';
import type { ModelRegistry } from '../store/registry';
import { codeVersion } from '../version';
import { evaluationReport, storeEvaluationReport } from './evaluation-report';
import type { Predictions, Scorecard } from './scorecard';
import type { TrainedModel, TrainInput } from './train-types';
import type { TrainingData } from './training-data';

export interface Registration {
  input: Pick<TrainInput, 'model' | 'runKey' | 'dataset' | 'plan' | 'planRef' | 'selected' | 'spec'>;
  data: TrainingData;
  bytes: Uint8Array;
  signature: OnnxSignature;
  /** The model on the test split: predictions by row index, the decision threshold, the scorecard. */
  test: { predictions: Predictions; threshold: number; card: Scorecard };
  /** What only this kind of model records (algorithm, params, importance, its trainer, …). */
  properties: Record<string, unknown> & { algorithm: string };
  /** The rows the search fitted on. */
  searchRows: number;
  /** Ends the error when a retried attempt's bytes differ from those this run registered first. */
  mismatch: (sha256: string) => string;
}

/** The parts of the trained model every trainer reports alike. */
export type RegisteredModel = Pick<
  TrainedModel,
  | 'name'
  | 'version'
  | 'uri'
  | 'sha256'
  | 'task'
  | 'classes'
  | 'metrics'
  | 'slices'
  | 'fairness'
  | 'confusion'
  | 'threshold'
  | 'sizeBytes'
  | 'rows'
  | 'signature'
  | 'codeVersion'
>;

export const sha256Of = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export async function registerModel(r: Registration, deps: { artifacts: ArtifactStore; registry: ModelRegistry }): Promise<RegisteredModel> {
  const { input, data, bytes, test } = r;
  const { task, split } = data;
  const sha256 = sha256Of(bytes);
  const reference = await storeReference(deps.artifacts, referenceSample(data.features, split.train));
  const evaluation = await storeEvaluationReport(
    deps.artifacts,
    evaluationReport({
      task,
      classes: data.classes,
      threshold: test.threshold,
      labels: data.labels,
      targets: data.targets,
      predictions: test.predictions,
      idx: split.test,
      card: test.card,
    }),
  );
  const registered = await deps.registry.registerVersion({
    model: input.model,
    runKey: input.runKey,
    artifact: (version) => ({ uri: deps.artifacts.uri(`models/${input.model}/${version}/model.onnx`), sha256, type: 'Model', properties: { format: 'onnx' } }),
    signature: {
      ...r.signature,
      task,
      classes: data.classes,
      threshold: test.threshold,
      derive: input.plan.derive,
      raw: input.plan.raw.filter((c) => c.name !== input.plan.target),
    } as unknown as Record<string, unknown>,
    metrics: test.card.metrics,
    properties: {
      task,
      classes: data.classes,
      threshold: test.threshold,
      planUri: input.planRef.uri,
      planSha256: input.planRef.sha256,
      referenceUri: reference.uri,
      referenceSha256: reference.sha256,
      evaluationUri: evaluation.uri,
      evaluationSha256: evaluation.sha256,
      spec: input.spec,
      protected: input.spec.governance.protected ?? [],
      logProtected: input.spec.governance.logProtected ?? 'hash',
      selected: input.selected,
      datasetUri: input.dataset.uri,
      datasetSha256: input.dataset.sha256,
      specSha256: sha256Of(canonicalJson(input.spec)),
      seed: input.spec.training.seed,
      codeVersion: codeVersion(),
      ...r.properties,
    },
  });
  if (registered.sha256 !== sha256)
    throw new Error(`model ${input.model} v${registered.version} was registered by this run with sha256 ${registered.sha256}, but ${r.mismatch(sha256)}`);
  await deps.artifacts.putBuffer(deps.artifacts.keyOf(registered.uri), Buffer.from(bytes), 'application/octet-stream');
  const { card } = test;
  return {
    name: input.model,
    version: registered.version,
    uri: registered.uri,
    sha256,
    task,
    classes: data.classes,
    metrics: card.metrics,
    slices: card.slices,
    fairness: card.fairness,
    ...(card.confusion ? { confusion: card.confusion } : {}),
    threshold: test.threshold,
    sizeBytes: bytes.length,
    rows: {
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
      droppedMissingTarget: data.droppedRows,
      search: r.searchRows,
    },
    signature: r.signature,
    codeVersion: codeVersion(),
  };
}
