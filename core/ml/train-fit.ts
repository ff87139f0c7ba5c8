// The train stage's fits: one candidate on given rows (trees on the encoded matrix, linear models on the sparse
// design), the encodings each algorithm asks for, and the final model of training.refit — the search's own fit
// kept, or the best candidate fitted again.
import type { Progress } from '../data/ingest';
import { encode, encodedRows, fitEncodingPlan, type EncodingChoice } from '../features/encode';
import { encodeLinear } from '../features/encode-linear';
import type { FeaturePlan } from '../features/plan';
import type { Algorithm, PipelineSpec } from '../spec';
import { fitGbdt, planCategories, predictGbdt, type GbdtCheckpoint } from './gbdt';
import type { LinearDesign } from './linear-design';
import { fitLinearPath, isLinear, predictRows } from './linear-train';
import type { EncodingPlan, Matrix, RowSource } from './model';
import type { Predictions } from './scorecard';
import type { Leader, SearchPlan, SearchResult } from './train-search';
import type { Candidate, CheckpointHooks, Fitted, RefitRecord, TrainCheckpoint, TrainInput, TrainStatus } from './train-types';
import { TrainingDataError, type TrainingData } from './training-data';

export async function fit(
  c: Candidate,
  spec: PipelineSpec,
  data: TrainingData,
  m: RowSource | LinearDesign,
  rows: Int32Array,
  gbdt: {
    validation?: { matrix: Matrix; rows: Int32Array };
    onIteration?: (c: GbdtCheckpoint) => Promise<void>;
    resume?: GbdtCheckpoint;
    plan?: EncodingPlan;
  } = {},
  weights?: Float64Array,
): Promise<Fitted> {
  const sampleWeights = weights ? Float64Array.from(rows, (i) => weights[i]!) : undefined;
  if (c.algorithm === 'gbdt') {
    if ('hot' in m) throw new Error('a GBDT fits on the encoded rows, not the linear design');
    const classification = data.task !== 'regression';
    const target = classification
      ? { labels: Int32Array.from(rows, (i) => data.labels[i]!), classes: data.classes }
      : { targets: Float64Array.from(rows, (i) => data.targets[i]!) };
    const validation =
      gbdt.validation && gbdt.validation.rows.length > 0
        ? {
            matrix: gbdt.validation.matrix,
            ...(classification
              ? { labels: Int32Array.from(gbdt.validation.rows, (i) => data.labels[i]!) }
              : { targets: Float64Array.from(gbdt.validation.rows, (i) => data.targets[i]!) }),
          }
        : undefined;
    const model = await fitGbdt(
      m,
      target,
      { maxIter: spec.training.gbdt.maxIter, learningRate: c.learningRate, maxLeaves: c.maxLeaves, minSamplesLeaf: c.minSamplesLeaf, seed: spec.training.seed },
      {
        ...(gbdt.plan ? { categories: planCategories(gbdt.plan) } : {}),
        ...(validation ? { validation } : {}),
        ...(sampleWeights ? { sampleWeights } : {}),
        ...(gbdt.onIteration ? { onIteration: gbdt.onIteration, checkpointEvery: 10 } : {}),
        ...(gbdt.resume ? { resume: gbdt.resume } : {}),
      },
    );
    return { model, predict: (x) => (classification ? { proba: predictGbdt(model, x) } : { values: predictGbdt(model, x) }) };
  }
  if (!('hot' in m)) throw new Error(`${c.algorithm} fits on the linear design, not the dense matrix`);
  return fitLinearPath(c.algorithm, [c.l2], data, m, rows, weights)[0]!;
}

export function choicesFor(plan: FeaturePlan, selected: string[], spec: PipelineSpec, algorithm: Algorithm): Record<string, EncodingChoice> {
  const kinds = new Map(plan.features.map((f) => [f.name, f.kind]));
  const out: Record<string, EncodingChoice> = {};
  for (const name of selected) {
    const given = spec.features.encodings?.[name];
    const asked = typeof given === 'object' ? given.encoding : given;
    const kind = kinds.get(name);
    // Trees take numbers as they are (missing values routed by the trees) and categories as codes they split
    // by sets; linear models need numbers scaled and categories one-hot.
    const encoding =
      asked ?? (algorithm === 'gbdt' ? (kind === 'categorical' ? 'category' : 'passthrough') : kind === 'categorical' ? 'onehot' : 'standardize');
    if (encoding === 'standardize' && kind === 'categorical')
      throw new TrainingDataError(`features.encodings.${name}: a categorical feature cannot be standardized; use onehot or ordinal`);
    out[name] =
      encoding === 'onehot'
        ? { encoding, topK: spec.features.topK ?? 20 }
        : typeof given === 'object'
          ? { encoding: 'ordinal', order: given.order }
          : { encoding: encoding as EncodingChoice['encoding'] };
  }
  return out;
}

/** The final model, the encoding plan it reads, and how it was obtained. */
export interface FinalFit {
  fitted: Fitted;
  enc: EncodingPlan;
  refit: RefitRecord;
}

/**
 * training.refit — reuse: the search's model (training split, early-stopped on validation), kept from the
 * search when this attempt fitted it, else fitted again the same way; full: the best candidate fitted on
 * train + validation (a GBDT at the iteration count early stopping chose). A GBDT fit snapshots itself
 * every 10 iterations, so a retried attempt continues where this one stopped.
 */
export async function fitFinal(
  input: TrainInput,
  data: TrainingData,
  plan: SearchPlan,
  search: SearchResult,
  resumed: TrainCheckpoint,
  hooks: { progress: Progress; status: (status: TrainStatus) => void; checkpoint?: CheckpointHooks },
): Promise<FinalFit> {
  const { split } = data;
  const { best, trials } = search;
  const requested = input.spec.training.refit;
  const mode = requested === 'auto' ? (plan.kfold ? 'full' : 'reuse') : requested;
  if (mode === 'reuse' && plan.kfold)
    throw new TrainingDataError('training.refit "reuse" needs training.validation.strategy "holdout": a k-fold search fits no model to reuse');
  const finalRows =
    mode === 'full'
      ? plan.pool.length === split.train.length + split.validation.length
        ? plan.pool
        : Int32Array.from([...split.train, ...split.validation].sort((a, b) => a - b))
      : split.train;
  const { score: _bestScore, iterations: bestIterations, ...bestCandidate } = best;
  void _bestScore;
  const finalSpec =
    mode === 'full' && bestIterations !== undefined
      ? { ...input.spec, training: { ...input.spec.training, gbdt: { ...input.spec.training.gbdt, maxIter: Math.max(1, bestIterations) } } }
      : input.spec;
  const reused = mode === 'reuse' ? reusable(input, data, plan, search) : undefined;
  const enc = reused?.enc ?? fitEncodingPlan(data.features, choicesFor(input.plan, input.selected, input.spec, best.algorithm), finalRows);
  let fitted: Fitted;
  if (reused?.fitted) {
    fitted = reused.fitted;
  } else {
    hooks.status({ phase: 'refit' });
    // Linear models fit on the sparse design and need no validation rows (no early stopping).
    const linear = isLinear(best.algorithm);
    const finalValidation = mode === 'reuse' && !linear ? { matrix: encode(enc, data.features, split.validation), rows: split.validation } : undefined;
    fitted = await fit(
      bestCandidate as Candidate,
      finalSpec,
      data,
      linear ? encodeLinear(enc, data.features, finalRows) : encodedRows(enc, data.features, finalRows),
      finalRows,
      {
        plan: enc,
        ...(finalValidation ? { validation: finalValidation } : {}),
        onIteration: async (c: GbdtCheckpoint) => {
          hooks.status({ phase: 'refit', iteration: c.iteration, maxIter: finalSpec.training.gbdt.maxIter });
          await hooks.checkpoint?.save({ trials, final: c });
        },
        ...(resumed.final && JSON.stringify(resumed.trials) === JSON.stringify(trials) ? { resume: resumed.final } : {}),
      },
      plan.weights,
    );
  }
  const refit: RefitRecord = {
    requested,
    mode,
    reusedSearchModel: reused?.fitted !== undefined,
    rows: finalRows.length,
    ...(fitted.model.kind === 'gbdt' ? { iterations: fitted.model.bestIteration } : {}),
  };
  hooks.progress(
    refit.reusedSearchModel
      ? "final model: the search's fit (training.refit reuse)"
      : `final model: fitted on ${finalRows.length} rows (training.refit ${mode})`,
  );
  return { fitted, enc, refit };
}

/**
 * What training.refit "reuse" keeps of the search. A search on a subsample (training.searchRows) fitted fewer
 * rows than the final model gets: nothing. A linear trial comes from its search's l2 path, solved again the same
 * way when a retried attempt resumed the trials (deterministic), so the search's linear model is always there.
 */
function reusable(input: TrainInput, data: TrainingData, plan: SearchPlan, search: SearchResult): Leader | undefined {
  const { best } = search;
  if (plan.searchPool !== plan.pool) return undefined;
  if (best.algorithm !== 'gbdt') {
    const choices = choicesFor(input.plan, input.selected, input.spec, best.algorithm);
    const kept = plan.linearTrial(best.algorithm, best.l2, 0, choices, plan.searchPool, data.split.validation);
    return { trial: best, fitted: kept.fitted, enc: kept.plan };
  }
  return search.leader?.trial === best ? search.leader : undefined;
}

/** The hyperparameters the registry and `mlops runs` show (a GBDT's with the iteration early stopping kept). */
export function paramsOf(model: Fitted['model']): Record<string, unknown> {
  return model.kind === 'gbdt' ? { ...model.params, bestIteration: model.bestIteration } : { ...model.params };
}

/** The model's predictions on `rows`, laid out by row index like predictions on every row (other rows NaN). */
export function predictOn(fitted: Fitted, enc: EncodingPlan, data: TrainingData, rows: Int32Array): Predictions {
  const p = predictRows(fitted, enc, data.features, rows);
  const total = data.rows;
  const scatter = (src: Float64Array, width: number): Float64Array => {
    const out = new Float64Array(total * width).fill(NaN);
    for (let k = 0; k < rows.length; k++) for (let c = 0; c < width; c++) out[rows[k]! * width + c] = src[k * width + c]!;
    return out;
  };
  return p.proba ? { proba: scatter(p.proba, data.classes.length) } : { values: scatter(p.values!, 1) };
}
