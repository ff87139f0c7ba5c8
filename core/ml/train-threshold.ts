// The final model on held-out rows: the decision threshold chosen from the spec's costs, the scorecard on the
// test split (with the expected cost at that threshold), and the calibration CBPE estimates performance from.
import { cbpeReference, type CbpeReference } from '../monitor/cbpe';
import { positiveColumn, scorecard, type Predictions, type Scorecard } from './scorecard';
import { predictOn, type FinalFit } from './train-fit';
import type { SearchPlan } from './train-search';
import type { TrainedModel, TrainInput } from './train-types';
import { chooseThreshold } from './threshold';
import type { TrainingData } from './training-data';

export interface TestScore {
  /** By row index, like predictions on every row: the test split's rows, and the threshold's when costs are given. */
  predictions: Predictions;
  threshold: number;
  costs: TrainedModel['costs'];
  card: Scorecard;
}

export function scoreTest(input: TrainInput, data: TrainingData, plan: Pick<SearchPlan, 'kfold' | 'pool'>, final: FinalFit): TestScore {
  const { task, split } = data;
  const costsGiven = task === 'binary' && input.spec.costs;
  // Only the rows something reads are scored: the test split, and the threshold's rows when costs are given.
  const thresholdRows = costsGiven ? (plan.kfold ? plan.pool : split.validation) : new Int32Array(0);
  const scored = thresholdRows.length > 0 ? Int32Array.from(new Set([...thresholdRows, ...split.test])).sort() : split.test;
  const predictions = predictOn(final.fitted, final.enc, data, scored);
  let threshold = 0.5;
  let costs: TrainedModel['costs'] = null;
  if (input.spec.costs && thresholdRows.length > 0) {
    const labels = Int32Array.from(thresholdRows, (i) => data.labels[i]!);
    const positive = positiveColumn(predictions.proba!, 2);
    const choice = chooseThreshold(
      labels,
      Float64Array.from(thresholdRows, (i) => positive[i]!),
      input.spec.costs,
    );
    threshold = choice.threshold;
    const chosenOn = plan.kfold ? 'training rows (k-fold)' : final.refit.mode === 'full' ? 'validation split (also fitted by the refit)' : 'validation split';
    costs = { ...choice, chosenOn };
  }
  const card = scorecard(task, data.classes.length, data.labels, data.targets, predictions, split.test, data.slices, {
    threshold,
    minGroupSize: input.spec.governance.minGroupSize ?? 30,
    protectedAttributes: input.spec.governance.protected ?? [],
  });
  if (costsGiven) card.metrics.expected_cost = expectedCost(input.spec.costs!, data, split.test, predictions, threshold);
  return { predictions, threshold, costs, card };
}

/** Mean cost per test row of the binary decisions at `threshold`; null without test rows. */
function expectedCost(c: NonNullable<TrainInput['spec']['costs']>, data: TrainingData, rows: Int32Array, p: Predictions, threshold: number): number | null {
  let total = 0;
  for (const i of rows) {
    const y = data.labels[i]!;
    const yhat = p.proba![i * 2 + 1]! >= threshold ? 1 : 0;
    total += y === 1 ? (yhat === 1 ? c.tp : c.fn) : yhat === 1 ? c.fp : c.tn;
  }
  return rows.length > 0 ? total / rows.length : null;
}

/** For a binary classifier, what CBPE needs to estimate performance before labels arrive (calibrated on test rows). */
export function cbpeOf(data: TrainingData, test: TestScore): CbpeReference | undefined {
  if (data.task !== 'binary') return undefined;
  const rows = data.split.test;
  return cbpeReference(
    Float64Array.from(rows, (i) => test.predictions.proba![i * 2 + 1]!),
    Int32Array.from(rows, (i) => data.labels[i]!),
    test.threshold,
  );
}
