// The PipelineSpec: what a user (or the Temporal UI's Start Workflow form) asks a pipeline to do. Only
// `data.uri` and `target` are required; `parseSpec` fills in every default, so the run result can echo
// the spec exactly as it ran. Errors name the field and what is expected.
import type { GovernanceSpec } from './features/govern';
import type { SelectionSpec } from './features/select';
import { parseWebhooks, WebhookError, type Webhook } from './alerts/webhooks';
import { FeatureSpecError, parseFeatureSpec, type FeatureSpec } from './features/spec';
import { SEARCH_METRICS, SEARCH_METRICS_BY_TASK, type SearchMetric } from './ml/search-metric';
import { MonitorSpecError, parseMonitorDrift, type MonitorDriftSpec } from './monitor/drift-options';

export type Task = 'binary' | 'multiclass' | 'regression';
export type Algorithm = 'logistic' | 'ridge' | 'gbdt';
export const ALGORITHMS: Algorithm[] = ['logistic', 'ridge', 'gbdt'];
/**
 * The final model: reuse = the search's fit on the training split (holdout only); full = the best candidate
 * fitted again on train + validation (a GBDT at the iteration count early stopping chose); auto = reuse after
 * a holdout search, full after k-fold.
 */
export type RefitChoice = 'auto' | 'reuse' | 'full';
export const REFIT_CHOICES: RefitChoice[] = ['auto', 'reuse', 'full'];

export interface TrainingSpec {
  algorithms: Algorithm[];
  /** L2 strengths tried by the search (per algorithm that has one). */
  l2: number[];
  /** Gradient-boosted trees: boosting iterations (early-stopped on validation data) and the grids searched. */
  gbdt: { maxIter: number; learningRate: number[]; maxLeaves: number[]; minSamplesLeaf: number[] };
  /** Number of trials of the search (reproducible for a given seed). */
  trials: number;
  /** Stop the search after this many seconds (the result records a search cut short); null = no limit. */
  timeBudgetSeconds: number | null;
  /**
   * Fit the search's trials on a seeded, class-stratified subsample of this many training rows (the final fit
   * still uses them all); null = all rows.
   */
  searchRows: number | null;
  validation: { strategy: 'holdout' | 'kfold'; folds: number; validationFraction: number; testFraction: number };
  refit: RefitChoice;
  /** The metric the search ranks candidates by (absent: roc_auc, log_loss or rmse by task). */
  metric?: SearchMetric;
  seed: number;
  /** Train in the user's own code: ONE activity `train` on this task queue (docs/trainers.md). */
  external?: ExternalTrainerSpec;
}

/** training.external: where the user's trainer polls, what it is given, and how long it may take. */
export interface ExternalTrainerSpec {
  taskQueue: string;
  params: Record<string, unknown>;
  /** Durations as Temporal takes them ("2h", "5m", "30s"). */
  timeout: string;
  heartbeat: string;
  /** How long the train task may wait for a trainer to pick it up before the run fails. */
  scheduleTimeout: string;
}

export interface GateSpec {
  /** Minimum value per metric (e.g. { roc_auc: 0.7 }). For error metrics (rmse, mae, log_loss, …) it is a maximum. */
  min: Record<string, number>;
  /** Largest allowed drop against the production model, per metric: absolute and/or relative (0.02 = 2%). */
  maxRegression: Record<string, { absolute?: number; relative?: number }>;
  /** Largest allowed fairness gap (demographic parity difference, TPR difference) over protected groups. */
  maxFairnessGap: number | null;
  maxP99LatencyMs: number | null;
}

export interface PipelineSpec {
  name: string;
  data: {
    uri: string; format?: 'csv' | 'json' | 'parquet'; delimiter?: string; keys?: string[];
    /** Add the model's logged predictions that got feedback labels to the training data (default true). */
    feedback?: boolean;
  };
  target: string;
  /** Inferred from the target column when absent. */
  task?: Task;
  time?: string;
  features: FeatureSpec;
  governance: GovernanceSpec;
  selection: SelectionSpec;
  validation: { minRows?: number; maxMissingFraction?: number; maxUnexpectedFraction?: number; maxOutOfRangeFraction?: number };
  training: TrainingSpec;
  /** Slices reported besides every protected attribute (column names). */
  slices: string[];
  /** Business costs: the decision threshold minimizes expected cost on validation data (binary only). */
  costs: { fp: number; fn: number; tp?: number; tn?: number } | null;
  gates: GateSpec;
  /**
   * replace: the blessed model takes the alias. canary / ab: it serves `share` of the traffic (sticky by key)
   * as the challenger while the abTest workflow decides; shadow: it sees a copy of the traffic, answers nobody.
   */
  deploy: { alias: string; strategy: DeployStrategy; share: number; test: RolloutTestSpec };
  /** The drift monitor started by every deploy: checks every `interval` s the predictions of the last `window` s. */
  monitor: {
    enabled: boolean; interval: number; window: number; coolDown: number; minRows: number; correction: 'none' | 'bonferroni' | 'bh';
    /** Concept drift: live accuracy (or RMSE, relative) from feedback labels may fall this far below evaluation. */
    maxPerformanceDrop: number;
    /** Fewest feedback labels in the window for a performance verdict. */
    minLabels: number;
    /** What a drift-triggered run does: retrain as specified, without the drifted features, or with rows reweighted towards recent traffic. */
    onDrift: 'retrain' | 'drop-drifted' | 'reweight';
    /** Training/serving skew (needs data.keys): share of checked rows with any mismatching feature above which it is reported. */
    maxSkew: number;
    /** CBPE (binary classifiers): the largest drop of estimated accuracy, F1 or ROC-AUC below the test split's before an alarm. */
    maxEstimatedDrop: number;
    /** What an estimated drop does: raise the alert only, or also ask for a retraining (trigger drift). */
    onEstimatedDrop: 'alert' | 'retrain';
  } & MonitorDriftSpec;
  /** Webhooks told about runs, deploys, drift and rollouts (besides MLOPS_ALERT_WEBHOOKS); absent when not given. */
  alerts?: { webhooks: Webhook[] };
}

export type DeployStrategy = 'replace' | 'canary' | 'ab' | 'shadow';

/** The abTest workflow's statistics: outcome = a prediction its feedback label confirms. */
export interface RolloutTestSpec {
  alpha: number;
  power: number;
  /** Absolute accuracy difference worth detecting. */
  minimumDetectableEffect: number;
  /** sequential: mixture SPRT, checked at every interval; fixed: one z-test at the power analysis' sample size. */
  rule: 'sequential' | 'fixed';
  minSamples: number;
  /** Seconds between checks. */
  interval: number;
  /** Seconds until an undecided test keeps the champion. */
  maxDuration: number;
}

export class SpecError extends Error {
  override name = 'SpecError';
}

const TOP_FIELDS = ['name', 'data', 'target', 'task', 'time', 'features', 'governance', 'selection', 'validation', 'training', 'slices', 'costs', 'gates', 'deploy', 'monitor', 'alerts'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(field: string, expected: string, got: unknown): never {
  throw new SpecError(`spec.${field} must be ${expected}, got ${JSON.stringify(got)}`);
}

/** How a message names a key: `spec.a.b`, or `spec.a[""]` for a key that is not a plain name. */
function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function object(v: unknown, field: string, fields: string[]): Record<string, unknown> {
  if (v === undefined) return {};
  if (!isRecord(v)) fail(field, 'an object', v);
  for (const k of Object.keys(v)) {
    if (!fields.includes(k)) throw new SpecError(`${keyPath(`spec.${field}`, k)} is not a field of ${field} (fields: ${fields.join(', ')})`);
  }
  return v;
}

function num(v: unknown, field: string, fallback: number, min: number, max: number, integer = false): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(field, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, v);
  }
  return v;
}

function str(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') fail(field, 'a non-empty string', v);
  return v;
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(field, 'a list of names', v);
  return v as string[];
}

function numberMap(v: unknown, field: string): Record<string, number> {
  if (v === undefined) return {};
  if (!isRecord(v)) fail(field, 'an object of metric → number', v);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'number' || !Number.isFinite(x)) fail(keyPath(field, k), 'a number', x);
  return v as Record<string, number>;
}

/** A model name usable as a registry name, search attribute and workflow id part. */
const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;

function externalTrainer(v: unknown): ExternalTrainerSpec {
  const e = object(v, 'training.external', ['taskQueue', 'params', 'timeout', 'heartbeat', 'scheduleTimeout']);
  const taskQueue = str(e.taskQueue, 'training.external.taskQueue');
  if (!taskQueue) fail('training.external.taskQueue', 'the task queue the trainer polls', e.taskQueue);
  if (e.params !== undefined && !isRecord(e.params)) fail('training.external.params', 'an object', e.params);
  const duration = (x: unknown, field: string, fallback: string): string => {
    if (x === undefined) return fallback;
    if (typeof x !== 'string' || !DURATION.test(x.trim())) fail(`training.external.${field}`, 'a duration like "30s", "5m" or "2h"', x);
    return x.trim();
  };
  return {
    taskQueue,
    params: (e.params as Record<string, unknown> | undefined) ?? {},
    timeout: duration(e.timeout, 'timeout', '2h'),
    heartbeat: duration(e.heartbeat, 'heartbeat', '5m'),
    scheduleTimeout: duration(e.scheduleTimeout, 'scheduleTimeout', '10m'),
  };
}

export function defaultName(uri: string, target: string): string {
  const base = uri.replace(/[?#].*$/, '').split('/').pop()!.replace(/\.[^.]*$/, '');
  return `${base}-${target}`.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63) || 'model';
}

export function parseSpec(raw: unknown): PipelineSpec {
  if (!isRecord(raw)) throw new SpecError('the spec must be a JSON object with at least data.uri and target');
  for (const k of Object.keys(raw)) {
    if (k === 'run') continue;
    if (!TOP_FIELDS.includes(k)) throw new SpecError(`${keyPath('spec', k)} is not a spec field (fields: ${TOP_FIELDS.join(', ')})`);
  }
  const data = object(raw.data, 'data', ['uri', 'format', 'delimiter', 'keys', 'feedback']);
  const uri = str(data.uri, 'data.uri');
  if (!uri) throw new SpecError('spec.data.uri is required: the path, file:// or s3:// URI of the training data');
  const target = str(raw.target, 'target');
  if (!target) throw new SpecError('spec.target is required: the column to predict');
  if (data.format !== undefined && !['csv', 'json', 'parquet'].includes(data.format as string)) fail('data.format', 'csv, json or parquet', data.format);
  if (data.delimiter !== undefined && (typeof data.delimiter !== 'string' || data.delimiter.length !== 1)) fail('data.delimiter', 'one character', data.delimiter);
  if (data.feedback !== undefined && typeof data.feedback !== 'boolean') fail('data.feedback', 'true or false', data.feedback);
  const name = str(raw.name, 'name') ?? defaultName(uri, target);
  if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) fail('name', '1-63 of a-z 0-9 _ . - starting with a letter or digit', name);
  if (raw.task !== undefined && !['binary', 'multiclass', 'regression'].includes(raw.task as string)) fail('task', 'binary, multiclass or regression', raw.task);

  let features: FeatureSpec;
  try {
    features = parseFeatureSpec(raw.features);
  } catch (err) {
    if (err instanceof FeatureSpecError) throw new SpecError(`spec.${err.message}`);
    throw err;
  }
  if (features.sets) {
    // data.uri holds the labelled events: each joins the feature values as of its own time.
    if (raw.time === undefined) throw new SpecError('spec.time is required with features.sets: the event-time column of data.uri (each event joins the feature values as of that time)');
    if (features.entity === target) throw new SpecError(`spec.features.entity ${JSON.stringify(features.entity)} is the target; name the events' entity-key column`);
    if (features.entity === raw.time) throw new SpecError(`spec.features.entity and spec.time name the same column ${JSON.stringify(raw.time)}`);
  }
  const g = object(raw.governance, 'governance', ['prohibited', 'protected', 'license', 'allowedPurposes', 'prohibitedPurposes', 'purpose', 'minGroupSize', 'minGroupShare', 'onSmallGroup', 'logProtected']);
  if (g.logProtected !== undefined && g.logProtected !== 'hash' && g.logProtected !== 'drop') fail('governance.logProtected', 'hash or drop', g.logProtected);
  if (g.onSmallGroup !== undefined && g.onSmallGroup !== 'warn' && g.onSmallGroup !== 'fail') fail('governance.onSmallGroup', 'warn or fail', g.onSmallGroup);
  const governance: GovernanceSpec = {
    prohibited: strings(g.prohibited, 'governance.prohibited') ?? [],
    protected: strings(g.protected, 'governance.protected') ?? [],
    license: str(g.license, 'governance.license'),
    allowedPurposes: strings(g.allowedPurposes, 'governance.allowedPurposes'),
    prohibitedPurposes: strings(g.prohibitedPurposes, 'governance.prohibitedPurposes'),
    purpose: str(g.purpose, 'governance.purpose'),
    minGroupSize: num(g.minGroupSize, 'governance.minGroupSize', 30, 1, 1e9, true),
    minGroupShare: num(g.minGroupShare, 'governance.minGroupShare', 0.01, 0, 1),
    onSmallGroup: (g.onSmallGroup as 'warn' | 'fail' | undefined) ?? 'warn',
    logProtected: (g.logProtected as 'hash' | 'drop' | undefined) ?? 'hash',
  };
  const sel = object(raw.selection, 'selection', ['maxMissingFraction', 'maxTopShare', 'maxCorrelation', 'sampleRows', 'topK']);
  const selection: SelectionSpec = {
    maxMissingFraction: num(sel.maxMissingFraction, 'selection.maxMissingFraction', 0.5, 0, 1),
    maxTopShare: num(sel.maxTopShare, 'selection.maxTopShare', 0.995, 0, 1),
    maxCorrelation: num(sel.maxCorrelation, 'selection.maxCorrelation', 0.95, 0, 1),
    sampleRows: num(sel.sampleRows, 'selection.sampleRows', 200_000, 100, 1e8, true),
    ...(sel.topK !== undefined ? { topK: num(sel.topK, 'selection.topK', 0, 1, 10_000, true) } : {}),
  };
  const v = object(raw.validation, 'validation', ['minRows', 'maxMissingFraction', 'maxUnexpectedFraction', 'maxOutOfRangeFraction']);
  const validation = {
    minRows: num(v.minRows, 'validation.minRows', 10, 1, 1e12, true),
    maxMissingFraction: num(v.maxMissingFraction, 'validation.maxMissingFraction', 0.5, 0, 1),
    maxUnexpectedFraction: num(v.maxUnexpectedFraction, 'validation.maxUnexpectedFraction', 0.01, 0, 1),
    maxOutOfRangeFraction: num(v.maxOutOfRangeFraction, 'validation.maxOutOfRangeFraction', 0.01, 0, 1),
  };
  const t = object(raw.training, 'training', ['algorithms', 'l2', 'gbdt', 'trials', 'timeBudgetSeconds', 'searchRows', 'validation', 'refit', 'metric', 'seed', 'external']);
  if (t.metric !== undefined && !SEARCH_METRICS.includes(t.metric as SearchMetric)) fail('training.metric', `one of ${SEARCH_METRICS.join(', ')}`, t.metric);
  if (t.metric !== undefined && raw.task !== undefined) checkMetricFitsTask(t.metric as SearchMetric, raw.task as Task);
  const algorithms = (strings(t.algorithms, 'training.algorithms') ?? []) as Algorithm[];
  for (const a of algorithms) if (!ALGORITHMS.includes(a)) fail('training.algorithms', `a list of ${ALGORITHMS.join(', ')}`, t.algorithms);
  const l2 = t.l2 === undefined ? [0.01, 0.1, 1, 10] : Array.isArray(t.l2) && t.l2.length > 0 && t.l2.every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x)) ? (t.l2 as number[]) : fail('training.l2', 'a non-empty list of non-negative numbers', t.l2);
  const tv = object(t.validation, 'training.validation', ['strategy', 'folds', 'validationFraction', 'testFraction']);
  if (tv.strategy !== undefined && tv.strategy !== 'holdout' && tv.strategy !== 'kfold') fail('training.validation.strategy', 'holdout or kfold', tv.strategy);
  if (t.refit !== undefined && !REFIT_CHOICES.includes(t.refit as RefitChoice)) fail('training.refit', 'auto, reuse or full', t.refit);
  if (t.refit === 'reuse' && tv.strategy === 'kfold') {
    throw new SpecError('training.refit is "reuse" but training.validation.strategy is "kfold": a k-fold search fits no model on all the training rows to reuse; use "full" or "auto"');
  }
  const gb = object(t.gbdt, 'training.gbdt', ['maxIter', 'learningRate', 'maxLeaves', 'minSamplesLeaf']);
  const grid = (v: unknown, field: string, fallback: number[], min: number, max: number, integer: boolean): number[] => {
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.length === 0) fail(field, 'a non-empty list of numbers', v);
    return v.map((x, i) => num(x, `${field}[${i}]`, 0, min, max, integer));
  };
  const training: TrainingSpec = {
    algorithms,
    l2,
    gbdt: {
      maxIter: num(gb.maxIter, 'training.gbdt.maxIter', 100, 1, 10_000, true),
      learningRate: grid(gb.learningRate, 'training.gbdt.learningRate', [0.1], 1e-4, 1, false),
      maxLeaves: grid(gb.maxLeaves, 'training.gbdt.maxLeaves', [31], 2, 4096, true),
      minSamplesLeaf: grid(gb.minSamplesLeaf, 'training.gbdt.minSamplesLeaf', [20], 1, 1e7, true),
    },
    trials: num(t.trials, 'training.trials', 8, 1, 1000, true),
    timeBudgetSeconds: t.timeBudgetSeconds === undefined || t.timeBudgetSeconds === null ? null : num(t.timeBudgetSeconds, 'training.timeBudgetSeconds', 0, 1, 1e7),
    searchRows: t.searchRows === undefined || t.searchRows === null ? null : num(t.searchRows, 'training.searchRows', 0, 100, 1e9, true),
    validation: {
      strategy: (tv.strategy as 'holdout' | 'kfold' | undefined) ?? 'holdout',
      folds: num(tv.folds, 'training.validation.folds', 5, 2, 20, true),
      validationFraction: num(tv.validationFraction, 'training.validation.validationFraction', 0.2, 0.05, 0.5),
      testFraction: num(tv.testFraction, 'training.validation.testFraction', 0.2, 0.05, 0.5),
    },
    refit: (t.refit as RefitChoice | undefined) ?? 'auto',
    ...(t.metric !== undefined ? { metric: t.metric as SearchMetric } : {}),
    seed: num(t.seed, 'training.seed', 42, 0, 2 ** 32 - 1, true),
    ...(t.external !== undefined ? { external: externalTrainer(t.external) } : {}),
  };
  let costs: PipelineSpec['costs'] = null;
  if (raw.costs !== undefined && raw.costs !== null) {
    const c = object(raw.costs, 'costs', ['fp', 'fn', 'tp', 'tn']);
    costs = { fp: num(c.fp, 'costs.fp', 1, 0, 1e12), fn: num(c.fn, 'costs.fn', 1, 0, 1e12), tp: num(c.tp, 'costs.tp', 0, -1e12, 1e12), tn: num(c.tn, 'costs.tn', 0, -1e12, 1e12) };
  }
  if (training.metric === 'expected_cost' && !costs) throw new SpecError('spec.training.metric "expected_cost" needs spec.costs: {"fp": …, "fn": …}, the cost of each kind of error');
  const gt = object(raw.gates, 'gates', ['min', 'maxRegression', 'maxFairnessGap', 'maxP99LatencyMs']);
  const maxRegression: GateSpec['maxRegression'] = {};
  if (gt.maxRegression !== undefined) {
    if (!isRecord(gt.maxRegression)) fail('gates.maxRegression', 'an object of metric → {absolute?, relative?}', gt.maxRegression);
    for (const [metric, r] of Object.entries(gt.maxRegression)) {
      const o = object(r, `gates.maxRegression.${metric}`, ['absolute', 'relative']);
      maxRegression[metric] = {
        ...(o.absolute !== undefined ? { absolute: num(o.absolute, `gates.maxRegression.${metric}.absolute`, 0, 0, 1e12) } : {}),
        ...(o.relative !== undefined ? { relative: num(o.relative, `gates.maxRegression.${metric}.relative`, 0, 0, 1) } : {}),
      };
    }
  }
  const gates: GateSpec = {
    min: numberMap(gt.min, 'gates.min'),
    maxRegression,
    maxFairnessGap: gt.maxFairnessGap === undefined || gt.maxFairnessGap === null ? null : num(gt.maxFairnessGap, 'gates.maxFairnessGap', 1, 0, 1),
    maxP99LatencyMs: gt.maxP99LatencyMs === undefined || gt.maxP99LatencyMs === null ? null : num(gt.maxP99LatencyMs, 'gates.maxP99LatencyMs', 1, 0, 1e6),
  };
  const d = object(raw.deploy, 'deploy', ['alias', 'strategy', 'share', 'test']);
  if (d.strategy !== undefined && !['replace', 'canary', 'ab', 'shadow'].includes(d.strategy as string)) fail('deploy.strategy', 'replace, canary, ab or shadow', d.strategy);
  const strategy = (d.strategy as DeployStrategy | undefined) ?? 'replace';
  const dt = object(d.test, 'deploy.test', ['alpha', 'power', 'minimumDetectableEffect', 'rule', 'minSamples', 'interval', 'maxDuration']);
  if (dt.rule !== undefined && dt.rule !== 'sequential' && dt.rule !== 'fixed') fail('deploy.test.rule', 'sequential or fixed', dt.rule);
  const test: RolloutTestSpec = {
    alpha: num(dt.alpha, 'deploy.test.alpha', 0.05, 1e-6, 0.5),
    power: num(dt.power, 'deploy.test.power', 0.8, 0.5, 0.9999),
    minimumDetectableEffect: num(dt.minimumDetectableEffect, 'deploy.test.minimumDetectableEffect', 0.02, 0.0001, 0.5),
    rule: (dt.rule as 'sequential' | 'fixed' | undefined) ?? 'sequential',
    minSamples: num(dt.minSamples, 'deploy.test.minSamples', 100, 1, 1e9, true),
    interval: num(dt.interval, 'deploy.test.interval', 60, 1, 86_400),
    maxDuration: num(dt.maxDuration, 'deploy.test.maxDuration', 7 * 86_400, 1, 365 * 86_400),
  };
  const share = num(d.share, 'deploy.share', strategy === 'ab' ? 0.5 : 0.1, 0, 1);
  if ((strategy === 'canary' || strategy === 'ab') && (share <= 0 || share >= 1)) fail('deploy.share', `a share of traffic strictly between 0 and 1 for ${strategy}`, share);
  const alias = str(d.alias, 'deploy.alias') ?? 'production';
  if (!/^[a-z][a-z0-9_-]{0,62}$/.test(alias)) fail('deploy.alias', 'a lower-case alias name', alias);
  return {
    name,
    data: {
      uri,
      ...(data.format !== undefined ? { format: data.format as 'csv' | 'json' | 'parquet' } : {}),
      ...(data.delimiter !== undefined ? { delimiter: data.delimiter as string } : {}),
      ...(data.keys !== undefined ? { keys: strings(data.keys, 'data.keys') } : {}),
      ...(data.feedback !== undefined ? { feedback: data.feedback as boolean } : {}),
    },
    target,
    ...(raw.task !== undefined ? { task: raw.task as Task } : {}),
    ...(raw.time !== undefined ? { time: str(raw.time, 'time') } : {}),
    features,
    governance,
    selection,
    validation,
    training,
    slices: strings(raw.slices, 'slices') ?? [],
    costs,
    gates,
    deploy: { alias, strategy, share, test },
    monitor: (() => {
      const m = object(raw.monitor, 'monitor', [
        'enabled', 'interval', 'window', 'coolDown', 'minRows', 'correction', 'maxPerformanceDrop', 'minLabels', 'onDrift', 'maxSkew',
        'method', 'threshold', 'columns', 'base', 'autoTestMaxValues', 'domainClassifier', 'maxEstimatedDrop', 'onEstimatedDrop',
      ]);
      if (m.onEstimatedDrop !== undefined && m.onEstimatedDrop !== 'alert' && m.onEstimatedDrop !== 'retrain') fail('monitor.onEstimatedDrop', 'alert or retrain', m.onEstimatedDrop);
      if (m.onDrift !== undefined && m.onDrift !== 'retrain' && m.onDrift !== 'drop-drifted' && m.onDrift !== 'reweight') fail('monitor.onDrift', 'retrain, drop-drifted or reweight', m.onDrift);
      if (m.enabled !== undefined && typeof m.enabled !== 'boolean') fail('monitor.enabled', 'true or false', m.enabled);
      if (m.correction !== undefined && !['none', 'bonferroni', 'bh'].includes(m.correction as string)) fail('monitor.correction', 'none, bonferroni or bh', m.correction);
      return {
        enabled: (m.enabled as boolean | undefined) ?? true,
        interval: num(m.interval, 'monitor.interval', 300, 1, 86_400 * 30),
        window: num(m.window, 'monitor.window', 3600, 1, 86_400 * 365),
        coolDown: num(m.coolDown, 'monitor.coolDown', 3600, 0, 86_400 * 365),
        minRows: num(m.minRows, 'monitor.minRows', 50, 1, 1e9, true),
        correction: (m.correction as 'none' | 'bonferroni' | 'bh' | undefined) ?? 'none',
        maxPerformanceDrop: num(m.maxPerformanceDrop, 'monitor.maxPerformanceDrop', 0.05, 0, 1),
        minLabels: num(m.minLabels, 'monitor.minLabels', 30, 1, 1e9, true),
        onDrift: (m.onDrift as 'retrain' | 'drop-drifted' | 'reweight' | undefined) ?? 'retrain',
        maxSkew: num(m.maxSkew, 'monitor.maxSkew', 0.01, 0, 1),
        maxEstimatedDrop: num(m.maxEstimatedDrop, 'monitor.maxEstimatedDrop', 0.05, 0, 1),
        onEstimatedDrop: (m.onEstimatedDrop as 'alert' | 'retrain' | undefined) ?? 'alert',
        ...monitorDrift(m),
      };
    })(),
    ...(raw.alerts !== undefined ? { alerts: parseAlerts(raw.alerts) } : {}),
  };
}

function monitorDrift(m: Record<string, unknown>): MonitorDriftSpec {
  try {
    return parseMonitorDrift(m);
  } catch (err) {
    if (err instanceof MonitorSpecError) throw new SpecError(`spec.${err.message}`);
    throw err;
  }
}

/** A metric that belongs to another task (e.g. rmse for binary) fails at parse time when the task is given. */
function checkMetricFitsTask(metric: SearchMetric, task: Task): void {
  const fitting = SEARCH_METRICS_BY_TASK[task];
  if (!fitting.includes(metric)) fail('training.metric', `one of ${fitting.join(', ')} for a ${task} task`, metric);
}

function parseAlerts(raw: unknown): { webhooks: Webhook[] } {
  const a = object(raw, 'alerts', ['webhooks']);
  try {
    return { webhooks: parseWebhooks(a.webhooks ?? [], 'spec.alerts.webhooks') };
  } catch (err) {
    if (err instanceof WebhookError) throw new SpecError(err.message);
    throw err;
  }
}
