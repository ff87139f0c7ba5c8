// The metric the search ranks candidates by (training.metric), scored on validation rows. Defaults: roc_auc
// (binary), log_loss (multiclass), rmse (regression). f1 and accuracy decide at probability 0.5 (f1 is the
// macro F1 for multiclass); expected_cost is the mean cost per row at the cost-optimal threshold on those
// rows, the same choice the final model's threshold is made by.
import type { Task } from '../spec';
import { metricsOf, positiveColumn, type Predictions } from './scorecard';
import { chooseThreshold, type DecisionCosts } from './threshold';

export type SearchMetric = 'roc_auc' | 'average_precision' | 'log_loss' | 'f1' | 'accuracy' | 'expected_cost' | 'rmse' | 'mae' | 'r2';
export const SEARCH_METRICS = [
  'roc_auc',
  'average_precision',
  'log_loss',
  'f1',
  'accuracy',
  'expected_cost',
  'rmse',
  'mae',
  'r2',
] as const satisfies readonly SearchMetric[];
export const SEARCH_METRICS_BY_TASK: Readonly<Record<Task, readonly SearchMetric[]>> = {
  binary: ['roc_auc', 'average_precision', 'log_loss', 'f1', 'accuracy', 'expected_cost'],
  multiclass: ['log_loss', 'accuracy', 'f1'],
  regression: ['rmse', 'mae', 'r2'],
};
export const DEFAULT_SEARCH_METRIC: Readonly<Record<Task, SearchMetric>> = { binary: 'roc_auc', multiclass: 'log_loss', regression: 'rmse' };
/** Lower is better for these; higher for the others. */
const LOWER_IS_BETTER: ReadonlySet<SearchMetric> = new Set(['log_loss', 'expected_cost', 'rmse', 'mae']);

export class SearchMetricError extends Error {
  override name = 'SearchMetricError';
}

/**
 * The search metric for `task`: `asked` (training.metric) when it fits the task, the task's default when
 * absent. Throws when it does not fit, or is expected_cost without costs.
 */
export function searchMetricFor(task: Task, asked: SearchMetric | undefined | null, costs: DecisionCosts | null): SearchMetric {
  if (asked === undefined || asked === null) return DEFAULT_SEARCH_METRIC[task];
  if (!SEARCH_METRICS_BY_TASK[task].includes(asked)) {
    throw new SearchMetricError(`training.metric "${asked}" does not fit a ${task} task; use one of ${SEARCH_METRICS_BY_TASK[task].join(', ')}`);
  }
  if (asked === 'expected_cost' && !costs) throw new SearchMetricError('training.metric "expected_cost" needs costs: {"fp": …, "fn": …} in the spec');
  return asked;
}

export const lowerIsBetter = (metric: string): boolean => LOWER_IS_BETTER.has(metric as SearchMetric);

/** The search score of predictions `p` of rows with `labels` (classification) or `targets` (regression). */
export function searchScore(
  task: Task,
  metric: SearchMetric,
  classes: number,
  labels: Int32Array,
  targets: Float64Array,
  p: Predictions,
  costs: DecisionCosts | null,
): number {
  if (metric === 'expected_cost') {
    if (!costs) throw new SearchMetricError('expected_cost needs costs');
    return chooseThreshold(labels, positiveColumn(p.proba!, 2), costs).expectedCost;
  }
  const m = metricsOf(task, classes, labels, targets, p, 0.5);
  const key = task === 'multiclass' && metric === 'f1' ? 'macro_f1' : metric;
  return m[key] ?? NaN;
}
