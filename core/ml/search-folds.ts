// The folds of a k-fold search over the pool of training rows: stratified and shuffled (seeded) without a
// time column; with spec.time an expanding-window time-series split, so no model is scored on rows older
// than any it was fitted on.
import type { PipelineSpec } from '../spec';
import { expandingWindowFolds, stratifiedKFold, type Fold } from './splits';
import type { TrainingData } from './training-data';

/** Folds as positions into `pool` (the rows the search fits on). */
export function searchFolds(data: Pick<TrainingData, 'task' | 'labels' | 'time'>, pool: Int32Array, spec: Pick<PipelineSpec, 'training'>): Fold[] {
  const { folds } = spec.training.validation;
  if (data.time)
    return expandingWindowFolds(
      Float64Array.from(pool, (i) => data.time![i]!),
      folds,
    );
  const labels = data.task === 'regression' ? new Int32Array(pool.length) : Int32Array.from(pool, (i) => data.labels[i]!);
  return stratifiedKFold(labels, folds, spec.training.seed);
}
