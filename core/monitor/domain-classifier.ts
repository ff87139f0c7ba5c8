// Multivariate drift: can a classifier tell the training reference from the current window? It is fitted on
// half of each sample and scored on the other half; its held-out ROC-AUC is 0.5 when the two samples are
// exchangeable and grows with any shift the classifier can see, also one spread thinly over many columns
// that no single column's test flags. The threshold comes from permutations: the held-out rows' domain
// labels shuffled at random give the AUCs of "no drift" for exactly these scores (the model never saw those
// rows, so under no drift their labels are exchangeable given the scores: the test is exact, and its false
// alarm rate is alpha). Drift when the real AUC beats the null AUCs' (1 − alpha) quantile.
//
// The classifier is the balanced L2 logistic regression core/ml/reweight.ts uses, on one-hot bins: numeric
// columns cut at deciles of both samples (plus a missing bin), categorical columns one-hot (top 20 + other).
// Bins make any change of a column's distribution visible (location, spread, shape), not only of its mean.
// It is additive: a change in how columns relate with unchanged marginals goes unseen.
import { encode, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../features/encode';
import { strideSample } from '../features/select';
import { absoluteByFeature } from '../ml/importance';
import { fitLogistic, predictProba } from '../ml/logistic';
import { seededRandom } from '../random';
import type { DriftColumn } from '../stats/drift';

export interface DomainClassifierOptions {
  /** Label permutations for the threshold (default 999: the smallest p-value is 1/1000). */
  permutations?: number;
  /** Significance level: the false-alarm rate on calm traffic (default 0.01: one check in a hundred). */
  alpha?: number;
  /** Rows of each sample the classifier sees, an even sample (default 5,000). */
  maxRows?: number;
  seed?: number;
}

export interface DomainClassifierCheck {
  /** Held-out ROC-AUC of reference vs current (fitted on half of each sample, scored on the other half). */
  auc: number;
  /** The (1 − alpha) quantile of the AUCs under permuted labels: drift when auc > threshold. */
  threshold: number;
  /** (1 + permuted AUCs ≥ auc) / (1 + permutations). */
  pValue: number;
  drift: boolean;
  permutations: number;
  alpha: number;
  referenceRows: number;
  currentRows: number;
  /** The columns that separate the samples most: share of the classifier's absolute coefficients, top 5. */
  top: { name: string; share: number }[];
}

const DECILES = 10;

/** Numeric values as labels of decile bins of both samples; NaN → null (its own "missing" bin via one-hot other). */
function binned(name: string, values: Float64Array): FeatureColumn {
  const finite = Float64Array.from(values.filter((v) => Number.isFinite(v))).sort();
  const edges: number[] = [];
  for (let k = 1; k < DECILES; k++) {
    const e = finite[Math.floor((k * finite.length) / DECILES)];
    if (e !== undefined && (edges.length === 0 || e > edges[edges.length - 1]!)) edges.push(e);
  }
  const label = (v: number): string | null => {
    if (!Number.isFinite(v)) return null;
    let b = 0;
    while (b < edges.length && v >= edges[b]!) b++;
    return `b${String(b).padStart(2, '0')}`;
  };
  return { name, kind: 'categorical', values: Array.from(values, label) };
}

/** Each column with the reference rows `ref` then the current rows `cur`, numeric ones binned. */
function combine(columns: DriftColumn[], ref: Int32Array, cur: Int32Array): FeatureColumn[] {
  return columns.map((c) => {
    if (c.kind === 'numeric') {
      const values = new Float64Array(ref.length + cur.length);
      ref.forEach((r, i) => (values[i] = c.reference[r]!));
      cur.forEach((r, i) => (values[ref.length + i] = c.current[r]!));
      return binned(c.name, values);
    }
    return { name: c.name, kind: 'categorical', values: [...Array.from(ref, (r) => c.reference[r] ?? null), ...Array.from(cur, (r) => c.current[r] ?? null)] };
  });
}

function balancedWeights(labels: Int32Array): Float64Array {
  let ones = 0;
  for (const y of labels) ones += y;
  const n = labels.length;
  return Float64Array.from(labels, (y) => n / (2 * (y === 1 ? ones : n - ones)));
}

function take(labels: Int32Array, rows: Int32Array): Int32Array {
  return Int32Array.from(rows, (r) => labels[r]!);
}

/** Average ranks (1-based, ties averaged) of `scores`. */
function averageRanks(scores: Float64Array): Float64Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** ROC-AUC from average ranks: the Mann–Whitney U of the positives over positives × negatives. */
function aucFromRanks(ranks: Float64Array, labels: Int32Array): number {
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      positives++;
      rankSum += ranks[i]!;
    }
  }
  const negatives = labels.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function domainClassifierCheck(columns: DriftColumn[], opts: DomainClassifierOptions = {}): DomainClassifierCheck {
  const permutations = opts.permutations ?? 999;
  const alpha = opts.alpha ?? 0.01;
  const maxRows = opts.maxRows ?? 5000;
  if (columns.length === 0) throw new Error('domain classifier: no columns to compare');
  if (!Number.isInteger(permutations) || permutations < 1) throw new Error(`domain classifier: permutations must be a whole number ≥ 1, got ${permutations}`);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`domain classifier: alpha must be in (0, 1), got ${alpha}`);
  const ref = strideSample(columns[0]!.reference.length, maxRows);
  const cur = strideSample(columns[0]!.current.length, maxRows);
  if (ref.length < 2 || cur.length < 2) throw new Error(`domain classifier: needs at least 2 rows in each sample, got ${ref.length} and ${cur.length}`);
  const combined = combine(columns, ref, cur);
  const choices: Record<string, EncodingChoice> = Object.fromEntries(combined.map((c) => [c.name, { encoding: 'onehot', topK: 20 }]));
  const plan = fitEncodingPlan(combined, choices);
  const n = ref.length + cur.length;
  const labels = new Int32Array(n).fill(1, ref.length);
  // Fit on the even positions of each sample, score the odd ones: both halves hold both samples.
  const half = (parity: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i).filter((i) => (i < ref.length ? i : i - ref.length) % 2 === parity);
  const fitRows = half(0);
  const heldRows = half(1);
  const fitLabels = take(labels, fitRows);
  const model = fitLogistic(encode(plan, combined, fitRows), fitLabels, ['reference', 'current'], {
    l2: 1,
    maxIter: 100,
    tol: 1e-6,
    sampleWeights: balancedWeights(fitLabels),
  });
  const proba = predictProba(model, encode(plan, combined, heldRows));
  const ranks = averageRanks(Float64Array.from({ length: heldRows.length }, (_, k) => proba[k * 2 + 1]!));
  const heldLabels = take(labels, heldRows);
  const auc = aucFromRanks(ranks, heldLabels);
  const random = seededRandom((opts.seed ?? 0) ^ 0xd0a1);
  const shuffled = Int32Array.from(heldLabels);
  const nullAucs = new Float64Array(permutations);
  for (let p = 0; p < permutations; p++) {
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = shuffled[i]!;
      shuffled[i] = shuffled[j]!;
      shuffled[j] = t;
    }
    nullAucs[p] = aucFromRanks(ranks, shuffled);
  }
  nullAucs.sort();
  const threshold = nullAucs[Math.min(permutations - 1, Math.ceil((1 - alpha) * (permutations + 1)) - 1)]!;
  const pValue = (1 + nullAucs.filter((a) => a >= auc).length) / (1 + permutations);
  // What separates them: the classifier fitted on every row, its absolute coefficients summed per column.
  const full = fitLogistic(encode(plan, combined), labels, ['reference', 'current'], { l2: 1, maxIter: 50, tol: 1e-6, sampleWeights: balancedWeights(labels) });
  const byColumn = absoluteByFeature(plan, full.coefficients, 1);
  const total = [...byColumn.values()].reduce((a, b) => a + b, 0);
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  const top = [...byColumn]
    .map(([name, v]) => ({ name, share: total > 0 ? round(v / total) : 0 }))
    .sort((a, b) => b.share - a.share || (a.name < b.name ? -1 : 1))
    .slice(0, 5);
  return {
    auc: round(auc),
    threshold: round(threshold),
    pValue: round(pValue),
    drift: auc > threshold,
    permutations,
    alpha,
    referenceRows: ref.length,
    currentRows: cur.length,
    top,
  };
}
