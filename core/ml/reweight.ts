// Importance weights for covariate shift (monitor.onDrift "reweight"): a domain classifier learns to tell the
// training rows (reference) from the logged rows the model now serves (current); a training row x then
// weighs w(x) = P(current | x) / P(reference | x), with both domains balanced so the prior ratio is 1.
// Rows that look like today's traffic count more in the retrained model. Weights are clipped to
// [1/clip, clip] (a few near-certain rows must not carry the whole fit) and scaled to mean 1.
import type { DataColumn } from '../data/columns';
import { encode, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../features/encode';
import { strideSample } from '../features/select';
import { fitLogistic, predictProba } from './logistic';
import { rocAuc } from './metrics';

export interface ReweightSummary {
  referenceRows: number;
  currentRows: number;
  /** Columns the domain classifier saw (those present in the logged rows). */
  columns: string[];
  /** In-sample ROC-AUC of the domain classifier: 0.5 means the two are indistinguishable. */
  domainAuc: number;
  clip: number;
  clipped: number;
  minWeight: number;
  maxWeight: number;
  /** (Σw)² / Σw²: how many unweighted rows the weighted training set is worth. */
  effectiveRows: number;
}

export interface DomainWeights {
  /** One weight per training row, mean 1. */
  weights: Float64Array;
  summary: ReweightSummary;
}

export interface ReweightOptions {
  clip?: number;
  /** Rows of each domain the classifier learns from. */
  maxRows?: number;
  l2?: number;
}

function present(c: DataColumn, current: Record<string, unknown>[]): boolean {
  return current.some((r) => r[c.name] !== null && r[c.name] !== undefined && r[c.name] !== '');
}

function currentColumn(c: DataColumn, current: Record<string, unknown>[]): FeatureColumn {
  if (c.kind === 'numeric')
    return { name: c.name, kind: 'numeric', values: Float64Array.from(current, (r) => (typeof r[c.name] === 'number' ? (r[c.name] as number) : NaN)) };
  return { name: c.name, kind: 'categorical', values: current.map((r) => (r[c.name] === null || r[c.name] === undefined ? null : String(r[c.name]))) };
}

function stack(ref: DataColumn, refRows: Int32Array, cur: FeatureColumn): FeatureColumn {
  if (ref.kind === 'numeric' && cur.kind === 'numeric') {
    const values = new Float64Array(refRows.length + cur.values.length);
    refRows.forEach((r, i) => (values[i] = ref.values[r]!));
    values.set(cur.values, refRows.length);
    return { name: ref.name, kind: 'numeric', values };
  }
  return { name: ref.name, kind: 'categorical', values: [...Array.from(refRows, (r) => ref.values[r] as string | null), ...(cur.values as (string | null)[])] };
}

/** Weights for the `rows` training rows of `features`, from a classifier of training vs `current` rows. */
export function domainWeights(features: DataColumn[], rows: number, current: Record<string, unknown>[], opts: ReweightOptions = {}): DomainWeights {
  const clip = opts.clip ?? 10;
  const maxRows = opts.maxRows ?? 20_000;
  if (current.length === 0) throw new Error('reweight: no logged rows to compare the training data with');
  const used = features.filter((c) => present(c, current));
  if (used.length === 0) throw new Error(`reweight: the logged rows carry none of the model's features (${features.map((c) => c.name).join(', ')})`);
  const refRows = strideSample(rows, maxRows);
  const cur = current.length > maxRows ? Array.from(strideSample(current.length, maxRows), (i) => current[i]!) : current;
  const combined = used.map((c) => stack(c, refRows, currentColumn(c, cur)));
  const choices: Record<string, EncodingChoice> = Object.fromEntries(
    used.map((c) => [c.name, c.kind === 'numeric' ? { encoding: 'standardize' } : { encoding: 'onehot', topK: 20 }]),
  );
  const plan = fitEncodingPlan(combined, choices);
  const n0 = refRows.length;
  const n1 = cur.length;
  const labels = new Int32Array(n0 + n1).fill(1, n0);
  // Balanced domains: each weighs half, so the classifier's odds are the density ratio.
  const balance = new Float64Array(n0 + n1).fill((n0 + n1) / (2 * n0), 0, n0).fill((n0 + n1) / (2 * n1), n0);
  const model = fitLogistic(encode(plan, combined), labels, ['reference', 'current'], { l2: opts.l2 ?? 1, sampleWeights: balance });
  const fitted = predictProba(model, encode(plan, combined));
  const domainAuc = rocAuc(
    labels,
    Float64Array.from({ length: n0 + n1 }, (_, i) => fitted[i * 2 + 1]!),
  );

  const proba = predictProba(model, encode(plan, used));
  const weights = new Float64Array(rows);
  let clipped = 0;
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const p = proba[i * 2 + 1]!;
    let w = p / Math.max(1 - p, 1e-12);
    if (w > clip || w < 1 / clip) {
      clipped++;
      w = Math.min(clip, Math.max(1 / clip, w));
    }
    weights[i] = w;
    sum += w;
  }
  let sumSq = 0;
  let minWeight = Infinity;
  let maxWeight = 0;
  for (let i = 0; i < rows; i++) {
    weights[i] = (weights[i]! * rows) / sum;
    sumSq += weights[i]! ** 2;
    minWeight = Math.min(minWeight, weights[i]!);
    maxWeight = Math.max(maxWeight, weights[i]!);
  }
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  return {
    weights,
    summary: {
      referenceRows: n0,
      currentRows: n1,
      columns: used.map((c) => c.name),
      domainAuc: round(domainAuc),
      clip,
      clipped,
      minWeight: round(minWeight),
      maxWeight: round(maxWeight),
      effectiveRows: Math.round(rows ** 2 / sumSq),
    },
  };
}
