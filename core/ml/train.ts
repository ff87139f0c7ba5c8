// The train stage: encode the selected features (fit on the training rows), search algorithms and L2
// strengths on validation data (or k-fold), choose the decision threshold from costs, score the test split,
// export encoders + model as one ONNX graph, verify it in onnxruntime against the TypeScript model, measure
// its serving cost, and register it as the model's next version. Same data + spec + seed → same ONNX bytes.
// Each step lives in a module of its own (train-search, train-fit, train-threshold, train-export,
// train-importance, train-register); this file runs them in order.
import { withDatasetTable } from '../data/dataset-table';
import type { Progress } from '../data/ingest';
import { measureLatency } from '../onnx/latency';
import type { ArtifactStore } from '../store/artifacts';
import type { ModelRegistry } from '../store/registry';
import { domainWeights, type DomainWeights } from './reweight';
import { fitFinal, paramsOf } from './train-fit';
import { exportOnnx, verifyExport } from './train-export';
import { finalImportance } from './train-importance';
import { registerModel } from './train-register';
import { describeCandidate, planSearch, runSearch } from './train-search';
import { cbpeOf, scoreTest } from './train-threshold';
import type { CheckpointHooks, TrainedModel, TrainInput, TrainStatus, TrainTimings } from './train-types';
import { prepareTrainingData, TrainingDataError, type TrainingData } from './training-data';

export type { CheckpointHooks, TrainCheckpoint, TrainedModel, TrainInput, TrainStatus } from './train-types';

export interface TrainDeps {
  artifacts: ArtifactStore;
  registry: ModelRegistry;
  onProgress?: Progress;
  /** Structured progress (trial, iteration, best score so far) for heartbeat details. */
  onStatus?: (status: TrainStatus) => void;
  latencyCalls?: number;
  checkpoint?: CheckpointHooks;
  /** Logged features of the model's recent predictions (needed for `input.reweight`). */
  loggedRows?: (model: string, windowSeconds: number) => Promise<Record<string, unknown>[]>;
}

export async function trainStage(input: TrainInput, deps: TrainDeps): Promise<TrainedModel> {
  const progress = deps.onProgress ?? (() => undefined);
  const status = deps.onStatus ?? (() => undefined);
  const { started, timings, timed } = stageClock();
  const seed = input.spec.training.seed;
  const data = await withDatasetTable(deps.artifacts, input.dataset, (conn, table) => prepareTrainingData(conn, table, input.plan, input.selected, input.spec));
  const { split, task } = data;
  progress(`${task} task: ${split.train.length} train, ${split.validation.length} validation, ${split.test.length} test rows`);
  const reweighted = input.reweight ? await shiftWeights(input, data, deps.loggedRows, progress) : undefined;
  const plan = planSearch(input, data, reweighted?.weights, progress);
  const resumed = (await deps.checkpoint?.load()) ?? { trials: [] };
  timed('prepare');
  const hooks = { progress, status, started, ...(deps.checkpoint ? { checkpoint: deps.checkpoint } : {}) };
  const search = await runSearch(input, data, plan, resumed, hooks);
  timed('search');
  const final = await fitFinal(input, data, plan, search, resumed, hooks);
  timed('refit');
  status({ phase: 'evaluate' });
  const test = scoreTest(input, data, plan, final);
  progress(`best ${describeCandidate(search.best)}; test ${plan.metricKey}=${test.card.metrics[plan.metricKey]}`);
  timed('score');
  status({ phase: 'export' });
  const { bytes, signature } = exportOnnx(final, input.model);
  timed('export');
  status({ phase: 'verify' });
  await verifyExport(bytes, data, test.predictions, seed, progress);
  timed('verify');
  const latency = await measureLatency(bytes, data.features, deps.latencyCalls ?? 500);
  const trainingMs = Date.now() - started;
  timed('latency');
  status({ phase: 'importance' });
  const { importance, permutation } = finalImportance(data, plan, final, seed);
  timed('importance');
  status({ phase: 'register' });
  // What this model records beside what every trainer records, in the registry and in the result alike.
  const own = {
    algorithm: search.best.algorithm,
    params: paramsOf(final.fitted.model),
    importance,
    permutationImportance: permutation.importance,
    refit: final.refit,
    ...(reweighted ? { reweight: reweighted.summary } : {}),
    ...(data.sample ? { sample: data.sample } : {}),
  };
  const cbpe = cbpeOf(data, test);
  const mismatch = (sha256: string): string => `retraining produced ${sha256}: training is not reproducible`;
  const properties = { ...own, ...(cbpe ? { cbpe } : {}) };
  const registered = await registerModel({ input, data, bytes, signature, test, searchRows: plan.searchPool.length, properties, mismatch }, deps);
  progress(`registered ${input.model} v${registered.version} (${bytes.length} bytes)`);
  timed('register');
  return {
    ...registered,
    ...own,
    permutationRows: permutation.rows,
    timingsMs: timings,
    costs: test.costs,
    trials: search.trials,
    searchCutShort: search.searchCutShort,
    primaryMetric: plan.metricKey,
    latency,
    trainingMs,
  };
}

/** Wall time of the stage's parts: `timed(part)` books the time since the previous call to that part. */
function stageClock(): { started: number; timings: TrainTimings; timed: (part: keyof TrainTimings) => void } {
  const started = Date.now();
  const timings = {} as TrainTimings;
  let lap = started;
  const timed = (part: keyof TrainTimings): void => {
    const now = Date.now();
    timings[part] = now - lap;
    lap = now;
  };
  return { started, timings, timed };
}

async function shiftWeights(input: TrainInput, data: TrainingData, loggedRows: TrainDeps['loggedRows'], progress: Progress): Promise<DomainWeights> {
  if (!loggedRows) throw new Error('training with reweight needs access to the prediction log');
  const current = await loggedRows(input.model, input.reweight!.windowSeconds);
  if (current.length === 0)
    throw new TrainingDataError(
      `monitor.onDrift reweight: model ${input.model} logged no predictions in the last ${input.reweight!.windowSeconds} s to reweight towards`,
    );
  const weights = domainWeights(data.features, data.rows, current);
  progress(`reweighted training rows by a domain classifier (AUC ${weights.summary.domainAuc}, effective rows ${weights.summary.effectiveRows})`);
  return weights;
}
