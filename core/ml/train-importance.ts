// What the final model leans on: per feature, its share of the trees' split gain or of the linear model's
// absolute standardized coefficients, and the drop of the search metric when the feature is shuffled.
import { gbdtGainImportance } from './gbdt';
import { absoluteByFeature } from './importance';
import { predictRows } from './linear-train';
import type { EncodingPlan, GbdtModel, LinearModel } from './model';
import { permutationImportance, sampleRows, subsetColumns } from './permutation';
import { lowerIsBetter } from './search-metric';
import type { FinalFit } from './train-fit';
import type { SearchPlan } from './train-search';
import { PERMUTATION_MAX_ROWS } from './train-types';
import type { TrainingData } from './training-data';

/** Per feature: the share of the model's absolute standardized coefficients on its encoded columns. */
export function importanceOf(model: LinearModel | GbdtModel, plan: EncodingPlan): Record<string, number> {
  // Trees: total split gain per matrix column; linear models: absolute standardized coefficients.
  const weights = model.kind === 'gbdt' ? gbdtGainImportance(model) : model.coefficients;
  const byFeature = absoluteByFeature(plan, weights, model.kind === 'logistic' ? model.coefficients.length / plan.width : 1);
  const total = [...byFeature.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries([...byFeature].map(([name, v]) => [name, total > 0 ? Math.round((v / total) * 1e6) / 1e6 : 0]));
}

/**
 * The model's own importance (importanceOf), and permutation importance on a seeded sample of at most
 * PERMUTATION_MAX_ROWS test rows with that sample's size.
 */
export function finalImportance(
  data: TrainingData,
  plan: Pick<SearchPlan, 'metric' | 'score'>,
  final: Pick<FinalFit, 'fitted' | 'enc'>,
  seed: number,
): { importance: Record<string, number>; permutation: { importance: Record<string, number>; rows: number } } {
  const rows = sampleRows(data.split.test, PERMUTATION_MAX_ROWS, seed);
  // The sampled rows, renumbered: one array for every re-score, so the linear design re-encodes only the permuted column.
  const sampled = Int32Array.from(rows, (_, k) => k);
  const permutation = permutationImportance(
    subsetColumns(data.features, rows),
    sampled,
    (columns) => plan.score(rows, predictRows(final.fitted, final.enc, columns, sampled)),
    lowerIsBetter(plan.metric),
    seed,
  );
  return { importance: importanceOf(final.fitted.model, final.enc), permutation: { importance: permutation, rows: rows.length } };
}
