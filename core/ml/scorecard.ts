// A model's scorecard on a set of rows: flat snake_case metrics (what gates and `runs compare` read), the
// same per slice, and fairness gaps per protected attribute. Used alike for a candidate and the champion.
import type { Task } from '../spec';
import { fairnessReport, type FairnessReport } from './fairness';
import { binaryMetrics, confusionMatrix, multiclassMetrics, regressionMetrics } from './metrics';

export type Metrics = Record<string, number | null>;

/** Metrics where lower is better; every other metric is higher-is-better. */
export const LOWER_IS_BETTER = new Set(['log_loss', 'brier', 'ece', 'rmse', 'mae', 'mape', 'expected_cost']);

export const PRIMARY_METRIC: Record<Task, string> = { binary: 'roc_auc', multiclass: 'log_loss', regression: 'rmse' };

export interface Predictions {
  /** Classification: rows × classes probabilities (row-major). */
  proba?: Float64Array;
  /** Regression: one value per row. */
  values?: Float64Array;
}

export interface SliceScore {
  attribute: string;
  group: string | null;
  count: number;
  metrics: Metrics;
}

export interface Scorecard {
  metrics: Metrics;
  confusion?: number[][];
  slices: SliceScore[];
  fairness: Record<string, Pick<FairnessReport, 'demographicParityDifference' | 'equalOpportunityDifference' | 'maxAucGap' | 'groups'>>;
}

function pick<T>(xs: ArrayLike<T>, idx: Int32Array, make: (n: number) => { [i: number]: T; length: number }) {
  const out = make(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = xs[idx[k]!]!;
  return out;
}

export function positiveColumn(proba: Float64Array, classes: number): Float64Array {
  const out = new Float64Array(proba.length / classes);
  for (let i = 0; i < out.length; i++) out[i] = proba[i * classes + 1]!;
  return out;
}

/** Metrics of one set of rows. `threshold` applies to binary decisions. */
export function metricsOf(task: Task, classes: number, labels: Int32Array, targets: Float64Array, p: Predictions, threshold: number): Metrics {
  if (task === 'regression') {
    const m = regressionMetrics(targets, p.values!);
    return { rmse: m.rmse, mae: m.mae, r2: m.r2, mape: m.mape };
  }
  if (task === 'binary') {
    const m = binaryMetrics(labels, positiveColumn(p.proba!, 2), threshold);
    return {
      accuracy: m.accuracy,
      precision: m.precision,
      recall: m.recall,
      f1: m.f1,
      roc_auc: m.rocAuc,
      average_precision: m.averagePrecision,
      log_loss: m.logLoss,
      brier: m.brier,
      ece: m.ece,
    };
  }
  const m = multiclassMetrics(labels, p.proba!, classes);
  return { accuracy: m.accuracy, macro_f1: m.macroF1, log_loss: m.logLoss };
}

/** Scorecard over the rows `idx`, with per-slice metrics for every attribute in `slices`. */
export function scorecard(
  task: Task,
  classes: number,
  labels: Int32Array,
  targets: Float64Array,
  predictions: Predictions,
  idx: Int32Array,
  slices: Record<string, (string | null)[]>,
  opts: { threshold: number; minGroupSize: number; protectedAttributes: string[] },
): Scorecard {
  const l = task === 'regression' ? new Int32Array(0) : (pick(labels, idx, (n) => new Int32Array(n)) as Int32Array);
  const t = task === 'regression' ? (pick(targets, idx, (n) => new Float64Array(n)) as Float64Array) : new Float64Array(0);
  const width = task === 'regression' ? 1 : classes;
  const sub = (rows: Int32Array): Predictions => {
    if (task === 'regression') return { values: pick(predictions.values!, rows, (n) => new Float64Array(n)) as Float64Array };
    const out = new Float64Array(rows.length * width);
    for (let k = 0; k < rows.length; k++) for (let c = 0; c < width; c++) out[k * width + c] = predictions.proba![rows[k]! * width + c]!;
    return { proba: out };
  };
  const p = sub(idx);
  const card: Scorecard = { metrics: metricsOf(task, classes, l, t, p, opts.threshold), slices: [], fairness: {} };
  if (task !== 'regression') {
    const predicted = new Int32Array(idx.length);
    for (let k = 0; k < idx.length; k++) {
      if (task === 'binary') predicted[k] = p.proba![k * 2 + 1]! >= opts.threshold ? 1 : 0;
      else {
        let best = 0;
        for (let c = 1; c < classes; c++) if (p.proba![k * classes + c]! > p.proba![k * classes + best]!) best = c;
        predicted[k] = best;
      }
    }
    const counts = confusionMatrix(l, predicted, classes).counts;
    card.confusion = Array.from({ length: classes }, (_, r) => Array.from(counts.subarray(r * classes, (r + 1) * classes)));
  }
  for (const [attribute, values] of Object.entries(slices)) {
    const groups = new Map<string | null, number[]>();
    for (let k = 0; k < idx.length; k++) {
      const g = values[idx[k]!] ?? null;
      const list = groups.get(g);
      if (list) list.push(idx[k]!);
      else groups.set(g, [idx[k]!]);
    }
    for (const [group, members] of [...groups].sort((a, b) => String(a[0]).localeCompare(String(b[0])))) {
      const rows = Int32Array.from(members);
      const gl = task === 'regression' ? new Int32Array(0) : (pick(labels, rows, (n) => new Int32Array(n)) as Int32Array);
      const gt = task === 'regression' ? (pick(targets, rows, (n) => new Float64Array(n)) as Float64Array) : new Float64Array(0);
      let metrics: Metrics;
      try {
        metrics = metricsOf(task, classes, gl, gt, sub(rows), opts.threshold);
      } catch {
        metrics = {}; // e.g. one class only in this group: its AUC is undefined
      }
      if (task === 'binary') {
        const both = new Set(gl).size === 2;
        if (!both) metrics = { accuracy: gl.length ? metricsAccuracy(gl, sub(rows).proba!, opts.threshold) : null };
      }
      card.slices.push({ attribute, group, count: rows.length, metrics });
    }
    if (task === 'binary' && opts.protectedAttributes.includes(attribute)) {
      const proba = positiveColumn(p.proba!, 2);
      const report = fairnessReport(
        l,
        proba,
        Array.from(idx, (i) => values[i] ?? null),
        { threshold: opts.threshold, minGroupSize: opts.minGroupSize },
      );
      card.fairness[attribute] = {
        demographicParityDifference: report.demographicParityDifference,
        equalOpportunityDifference: report.equalOpportunityDifference,
        maxAucGap: report.maxAucGap,
        groups: report.groups,
      };
    }
  }
  return card;
}

function metricsAccuracy(labels: Int32Array, proba: Float64Array, threshold: number): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if ((proba[i * 2 + 1]! >= threshold ? 1 : 0) === labels[i]) right++;
  return right / labels.length;
}

/** The largest fairness gap (parity or equal opportunity) over the protected attributes, or null. */
export function worstFairnessGap(card: Scorecard): { attribute: string; gap: number } | null {
  let worst: { attribute: string; gap: number } | null = null;
  for (const [attribute, f] of Object.entries(card.fairness)) {
    for (const g of [f.demographicParityDifference, f.equalOpportunityDifference]) {
      if (g !== null && (!worst || g > worst.gap)) worst = { attribute, gap: g };
    }
  }
  return worst;
}
