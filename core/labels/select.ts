// Which logged predictions are most worth a label (active learning), for `mlops labels export`:
// - uncertainty: the smallest margin between the two most probable classes (binary: closest to 0.5);
// - random: a seeded uniform sample, the unbiased choice for measuring live performance;
// - disagreement: during a shadow rollout, the rows where champion and challenger differ most (different
//   labels first, then the largest probability gap).
// Labelled traffic is the traffic someone chose to label: uncertainty and disagreement samples are biased
// on purpose, which is why data.maxFeedbackShare caps their weight in a retraining set.
import { seededRandom } from '../random';

export const LABEL_STRATEGIES = ['uncertainty', 'random', 'disagreement'] as const;
export type LabelStrategy = (typeof LABEL_STRATEGIES)[number];

export interface LoggedPrediction {
  id: string;
  version: number;
  at: string;
  features: Record<string, unknown>;
  output: { label?: string; value?: number; probabilities?: Record<string, number> };
  /** The shadow challenger's answer to the same request, when one ran. */
  shadow?: { label?: string; probabilities?: Record<string, number> } | null;
}

export interface Selected extends LoggedPrediction {
  /** Why it was chosen: the margin (uncertainty), the gap (disagreement), or null (random). */
  score: number | null;
}

function margin(p: Record<string, number> | undefined): number | null {
  if (!p) return null;
  const v = Object.values(p).sort((a, b) => b - a);
  return v.length >= 2 ? v[0]! - v[1]! : null;
}

function gap(a: Record<string, number> | undefined, b: Record<string, number> | undefined): number | null {
  if (!a || !b) return null;
  let g = 0;
  for (const k of Object.keys(a)) g = Math.max(g, Math.abs(a[k]! - (b[k] ?? 0)));
  return g;
}

/** The `sample` rows to label by `strategy`, most useful first. */
export function selectForLabelling(rows: LoggedPrediction[], strategy: LabelStrategy, sample: number, seed = 0): Selected[] {
  if (!LABEL_STRATEGIES.includes(strategy)) throw new Error(`labels: unknown strategy ${JSON.stringify(strategy)}; use ${LABEL_STRATEGIES.join(', ')}`);
  if (!Number.isInteger(sample) || sample < 1) throw new Error(`labels: the sample must be a whole number ≥ 1, got ${sample}`);
  if (strategy === 'random') {
    const random = seededRandom(seed);
    const out = rows.map((r) => ({ ...r, score: null }));
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out.slice(0, sample);
  }
  if (strategy === 'uncertainty') {
    const scored = rows.map((r) => ({ ...r, score: margin(r.output.probabilities) }));
    if (rows.length > 0 && scored.every((r) => r.score === null))
      throw new Error('labels: uncertainty needs class probabilities in the logged predictions (a classifier); use random for a regression model');
    return scored
      .filter((r) => r.score !== null)
      .sort((a, b) => a.score! - b.score! || (a.at < b.at ? 1 : -1))
      .slice(0, sample);
  }
  const paired = rows.filter((r) => r.shadow);
  if (rows.length > 0 && paired.length === 0)
    throw new Error('labels: disagreement needs a shadow rollout (deploy.strategy "shadow"): no logged prediction has a challenger answer');
  return paired
    .map((r) => ({ ...r, differs: r.shadow!.label !== r.output.label, score: gap(r.output.probabilities, r.shadow!.probabilities) ?? 0 }))
    .sort((a, b) => Number(b.differs) - Number(a.differs) || b.score - a.score)
    .slice(0, sample)
    .map(({ differs: _d, ...r }) => r);
}
