// Evaluation metrics on typed arrays, defined as scikit-learn defines them (checked against it in the tests).
// Binary inputs: labels 0/1 and the predicted probability of class 1; a row is predicted positive when its
// probability is ≥ the threshold (0.5 by default).
import { sweepScores } from './score-sweep';

export interface BinaryMetrics {
  accuracy: number;
  /** TP / (TP + FP); 0 when nothing is predicted positive (sklearn's zero_division default). */
  precision: number;
  /** TP / (TP + FN). */
  recall: number;
  /** 2TP / (2TP + FP + FN); 0 when that is 0 / 0. */
  f1: number;
  /** Area under the ROC curve; tied scores form one point (sklearn roc_auc_score). */
  rocAuc: number;
  /** PR-AUC as average precision: Σ (Rₖ − Rₖ₋₁) · Pₖ over distinct thresholds (sklearn average_precision_score). */
  averagePrecision: number;
  /** Mean log loss with probabilities clipped to [ε, 1 − ε], ε = 2⁻⁵² (sklearn log_loss). */
  logLoss: number;
  /** Mean (p − y)² (sklearn brier_score_loss). */
  brier: number;
  /** Expected calibration error over 10 equal-width bins (see expectedCalibrationError). */
  ece: number;
}

export function binaryMetrics(labels: Int32Array, proba: Float64Array, threshold = 0.5): BinaryMetrics {
  checkBinary(labels, proba, 'binary metrics', true);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = proba[i]! >= threshold;
    if (labels[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
  }
  const n = labels.length;
  return {
    accuracy: (n - fp - fn) / n,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: tp + fn > 0 ? tp / (tp + fn) : 0,
    f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
    rocAuc: rocAuc(labels, proba),
    averagePrecision: averagePrecision(labels, proba),
    logLoss: binaryLogLoss(labels, proba),
    brier: brierScore(labels, proba),
    ece: expectedCalibrationError(labels, proba),
  };
}

/** ROC-AUC of `scores` (any finite values, higher = more positive). Needs both classes present. */
export function rocAuc(labels: Int32Array, scores: Float64Array): number {
  return rankCurves(labels, scores, 'ROC-AUC').rocAuc;
}

/** Average precision of `scores`. Needs at least one positive (and, here, one negative) row. */
export function averagePrecision(labels: Int32Array, scores: Float64Array): number {
  return rankCurves(labels, scores, 'average precision').averagePrecision;
}

/** Both curves from one sweep down the distinct scores (see score-sweep.ts). */
function rankCurves(labels: Int32Array, scores: Float64Array, what: string): { rocAuc: number; averagePrecision: number } {
  checkBinary(labels, scores, what, false);
  let tpBefore = 0;
  let fpBefore = 0;
  let area = 0;
  let ap = 0;
  const { positives, negatives } = sweepScores(labels, scores, (_, tp, fp) => {
    // Trapezoid in counts (exact integers), scaled by 2·P·N at the end.
    area += (fp - fpBefore) * (tp + tpBefore);
    ap += ((tp - tpBefore) * tp) / (tp + fp);
    tpBefore = tp;
    fpBefore = fp;
  });
  if (positives === 0 || negatives === 0) {
    throw new Error(`${what}: needs both classes in the labels, but all ${labels.length} rows are ${positives === 0 ? 'negative' : 'positive'}`);
  }
  return { rocAuc: area / (2 * positives * negatives), averagePrecision: ap / positives };
}

const EPS = Number.EPSILON;

/** Mean −log p(true class), p clipped to [ε, 1 − ε] with ε = 2⁻⁵² as sklearn's log_loss does for float64. */
export function binaryLogLoss(labels: Int32Array, proba: Float64Array): number {
  checkBinary(labels, proba, 'log loss', true);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = labels[i] === 1 ? proba[i]! : 1 - proba[i]!;
    sum -= Math.log(Math.min(Math.max(p, EPS), 1 - EPS));
  }
  return sum / labels.length;
}

export function brierScore(labels: Int32Array, proba: Float64Array): number {
  checkBinary(labels, proba, 'Brier score', true);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const e = proba[i]! - labels[i]!;
    sum += e * e;
  }
  return sum / labels.length;
}

/**
 * Expected calibration error: Σ_b (n_b / N) · |mean(y in b) − mean(p in b)| over `bins` equal-width bins of
 * [0, 1]. Bins are closed on the right (0.1 falls in the first of ten; 0 in the first, 1 in the last), the
 * binning of sklearn.calibration.calibration_curve(strategy='uniform'); empty bins contribute nothing.
 */
export function expectedCalibrationError(labels: Int32Array, proba: Float64Array, bins = 10): number {
  checkBinary(labels, proba, 'calibration error', true);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`calibration error: bins is ${bins}; it must be an integer ≥ 1`);
  // Interior edges as numpy.linspace(0, 1, bins + 1) computes them: i · (1 / bins).
  const step = 1 / bins;
  const count = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = proba[i]!;
    let b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    // Correct the float estimate against the exact edges: bin b holds (b·step, (b+1)·step].
    while (b > 0 && p <= b * step) b--;
    while (b < bins - 1 && p > (b + 1) * step) b++;
    count[b] = count[b]! + 1;
    sumY[b] = sumY[b]! + labels[i]!;
    sumP[b] = sumP[b]! + p;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    if (c > 0) ece += (c / labels.length) * Math.abs(sumY[b]! / c - sumP[b]! / c);
  }
  return ece;
}

/** Confusion counts, row = true class, column = predicted class (sklearn's layout), classes × classes row-major. */
export interface ConfusionMatrix {
  classes: number;
  counts: Int32Array;
}

export function confusionMatrix(labels: Int32Array, predicted: Int32Array, classes: number): ConfusionMatrix {
  checkLengths(labels.length, predicted.length, 'confusion matrix', 'predictions');
  const counts = new Int32Array(classes * classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const p = predicted[i]!;
    if (y < 0 || y >= classes || p < 0 || p >= classes) {
      throw new Error(`confusion matrix: row ${i} has label ${y} and prediction ${p}; both must be class indices in [0, ${classes - 1}]`);
    }
    counts[y * classes + p] = counts[y * classes + p]! + 1;
  }
  return { classes, counts };
}

export interface MulticlassMetrics {
  /** Share of rows whose most probable class (first on ties) is the true one. */
  accuracy: number;
  /** Unweighted mean of per-class F1 over the classes that occur in the labels or the predictions (sklearn's default). */
  macroF1: number;
  /** Mean −log p(true class), clipped like binaryLogLoss. */
  logLoss: number;
}

/** `proba` is rows × classes row-major (what predictProba returns). */
export function multiclassMetrics(labels: Int32Array, proba: Float64Array, classes: number): MulticlassMetrics {
  const what = 'multiclass metrics';
  const n = labels.length;
  if (n === 0) throw new Error(`${what}: there are no rows to evaluate`);
  if (proba.length !== n * classes) throw new Error(`${what}: ${proba.length} probabilities for ${n} rows × ${classes} classes`);
  const predicted = new Int32Array(n);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const y = labels[r]!;
    if (y < 0 || y >= classes) throw new Error(`${what}: label of row ${r} is ${y}; labels must be class indices in [0, ${classes - 1}]`);
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const p = proba[r * classes + c]!;
      if (!(p >= 0 && p <= 1)) throw new Error(`${what}: probability of row ${r}, class ${c} is ${p}; probabilities must be in [0, 1]`);
      if (p > proba[r * classes + best]!) best = c;
    }
    predicted[r] = best;
    loss -= Math.log(Math.min(Math.max(proba[r * classes + y]!, EPS), 1 - EPS));
  }
  const { counts } = confusionMatrix(labels, predicted, classes);
  let correct = 0;
  let f1Sum = 0;
  let used = 0;
  for (let c = 0; c < classes; c++) {
    const tp = counts[c * classes + c]!;
    let rowSum = 0;
    let colSum = 0;
    for (let o = 0; o < classes; o++) {
      rowSum += counts[c * classes + o]!;
      colSum += counts[o * classes + c]!;
    }
    correct += tp;
    if (rowSum + colSum === 0) continue;
    used++;
    f1Sum += (2 * tp) / (rowSum + colSum);
  }
  return { accuracy: correct / n, macroF1: f1Sum / used, logLoss: loss / n };
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  /** 1 − SS_res / SS_tot; for constant targets 1 when the fit is perfect, else 0 (sklearn's force_finite). */
  r2: number;
  /**
   * Mean |y − ŷ| / |y| over the rows whose target is not 0 (a fraction, not a percentage), null when every
   * target is 0. sklearn divides by max(|y|, ε) instead, which turns a zero target into an astronomic error.
   */
  mape: number | null;
  /** Rows that entered MAPE. */
  mapeRows: number;
}

export function regressionMetrics(targets: Float64Array, predictions: Float64Array): RegressionMetrics {
  const what = 'regression metrics';
  const n = targets.length;
  checkLengths(n, predictions.length, what, 'predictions');
  if (n === 0) throw new Error(`${what}: there are no rows to evaluate`);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(targets[i]!) || !Number.isFinite(predictions[i]!)) {
      throw new Error(`${what}: row ${i} has target ${targets[i]} and prediction ${predictions[i]}; both must be finite`);
    }
    mean += targets[i]!;
  }
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  let abs = 0;
  let ape = 0;
  let mapeRows = 0;
  for (let i = 0; i < n; i++) {
    const y = targets[i]!;
    const e = y - predictions[i]!;
    ssRes += e * e;
    ssTot += (y - mean) * (y - mean);
    abs += Math.abs(e);
    if (y !== 0) {
      ape += Math.abs(e) / Math.abs(y);
      mapeRows++;
    }
  }
  const r2 = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return { rmse: Math.sqrt(ssRes / n), mae: abs / n, r2, mape: mapeRows > 0 ? ape / mapeRows : null, mapeRows };
}

/** Labels 0/1, one finite score per label, at least one row; probabilities in [0, 1] when `probabilities`. */
function checkBinary(labels: Int32Array, scores: Float64Array, what: string, probabilities: boolean): void {
  checkLengths(labels.length, scores.length, what, probabilities ? 'probabilities' : 'scores');
  if (labels.length === 0) throw new Error(`${what}: there are no rows to evaluate`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new Error(`${what}: label of row ${i} is ${y}; binary labels must be 0 or 1`);
    const s = scores[i]!;
    if (probabilities ? !(s >= 0 && s <= 1) : !Number.isFinite(s)) {
      throw new Error(`${what}: ${probabilities ? 'probability' : 'score'} of row ${i} is ${s}; it must be ${probabilities ? 'in [0, 1]' : 'finite'}`);
    }
  }
}

function checkLengths(labels: number, other: number, what: string, name: string): void {
  if (labels !== other) throw new Error(`${what}: ${labels} labels but ${other} ${name}; give one per row`);
}
