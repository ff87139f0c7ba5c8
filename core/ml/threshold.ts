// Cost-based choice of the decision threshold of a binary classifier, made on validation probabilities
// (never on test: see splits.ts). A row is predicted positive when its probability is ≥ the threshold.
import { sweepScores } from './score-sweep';

/** Cost of each outcome per row; tp and tn default to 0 (often negative: a benefit). */
export interface DecisionCosts {
  fp: number;
  fn: number;
  tp?: number;
  tn?: number;
}

export interface ThresholdChoice {
  /** Predict positive when p ≥ threshold. */
  threshold: number;
  /** Mean cost per row at `threshold` on the rows given. */
  expectedCost: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Mean cost per row at threshold 0.5, to show what the choice gained. */
  costAtHalf: number;
  /** (fp − tn) / (fp − tn + fn − tp), clamped to [0, 1]: the optimal threshold if the probabilities were perfectly calibrated. */
  calibratedOptimum: number;
}

/**
 * Scans every distinct probability as a threshold, plus 1 (nothing predicted positive) when no probability
 * is 1, and keeps the lowest mean cost; among equal costs the highest threshold (fewest positives) wins.
 */
export function chooseThreshold(labels: Int32Array, proba: Float64Array, costs: DecisionCosts): ThresholdChoice {
  const what = 'threshold choice';
  const c = { fp: costs.fp, fn: costs.fn, tp: costs.tp ?? 0, tn: costs.tn ?? 0 };
  for (const [name, v] of Object.entries(c)) {
    if (!Number.isFinite(v)) throw new Error(`${what}: the ${name} cost is ${v}; costs must be finite numbers`);
  }
  if (labels.length !== proba.length) throw new Error(`${what}: ${labels.length} labels but ${proba.length} probabilities; give one per row`);
  if (labels.length === 0) throw new Error(`${what}: there are no validation rows to choose a threshold on`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`${what}: label of row ${i} is ${labels[i]}; binary labels must be 0 or 1`);
    if (!(proba[i]! >= 0 && proba[i]! <= 1)) throw new Error(`${what}: probability of row ${i} is ${proba[i]}; it must be in [0, 1]`);
  }
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]!;
  const negatives = n - positives;
  const cost = (tp: number, fp: number): number => (c.tp * tp + c.fp * fp + c.fn * (positives - tp) + c.tn * (negatives - fp)) / n;

  let best = { threshold: 1, tp: 0, fp: 0, cost: Infinity };
  let top = -Infinity;
  let half = cost(0, 0);
  sweepScores(labels, proba, (score, tp, fp) => {
    if (top === -Infinity) {
      top = score;
      if (score < 1) best = { threshold: 1, tp: 0, fp: 0, cost: cost(0, 0) };
    }
    const v = cost(tp, fp);
    if (v < best.cost) best = { threshold: score, tp, fp, cost: v };
    if (score >= 0.5) half = v;
  });
  const denominator = c.fp - c.tn + (c.fn - c.tp);
  return {
    threshold: best.threshold,
    expectedCost: best.cost,
    tp: best.tp,
    fp: best.fp,
    tn: negatives - best.fp,
    fn: positives - best.tp,
    costAtHalf: half,
    calibratedOptimum: denominator > 0 ? Math.min(1, Math.max(0, (c.fp - c.tn) / denominator)) : 0.5,
  };
}

/** Class index per row: 1 when p ≥ threshold. */
export function applyThreshold(proba: Float64Array, threshold: number): Int32Array {
  const out = new Int32Array(proba.length);
  for (let i = 0; i < proba.length; i++) out[i] = proba[i]! >= threshold ? 1 : 0;
  return out;
}
