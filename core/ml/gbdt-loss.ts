// The three GBDT losses on raw scores (score column k of row r at raw[k · rows + r]):
//   binary      logistic loss on the score of classes[1]: p = σ(s), g = p − y, h = p(1 − p); base = prior log-odds
//   multiclass  softmax cross-entropy, one score per class: g_k = p_k − [y = k], h_k = p_k(1 − p_k); base = log prior
//   regression  squared error ½(s − y)²: g = s − y, h = 1; base = mean target
// Validation loss (early stopping): mean log loss, mean multiclass log loss, mean squared error. Gradients and
// validation losses are computed by gbdt-rows.ts, over ranges of rows shared out to threads.
import type { GbdtModel } from './model';

export type GbdtTask = GbdtModel['task'];

/** What the loss is fitted against: class indices for classifiers, values for regression. */
export type LossTargets = { task: 'binary' | 'multiclass'; labels: Int32Array; classes: number } | { task: 'regression'; targets: Float64Array };

/** Score columns: one per class for multiclass, otherwise one. */
export function scoreColumns(t: LossTargets): number {
  return t.task === 'multiclass' ? t.classes : 1;
}

/** Float32 base scores (the exported graph holds them as float32); every class must have rows. */
export function baseScores(t: LossTargets): Float64Array {
  if (t.task === 'regression') {
    let sum = 0;
    for (let r = 0; r < t.targets.length; r++) sum += t.targets[r]!;
    return Float64Array.of(clean32(sum / t.targets.length));
  }
  const counts = new Float64Array(t.classes);
  for (let r = 0; r < t.labels.length; r++) {
    const y = t.labels[r]!;
    counts[y] = counts[y]! + 1;
  }
  const n = t.labels.length;
  if (t.task === 'binary') return Float64Array.of(clean32(Math.log(counts[1]! / counts[0]!)));
  return Float64Array.from(counts, (c) => clean32(Math.log(c / n)));
}

/**
 * Raw scores (row-major, `columns` per row) → what predict returns, in `out`: binary [1 − p, p] per row,
 * multiclass softmax per row, regression the scores themselves.
 */
export function transformScores(task: GbdtTask, raw: Float64Array, columns: number, out: Float64Array): void {
  const rows = raw.length / columns;
  if (task === 'regression') {
    out.set(raw);
    return;
  }
  if (task === 'binary') {
    for (let r = 0; r < rows; r++) {
      const p = 1 / (1 + Math.exp(-raw[r]!));
      out[2 * r] = 1 - p;
      out[2 * r + 1] = p;
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const at = r * columns;
    let max = -Infinity;
    for (let c = 0; c < columns; c++) max = Math.max(max, raw[at + c]!);
    let sum = 0;
    for (let c = 0; c < columns; c++) {
      const e = Math.exp(raw[at + c]! - max);
      out[at + c] = e;
      sum += e;
    }
    for (let c = 0; c < columns; c++) out[at + c] = out[at + c]! / sum;
  }
}

/** f32(x), with −0 as 0. */
function clean32(x: number): number {
  const v = Math.fround(x);
  return v === 0 ? 0 : v;
}
