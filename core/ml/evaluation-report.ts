// The evaluation a person looks at, stored as a JSON artifact with every model version: ROC and
// precision-recall points, calibration bins, the confusion matrix, residuals, slices and fairness. The
// registry keeps the flat metrics gates read; this keeps the shapes behind them (the console draws them).
import type { Task } from '../spec';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { Predictions, Scorecard } from './scorecard';

export interface CurvePoint {
  threshold: number;
  fpr: number;
  tpr: number;
  precision: number;
  recall: number;
}

export interface CalibrationBin {
  /** Lower edge of the predicted-probability bin (width 0.1). */
  bin: number;
  meanPredicted: number;
  observedRate: number;
  count: number;
}

export interface EvaluationReport {
  task: Task;
  classes: string[];
  threshold: number;
  rows: number;
  metrics: Scorecard['metrics'];
  /** Binary: one point per distinct score, thinned to at most CURVE_POINTS. */
  curve?: CurvePoint[];
  calibration?: CalibrationBin[];
  /** Multiclass: one-vs-rest curve of each class, thinned to at most CLASS_CURVE_POINTS. */
  classCurves?: { class: string; points: CurvePoint[] }[];
  confusion?: number[][];
  /** Regression: actual and predicted values of an even sample of at most RESIDUAL_POINTS test rows. */
  residuals?: { actual: number; predicted: number }[];
  slices: Scorecard['slices'];
  fairness: Scorecard['fairness'];
}

export const CURVE_POINTS = 200;
export const CLASS_CURVE_POINTS = 100;
export const RESIDUAL_POINTS = 1_000;
const CALIBRATION_BINS = 10;

/** ROC and PR points from the scores of the positive class, sweeping the threshold from high to low. */
export function binaryCurve(labels: Int32Array, scores: Float64Array, maxPoints = CURVE_POINTS): CurvePoint[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (const y of labels) positives += y === 1 ? 1 : 0;
  const negatives = labels.length - positives;
  const all: CurvePoint[] = [{ threshold: 1, fpr: 0, tpr: 0, precision: 1, recall: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i] === 1) tp++;
    else fp++;
    // Ties share one threshold: emit a point only after the last row of a score.
    if (k + 1 < order.length && scores[order[k + 1]!] === scores[i]) continue;
    all.push({
      threshold: scores[i]!,
      fpr: negatives ? fp / negatives : 0,
      tpr: positives ? tp / positives : 0,
      precision: tp / (tp + fp),
      recall: positives ? tp / positives : 0,
    });
  }
  if (all.length <= maxPoints) return all;
  const step = (all.length - 1) / (maxPoints - 1);
  return Array.from({ length: maxPoints }, (_, j) => all[Math.round(j * step)]!);
}

export function calibrationBins(labels: Int32Array, scores: Float64Array, bins = CALIBRATION_BINS): CalibrationBin[] {
  const sum = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(scores[i]! * bins)));
    sum[b] = sum[b]! + scores[i]!;
    hits[b] = hits[b]! + (labels[i] === 1 ? 1 : 0);
    count[b] = count[b]! + 1;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    out.push({ bin: b / bins, meanPredicted: sum[b]! / count[b]!, observedRate: hits[b]! / count[b]!, count: count[b]! });
  }
  return out;
}

/** The report over the test rows `idx` of predictions laid out by row index. */
export function evaluationReport(input: {
  task: Task;
  classes: string[];
  threshold: number;
  labels: Int32Array;
  targets: Float64Array;
  predictions: Predictions;
  idx: Int32Array;
  card: Scorecard;
}): EvaluationReport {
  const { task, idx, card } = input;
  const report: EvaluationReport = {
    task,
    classes: input.classes,
    threshold: input.threshold,
    rows: idx.length,
    metrics: card.metrics,
    slices: card.slices,
    fairness: card.fairness,
    ...(card.confusion ? { confusion: card.confusion } : {}),
  };
  if (task === 'binary') {
    const labels = Int32Array.from(idx, (i) => input.labels[i]!);
    const scores = Float64Array.from(idx, (i) => input.predictions.proba![i * 2 + 1]!);
    report.curve = binaryCurve(labels, scores);
    report.calibration = calibrationBins(labels, scores);
  }
  if (task === 'multiclass') {
    const k = input.classes.length;
    report.classCurves = input.classes.map((name, c) => ({
      class: name,
      points: binaryCurve(
        Int32Array.from(idx, (i) => (input.labels[i] === c ? 1 : 0)),
        Float64Array.from(idx, (i) => input.predictions.proba![i * k + c]!),
        CLASS_CURVE_POINTS,
      ),
    }));
  }
  if (task === 'regression') {
    const n = Math.min(idx.length, RESIDUAL_POINTS);
    report.residuals = Array.from({ length: n }, (_, j) => {
      const i = idx[Math.floor((j * idx.length) / n)]!;
      return { actual: input.targets[i]!, predicted: input.predictions.values![i]! };
    });
  }
  return report;
}

export function storeEvaluationReport(artifacts: ArtifactStore, report: EvaluationReport): Promise<ArtifactRef> {
  return artifacts.putContent('evaluations', '.json', JSON.stringify(report), 'application/json');
}
