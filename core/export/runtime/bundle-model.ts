// The scoring kernel every exported bundle carries (bundled by esbuild into its score.mjs): model.json's
// shape, the row checks, and rows → feeds → predictions through core/onnx/rows, the code the model
// server runs. No I/O and no runtime dependency: each target brings its own onnxruntime.
import { coerce } from '../../features/derive';
import type { Derivation } from '../../features/spec';
import { decodePredictions, featureFeeds, rowFeatures, type Feeds, type FieldKind, type Prediction, type RowModel, type Task } from '../../onnx/rows';

export const BUNDLE_FORMAT = 'mlops-bundle/1';

/** model.json: the version's signature and the spec excerpt a bundle needs to score raw rows. */
export interface BundleModel {
  format: typeof BUNDLE_FORMAT;
  name: string;
  version: number;
  target: 'browser' | 'edge';
  /** SHA-256 of model.onnx: the bundle refuses a model file that is not the one exported. */
  sha256: string;
  task: Task;
  /** The spec's target column (what the model predicts). */
  label: string;
  classes: string[];
  threshold: number;
  fields: [string, FieldKind][];
  derive: Derivation[];
  inputs: { name: string; type: 'float32' | 'string' }[];
}

export type { Feeds, Prediction };

export interface ScoringKernel {
  model: BundleModel;
  /** A message naming what is wrong with `row`, or null when it can be scored. */
  check(row: unknown): string | null;
  /** Feature values (what the server logs) and the graph's feeds for checked rows. */
  prepare(rows: Record<string, unknown>[]): { features: Record<string, unknown>[]; feeds: Feeds };
  decode(outputs: Record<string, unknown>, n: number): Prediction[];
}

export function scoringKernel(meta: unknown): ScoringKernel {
  const model = meta as BundleModel;
  if (model?.format !== BUNDLE_FORMAT) throw new Error(`model.json is not a ${BUNDLE_FORMAT} file`);
  const rowModel: RowModel = {
    fields: model.fields,
    derive: model.derive,
    inputs: model.inputs,
    task: model.task,
    classes: model.classes,
    threshold: model.threshold,
  };
  const kinds: Record<string, FieldKind> = Object.create(null) as Record<string, FieldKind>;
  for (const [name, kind] of model.fields) kinds[name] = kind;
  return {
    model,
    check(row) {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'a row must be a JSON object of raw column values';
      const r = row as Record<string, unknown>;
      const problems: string[] = [];
      for (const [field, kind] of model.fields) {
        if (!Object.hasOwn(r, field)) problems.push(`${JSON.stringify(field)} is missing (send null for a missing value)`);
        else if (r[field] === null) continue;
        else if (
          kind === 'numeric' &&
          typeof r[field] !== 'number' &&
          typeof r[field] !== 'boolean' &&
          (typeof r[field] !== 'string' || Number.isNaN(coerce(r[field], 'numeric') as number))
        )
          problems.push(`${JSON.stringify(field)} must be a number, got ${JSON.stringify(r[field]).slice(0, 40)}`);
        else if (kind === 'categorical' && typeof r[field] === 'object')
          problems.push(`${JSON.stringify(field)} must be a string, got ${JSON.stringify(r[field]).slice(0, 40)}`);
      }
      return problems.length === 0 ? null : problems.join('; ');
    },
    prepare(rows) {
      const features = rowFeatures(rowModel, kinds, rows);
      return { features, feeds: featureFeeds(rowModel, features) };
    },
    decode: (outputs, n) => decodePredictions(rowModel, outputs, n),
  };
}

/** SHA-256 hex of bytes with WebCrypto (Node ≥ 20 and every browser have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
