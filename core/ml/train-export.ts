// The final model as one ONNX graph (encoders + model), checked in onnxruntime against the TypeScript model on
// (a seeded sample of) the test rows. The version is left out of the graph (0), so the same data + spec + seed
// give the same bytes whatever version number the registry then gives them.
import type { Progress } from '../data/ingest';
import type { OnnxExport } from '../onnx/encoder-graph';
import { exportLinearOnnx } from '../onnx/linear';
import { exportGbdtOnnx } from '../onnx/trees';
import { verifyOnnx } from '../onnx/verify';
import { sampleRows } from './permutation';
import type { Predictions } from './scorecard';
import type { FinalFit } from './train-fit';
import { VERIFY_MAX_ROWS } from './train-types';
import type { TrainingData } from './training-data';

export function exportOnnx(final: Pick<FinalFit, 'fitted' | 'enc'>, model: string): OnnxExport {
  const m = final.fitted.model;
  return m.kind === 'gbdt' ? exportGbdtOnnx(final.enc, m, { name: model, version: 0 }) : exportLinearOnnx(final.enc, m, { name: model, version: 0 });
}

/** Fails unless the graph reproduces `predictions` (by row index) on sampled test rows within 1e-5. */
export async function verifyExport(bytes: Uint8Array, data: TrainingData, predictions: Predictions, seed: number, progress: Progress): Promise<void> {
  const rows = sampleRows(data.split.test, VERIFY_MAX_ROWS, seed);
  const expected = data.task === 'regression' ? Float64Array.from(rows, (i) => predictions.values![i]!) : rowsOf(predictions.proba!, rows, data.classes.length);
  const check = await verifyOnnx(bytes, data.features, rows, expected, 1e-5);
  progress(`ONNX verified on ${check.rows} test rows (max abs diff ${check.maxAbsDiff.toExponential(2)})`);
}

function rowsOf(proba: Float64Array, rows: Int32Array, classes: number): Float64Array {
  const out = new Float64Array(rows.length * classes);
  for (let k = 0; k < rows.length; k++) for (let c = 0; c < classes; c++) out[k * classes + c] = proba[rows[k]! * classes + c]!;
  return out;
}
