// The contract between the pipeline and a trainer written in any language (docs/trainers.md): what the `train`
// activity is given and returns, and the checks an ONNX model from outside must pass before anything is
// measured with it. Nothing a trainer reports is taken on trust: the pipeline scores its model itself.
// Pure (no I/O, no native modules): the workflow imports the activity name and types from here.
import type { Task } from '../spec';
import type { SearchMetric } from './search-metric';

/** The activity type every external trainer registers on its task queue. */
export const EXTERNAL_TRAIN_ACTIVITY = 'train';

export interface ExternalTrainInput {
  model: string;
  task: Task;
  target: string;
  features: { name: string; type: 'numeric' | 'categorical' }[];
  train: { uri: string };
  validation: { uri: string };
  /** Classification: the class labels, in the column order `probabilities` must follow. */
  classes?: string[];
  params: Record<string, unknown>;
  /** training.metric (or the task's default): what the pipeline scores the model by on the test split. */
  metric: SearchMetric;
  seed: number;
  output: { uri: string };
  /** Where the splits are and the model goes; credentials come from the trainer's own environment. */
  s3: { endpoint: string; bucket: string };
}

export interface ExternalTrainResult {
  uri: string;
  /** "<name> <version>", e.g. "scikit-learn 1.9.1". */
  framework: string;
  params: Record<string, unknown>;
  codeVersion?: string;
  /** Who trained it (the trainer's worker identity), recorded in lineage when given. */
  identity?: string;
}

/** The ONNX breaks the contract: the message names the input or output that is wrong. */
export class ExternalModelError extends Error {
  override name = 'ExternalModelError';
}

/** Checks a trainer's result object (it crossed a process boundary from code we do not control). */
export function parseTrainResult(raw: unknown, expectedUri: string): ExternalTrainResult {
  const r = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  if (r.uri !== expectedUri)
    throw new ExternalModelError(`the trainer's result.uri must be the output uri it was given (${expectedUri}), got ${JSON.stringify(r.uri)}`);
  if (typeof r.framework !== 'string' || r.framework.trim() === '')
    throw new ExternalModelError(`the trainer's result.framework must be a string like "scikit-learn 1.9.1", got ${JSON.stringify(r.framework)}`);
  if (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params))
    throw new ExternalModelError(`the trainer's result.params must be an object, got ${JSON.stringify(r.params)}`);
  for (const k of ['codeVersion', 'identity'] as const) {
    if (r[k] !== undefined && typeof r[k] !== 'string') throw new ExternalModelError(`the trainer's result.${k} must be a string, got ${JSON.stringify(r[k])}`);
  }
  return {
    uri: r.uri,
    framework: r.framework.trim(),
    params: r.params as Record<string, unknown>,
    ...(typeof r.codeVersion === 'string' ? { codeVersion: r.codeVersion } : {}),
    ...(typeof r.identity === 'string' ? { identity: r.identity } : {}),
  };
}

/** The model's `algorithm` in the registry: `external:<framework name>` ("external:scikit-learn"). */
export function externalAlgorithm(framework: string): `external:${string}` {
  return `external:${framework.split(/\s+/)[0]!.toLowerCase()}`;
}
