// Per-group metrics of a binary classifier and the gaps between groups: demographic parity (predicted-positive
// rate), equal opportunity (true-positive rate) and ROC-AUC. Groups below `minGroupSize` rows are reported
// but flagged `tooSmall` and left out of the gaps, whose noise would otherwise dominate them.
import { rocAuc } from './metrics';

export interface GroupMetrics {
  /** The group value; null collects the rows whose group is missing. */
  group: string | null;
  count: number;
  /** count / all rows. */
  share: number;
  /** Share of the group's rows predicted positive (p ≥ threshold). */
  positiveRate: number;
  /** True-positive rate; null when the group has no positive rows. */
  tpr: number | null;
  /** False-positive rate; null when the group has no negative rows. */
  fpr: number | null;
  /** ROC-AUC; null unless the group has both classes. */
  auc: number | null;
  accuracy: number;
  tooSmall: boolean;
}

export interface FairnessReport {
  threshold: number;
  minGroupSize: number;
  /** Sorted by group value, the missing-group row (null) last. */
  groups: GroupMetrics[];
  /** Max − min positive rate over the compared groups; null with fewer than two. */
  demographicParityDifference: number | null;
  /** Max − min TPR over the compared groups that have positives; null with fewer than two. */
  equalOpportunityDifference: number | null;
  /** Max − min AUC over the compared groups that have both classes; null with fewer than two. */
  maxAucGap: number | null;
  /** The groups the gaps are computed over (those not tooSmall). */
  compared: (string | null)[];
}

export interface FairnessOptions {
  /** Default 0.5. */
  threshold?: number;
  /** Groups with fewer rows are flagged tooSmall and excluded from the gaps. Default 30. */
  minGroupSize?: number;
}

/** `proba` is P(class 1) per row, `labels` 0/1, `groups` the sensitive attribute per row (null = missing). */
export function fairnessReport(labels: Int32Array, proba: Float64Array, groups: readonly (string | null)[], options: FairnessOptions = {}): FairnessReport {
  const what = 'fairness report';
  const threshold = options.threshold ?? 0.5;
  const minGroupSize = options.minGroupSize ?? 30;
  const n = labels.length;
  if (proba.length !== n || groups.length !== n) {
    throw new Error(`${what}: ${n} labels, ${proba.length} probabilities and ${groups.length} group values; give one of each per row`);
  }
  if (n === 0) throw new Error(`${what}: there are no rows to evaluate`);
  const members = new Map<string | null, number[]>();
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`${what}: label of row ${i} is ${labels[i]}; binary labels must be 0 or 1`);
    if (!(proba[i]! >= 0 && proba[i]! <= 1)) throw new Error(`${what}: probability of row ${i} is ${proba[i]}; it must be in [0, 1]`);
    const g = groups[i] ?? null;
    const list = members.get(g);
    if (list === undefined) members.set(g, [i]);
    else list.push(i);
  }
  const keys = [...members.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));
  const report = keys.map((group) => groupMetrics(group, members.get(group)!, labels, proba, threshold, n, minGroupSize));
  const compared = report.filter((g) => !g.tooSmall);
  return {
    threshold,
    minGroupSize,
    groups: report,
    demographicParityDifference: spread(compared.map((g) => g.positiveRate)),
    equalOpportunityDifference: spread(compared.map((g) => g.tpr)),
    maxAucGap: spread(compared.map((g) => g.auc)),
    compared: compared.map((g) => g.group),
  };
}

function groupMetrics(
  group: string | null,
  rows: number[],
  labels: Int32Array,
  proba: Float64Array,
  threshold: number,
  total: number,
  minGroupSize: number,
): GroupMetrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  const y = new Int32Array(rows.length);
  const p = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    y[i] = labels[r]!;
    p[i] = proba[r]!;
    const predicted = proba[r]! >= threshold;
    if (labels[r] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  });
  const count = rows.length;
  return {
    group,
    count,
    share: count / total,
    positiveRate: (tp + fp) / count,
    tpr: tp + fn > 0 ? tp / (tp + fn) : null,
    fpr: fp + tn > 0 ? fp / (fp + tn) : null,
    auc: tp + fn > 0 && fp + tn > 0 ? rocAuc(y, p) : null,
    accuracy: (tp + tn) / count,
    tooSmall: count < minGroupSize,
  };
}

/** max − min of the defined values; null when fewer than two are defined. */
function spread(values: (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length >= 2 ? Math.max(...defined) - Math.min(...defined) : null;
}
