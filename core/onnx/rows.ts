// Raw rows → the graph's feeds → predictions. Pure and dependency-light on purpose: the model server
// (serving/predict.ts) and the exported edge and browser bundles (core/export/runtime/, bundled by esbuild)
// run this same code, so the three targets cannot disagree on how a row becomes a prediction.
import { coerce, deriveRow, type Scalar } from '../features/derive';
import type { Derivation } from '../features/spec';

export type FieldKind = 'numeric' | 'categorical';
export type Task = 'binary' | 'multiclass' | 'regression';
export type Feeds = Record<string, Float32Array | string[]>;

export interface ClassPrediction {
  label: string;
  probabilities: Record<string, number>;
}
export interface ValuePrediction {
  value: number;
}
export type Prediction = ClassPrediction | ValuePrediction;

/** What a model needs to turn rows into predictions (stored with every registered version). */
export interface RowModel {
  /** Raw request fields in order: [name, kind]. */
  fields: readonly (readonly [string, FieldKind])[];
  derive: Derivation[];
  inputs: readonly { name: string; type: 'float32' | 'string' }[];
  task: Task;
  classes: readonly string[];
  threshold: number;
}

/** Each row's feature values: raw fields coerced as the batch path reads them, then the derivations. */
export function rowFeatures(model: RowModel, kinds: Record<string, FieldKind>, rows: Record<string, unknown>[]): Record<string, Scalar>[] {
  return rows.map((row) => {
    const values: Record<string, Scalar> = {};
    for (const [field, kind] of model.fields) values[field] = coerce(Object.hasOwn(row, field) ? row[field] : undefined, kind);
    return Object.assign(values, deriveRow(model.derive, row, kinds));
  });
}

/** The graph's feeds: float32 for numeric inputs (NaN = missing), strings for categorical ones ("" = missing). */
export function featureFeeds(model: RowModel, features: Record<string, Scalar>[]): Feeds {
  const feeds: Feeds = {};
  for (const input of model.inputs) {
    if (input.type === 'float32')
      feeds[input.name] = Float32Array.from(features, (f) => {
        const v = f[input.name];
        return typeof v === 'number' ? v : NaN;
      });
    else
      feeds[input.name] = features.map((f) => {
        const v = f[input.name];
        return v === null || v === undefined ? '' : String(v);
      });
  }
  return feeds;
}

/** Predictions from the graph's outputs for `n` rows: label + probabilities, or value. */
export function decodePredictions(model: RowModel, out: Record<string, unknown>, n: number): Prediction[] {
  if (model.task === 'regression') {
    const values = out.value as ArrayLike<number>;
    return Array.from({ length: n }, (_, i) => ({ value: values[i]! }));
  }
  const proba = out.probabilities as ArrayLike<number>;
  const k = model.classes.length;
  return Array.from({ length: n }, (_, i) => {
    const probabilities: Record<string, number> = {};
    let best = 0;
    for (let c = 0; c < k; c++) {
      probabilities[model.classes[c]!] = proba[i * k + c]!;
      if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    }
    // Binary decisions use the threshold chosen at training (from the spec's costs).
    const label = k === 2 ? model.classes[proba[i * 2 + 1]! >= model.threshold ? 1 : 0]! : model.classes[best]!;
    return { label, probabilities };
  });
}
