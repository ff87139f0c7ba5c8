// Confidence-based performance estimation (CBPE, as NannyML does it) of a binary classifier before labels
// arrive. With calibrated probabilities p, a row predicted positive is a true positive with probability p
// and a false positive with 1 − p (predicted negative: false negative p, true negative 1 − p), so the
// expected confusion matrix of a window follows from its served probabilities alone:
//   accuracy = (ΣTP + ΣTN) / n, F1 = 2ΣTP / (2ΣTP + ΣFP + ΣFN),
//   ROC-AUC = the area under the expected ROC curve (each row counts p as a positive and 1 − p as a negative).
// The interval: labels drawn as independent Bernoulli(p) many times give the spread the realised metric
// would have if the probabilities were right — the sampling error of a window of this size.
// It estimates the effect of covariate shift (inputs move, P(y | x) holds); concept drift, where P(y | x)
// itself changes, leaves the probabilities confident and wrong, and only labels reveal it.
import { seededRandom } from '../random';
import { calibrate, fitIsotonic, type IsotonicMap } from './calibration';

export type EstimatedMetric = 'accuracy' | 'f1' | 'roc_auc';
export const ESTIMATED_METRICS: readonly EstimatedMetric[] = ['accuracy', 'f1', 'roc_auc'];
export type PerformanceValues = Record<EstimatedMetric, number | null>;

export interface PerformanceEstimate {
  rows: number;
  estimated: PerformanceValues;
  /** 95% interval of each metric (2.5% and 97.5% of the simulated realised values). */
  interval: Record<EstimatedMetric, [number, number] | null>;
}

/** Realised accuracy, F1 and ROC-AUC of decisions (score ≥ threshold) against labels 0/1. */
export function realisedMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): PerformanceValues {
  const weights = Float64Array.from(labels, Number);
  return expectedMetrics(scores, weights, threshold);
}

/**
 * Metrics with each row positive with weight w ∈ [0, 1] (a label: 0 or 1; a calibrated probability: the
 * expectation). ROC-AUC: Σ over ordered pairs w_i (1 − w_j) [s_i > s_j] (ties ½), over Σw Σ(1 − w).
 */
export function expectedMetrics(scores: ArrayLike<number>, positive: Float64Array, threshold: number): PerformanceValues {
  const n = scores.length;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    const w = positive[i]!;
    if (scores[i]! >= threshold) {
      tp += w;
      fp += 1 - w;
    } else {
      fn += w;
      tn += 1 - w;
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let neg = 0;
  let area = 0;
  for (let i = 0; i < n;) {
    let j = i;
    let groupPos = 0;
    let groupNeg = 0;
    while (j < n && scores[order[j]!] === scores[order[i]!]) {
      groupPos += positive[order[j]!]!;
      groupNeg += 1 - positive[order[j]!]!;
      j++;
    }
    area += groupPos * neg + 0.5 * groupPos * groupNeg;
    pos += groupPos;
    neg += groupNeg;
    i = j;
  }
  return {
    accuracy: n > 0 ? (tp + tn) / n : null,
    f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
    roc_auc: pos > 0 && neg > 0 ? area / (pos * neg) : null,
  };
}

export interface CbpeOptions {
  threshold: number;
  calibration: IsotonicMap | null;
  /** Simulated label draws for the interval (default 200). */
  draws?: number;
  seed?: number;
}

/** The estimate for one window of served positive-class scores. */
export function estimatePerformance(scores: ArrayLike<number>, opts: CbpeOptions): PerformanceEstimate {
  const n = scores.length;
  if (n === 0) throw new Error('CBPE: no predictions in the window');
  const p = Float64Array.from(scores, (s) => (opts.calibration ? calibrate(opts.calibration, s) : s));
  const estimated = expectedMetrics(scores, p, opts.threshold);
  const draws = opts.draws ?? 200;
  const random = seededRandom(opts.seed ?? 0);
  const samples: Record<EstimatedMetric, number[]> = { accuracy: [], f1: [], roc_auc: [] };
  const y = new Float64Array(n);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) y[i] = random() < p[i]! ? 1 : 0;
    const m = expectedMetrics(scores, y, opts.threshold);
    for (const k of ESTIMATED_METRICS) if (m[k] !== null) samples[k].push(m[k]!);
  }
  const interval = {} as PerformanceEstimate['interval'];
  for (const k of ESTIMATED_METRICS) {
    const s = samples[k].sort((a, b) => a - b);
    interval[k] = s.length >= draws / 2 ? [s[Math.floor(0.025 * (s.length - 1))]!, s[Math.ceil(0.975 * (s.length - 1))]!] : null;
  }
  return { rows: n, estimated, interval };
}

/** What CBPE needs of a version, stored with it at training time. */
export interface CbpeReference {
  /** The decision threshold: a row is predicted positive when its score is ≥ it. */
  threshold: number;
  /** Isotonic map fitted on (a sample of at most 10,000 of) the test split's scores and labels. */
  calibration: IsotonicMap;
  /** The realised metrics on those rows: what an estimate's drop is measured against. */
  realised: PerformanceValues;
  rows: number;
}

export const CBPE_REFERENCE_ROWS = 10_000;

/** The CBPE reference of a binary classifier from its test-split positive-class scores and 0/1 labels. */
export function cbpeReference(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): CbpeReference {
  const n = scores.length;
  const take = Math.min(n, CBPE_REFERENCE_ROWS);
  const pick = Array.from({ length: take }, (_, k) => Math.floor((k * n) / take));
  const s = pick.map((i) => scores[i]!);
  const y = pick.map((i) => labels[i]!);
  const map = fitIsotonic(s, y);
  const round = (x: number): number => Math.round(x * 1e9) / 1e9;
  return { threshold, calibration: { x: map.x.map(round), y: map.y.map(round) }, realised: realisedMetrics(s, y, threshold), rows: take };
}
