// To add a field: one line in its section below — a core/spec-fields.ts builder, `.default(v)` (echoed) or `.optional()`,
// and `.describe()` — then `npm run schemas`; the type, checks, defaults, echo and JSON Schema all follow from it.
//
// The PipelineSpec: what a user (or the Temporal UI's Start Workflow form) asks a pipeline to do. Only
// `data.uri` and `target` are required; `parseSpec` fills in every default, so the run result can echo the
// spec exactly as it ran. Refusals name every wrong field and what is expected. No I/O: workflows parse too.
import { z } from 'zod';
import { webhooksSchema } from './alerts/webhooks';
import { derivationLabel, featureSpecSchema } from './features/spec';
import { SEARCH_METRICS, SEARCH_METRICS_BY_TASK } from './ml/search-metric';
import { MonitorSpecError, parseMonitorDrift } from './monitor/drift-options';
import { flag, int, names, nonEmpty, num, oneOf, parseWith, refuse, section, text, withKey } from './spec-fields';
import { DRIFT_METHODS } from './stats/drift-settings';
import { JENSEN_SHANNON_BASES } from './stats/jensen-shannon';

export const TASKS = ['binary', 'multiclass', 'regression'] as const;
export type Task = (typeof TASKS)[number];
export const ALGORITHMS = ['logistic', 'ridge', 'gbdt'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
/**
 * The final model: reuse = the search's fit on the training split (holdout only); full = the best candidate
 * fitted again on train + validation (a GBDT at the iteration count early stopping chose); auto = reuse after
 * a holdout search, full after k-fold.
 */
export const REFIT_CHOICES = ['auto', 'reuse', 'full'] as const;
export type RefitChoice = (typeof REFIT_CHOICES)[number];
export const DEPLOY_STRATEGIES = ['replace', 'canary', 'ab', 'shadow'] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];
/** Deployment targets: the model server, and exported bundles (core/export) for edge devices and browsers. */
export const DEPLOY_TARGETS = ['server', 'edge', 'browser'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

export class SpecError extends Error {
  override name = 'SpecError';
  /** Every refusal, one per wrong field (the message holds them one per line). */
  readonly messages: string[];
  constructor(messages: string | string[]) {
    const list = typeof messages === 'string' ? [messages] : messages;
    super(list.join('\n'));
    this.messages = list;
  }
}

/** A model name usable as a registry name, search attribute and workflow id part. */
const MODEL_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;

function duration(fallback: string) {
  const error = 'a duration like "30s", "5m" or "2h"';
  return z.string({ error }).trim().regex(DURATION, { error }).default(fallback).describe('a duration as Temporal takes it ("30s", "5m", "2h")');
}

const data = section({
  uri: text('the path, file:// or s3:// URI of the training data; a directory, a glob or an s3:// prefix ending in / is a partitioned input'),
  format: oneOf(['csv', 'json', 'parquet']).optional().describe('default: from the file name'),
  delimiter: z.string({ error: 'one character' }).length(1, { error: 'one character' }).optional(),
  keys: names().optional().describe('columns that identify a row (training/serving skew checks)'),
  feedback: flag().optional().describe("add the model's logged predictions that got feedback labels to the training data (default true)"),
  maxFeedbackShare: num(0, 1)
    .default(0.5)
    .describe('largest share of feedback rows in a retraining set (labelled traffic is the traffic the model acted on); 1 = no cap'),
  partitionRows: int(1_000, 1e9)
    .default(2_000_000)
    .describe('a single file with more rows is split into partitions of about this many rows, ingested and summarized in parallel'),
});

const governance = section({
  prohibited: names().default([]),
  protected: names().default([]),
  license: text().optional().describe("the dataset's license or terms name, recorded in lineage"),
  allowedPurposes: names().optional().describe("purposes the data's terms allow (when given, any other purpose is refused)"),
  prohibitedPurposes: names().optional(),
  purpose: text().optional().describe("what this run's model is for"),
  minGroupSize: int(1, 1e9).default(30),
  minGroupShare: num(0, 1).default(0.01),
  onSmallGroup: oneOf(['warn', 'fail']).default('warn'),
  logProtected: oneOf(['hash', 'drop']).default('hash').describe('how the prediction log keeps protected attributes: salted hash or not at all'),
});

const selection = section({
  maxMissingFraction: num(0, 1).default(0.5),
  maxTopShare: num(0, 1).default(0.995).describe('a categorical feature whose most frequent value covers this share is near-constant'),
  maxCorrelation: num(0, 1).default(0.95),
  sampleRows: int(100, 1e8).default(200_000).describe('rows used for correlations and top shares'),
  topK: int(1, 10_000).optional().describe('keep only the top-k features by model importance'),
});

const validation = section({
  minRows: int(1, 1e12).default(10),
  maxMissingFraction: num(0, 1).default(0.5),
  maxUnexpectedFraction: num(0, 1).default(0.01),
  maxOutOfRangeFraction: num(0, 1).default(0.01),
});

const external = section({
  taskQueue: text('the task queue the trainer polls'),
  params: z.looseObject({}, { error: 'an object' }).default({}).describe('given to the trainer as they are'),
  timeout: duration('2h'),
  heartbeat: duration('5m'),
  scheduleTimeout: duration('10m').describe('how long the train task may wait for a trainer to pick it up'),
}).describe("train in the user's own code: ONE activity `train` on this task queue (docs/trainers.md)");

const training = section({
  algorithms: z
    .array(oneOf(ALGORITHMS), { error: `a list of ${ALGORITHMS.join(', ')}` })
    .default([])
    .describe('default: by task and data size'),
  l2: nonEmpty(z.number({ error: 'a non-negative number' }).gte(0, { error: 'a non-negative number' }), 'a non-empty list of non-negative numbers')
    .default([0.01, 0.1, 1, 10])
    .describe('L2 strengths tried by the search'),
  gbdt: section({
    maxIter: int(1, 10_000).default(100).describe('boosting iterations (early-stopped on validation data)'),
    learningRate: nonEmpty(num(1e-4, 1), 'a non-empty list of numbers').default([0.1]),
    maxLeaves: nonEmpty(int(2, 4096), 'a non-empty list of numbers').default([31]),
    minSamplesLeaf: nonEmpty(int(1, 1e7), 'a non-empty list of numbers').default([20]),
  }).prefault({}),
  trials: int(1, 1000).default(8).describe('trials of the search (reproducible for a given seed)'),
  timeBudgetSeconds: num(1, 1e7).nullable().default(null).describe('stop the search after this many seconds (the result records it); null = no limit'),
  searchRows: int(100, 1e9).nullable().default(null).describe("fit the search's trials on a seeded, stratified subsample of this many rows; null = all"),
  maxRows: int(100, 1e9)
    .default(5_000_000)
    .describe(
      'train on at most this many labelled rows: above it, on a seeded sample of this many (stratified by class for classification), drawn before the rows are read. Training needs about 0.35 GB (linear) to 0.55 GB (gbdt) of worker memory per million rows of 20 features',
    ),
  validation: section({
    strategy: oneOf(['holdout', 'kfold']).default('holdout'),
    folds: int(2, 20).default(5),
    validationFraction: num(0.05, 0.5).default(0.2),
    testFraction: num(0.05, 0.5).default(0.2),
  }).prefault({}),
  refit: oneOf(REFIT_CHOICES).default('auto').describe('reuse the search fit (holdout only), fit the best again on train + validation (full), or auto'),
  metric: oneOf(SEARCH_METRICS)
    .optional()
    .describe(
      'the metric the search ranks candidates by: roc_auc, average_precision, log_loss, f1, accuracy, expected_cost (needs costs); rmse, mae, r2 for regression. Default: roc_auc, log_loss or rmse by task',
    ),
  seed: int(0, 2 ** 32 - 1).default(42),
  external: external.optional(),
}).superRefine((t, ctx) => {
  if (t.refit === 'reuse' && t.validation.strategy === 'kfold') {
    refuse(
      ctx,
      ['refit'],
      'is "reuse" but training.validation.strategy is "kfold": a k-fold search fits no model on all the training rows to reuse; use "full" or "auto"',
    );
  }
});

const costs = section({
  fp: num(0, 1e12).default(1),
  fn: num(0, 1e12).default(1),
  tp: num(-1e12, 1e12).default(0),
  tn: num(-1e12, 1e12).default(0),
}).describe('business costs: the decision threshold minimizes expected cost on validation data (binary only)');

const gates = section({
  min: z
    .record(z.string(), z.number({ error: 'a number' }), { error: 'an object of metric → number' })
    .default({})
    .describe('minimum per metric (e.g. {"roc_auc": 0.7}); for error metrics (rmse, mae, log_loss, …) a maximum'),
  maxRegression: z
    .record(z.string(), section({ absolute: num(0, 1e12).optional(), relative: num(0, 1).optional() }), {
      error: 'an object of metric → {absolute?, relative?}',
    })
    .default({})
    .describe('largest allowed drop against the production model, per metric: absolute and/or relative (0.02 = 2%)'),
  maxFairnessGap: num(0, 1).nullable().default(null).describe('largest demographic parity or TPR difference over protected groups'),
  maxP99LatencyMs: num(0, 1e6).nullable().default(null),
  maxBundleBytes: z
    .union([int(1, 1e12), section({ edge: int(1, 1e12).optional(), browser: int(1, 1e12).optional() })], {
      error: 'a byte count, or {edge?, browser?} byte counts',
    })
    .nullable()
    .default(null)
    .describe('largest bundle a deploy target may receive (deploy.targets edge and browser), for all or per target'),
  maxEdgeP99Ms: num(0, 1e6).nullable().default(null).describe('largest single-row p99 latency of the edge bundle, measured at deploy'),
});

const rolloutTest = section({
  alpha: num(1e-6, 0.5).default(0.05),
  power: num(0.5, 0.9999).default(0.8),
  minimumDetectableEffect: num(0.0001, 0.5).default(0.02).describe('absolute accuracy difference worth detecting'),
  rule: oneOf(['sequential', 'fixed'])
    .default('sequential')
    .describe('sequential: mixture SPRT at every interval; fixed: one z-test at the planned sample size'),
  minSamples: int(1, 1e9).default(100),
  interval: num(1, 86_400).default(60).describe('seconds between checks'),
  maxDuration: num(1, 365 * 86_400)
    .default(7 * 86_400)
    .describe('seconds until an undecided test keeps the champion'),
}).describe("the abTest workflow's statistics: outcome = a prediction its feedback label confirms");

const deployShape = {
  alias: z
    .string({ error: 'a lower-case alias name' })
    .regex(/^[a-z][a-z0-9_-]{0,62}$/, { error: 'a lower-case alias name' })
    .default('production'),
  strategy: oneOf(DEPLOY_STRATEGIES)
    .default('replace')
    .describe('replace: take the alias; canary/ab: serve `share` of the traffic as challenger while abTest decides; shadow: see a copy, answer nobody'),
  share: num(0, 1).optional().describe('default 0.5 for ab, else 0.1'),
  test: rolloutTest.prefault({}),
  targets: nonEmpty(oneOf(DEPLOY_TARGETS), `a list of ${DEPLOY_TARGETS.join(', ')}`)
    .default(['server'])
    .describe('where the deploy stage puts a blessed model: the model server, and exported bundles for edge devices and browsers with their costs measured'),
};
const deploy = section(deployShape)
  .transform((d) => withKey(deployShape, d, 'share', d.share ?? (d.strategy === 'ab' ? 0.5 : 0.1)) as typeof d & { share: number })
  .superRefine((d, ctx) => {
    if ((d.strategy === 'canary' || d.strategy === 'ab') && (d.share <= 0 || d.share >= 1)) {
      refuse(ctx, ['share'], `must be a share of traffic strictly between 0 and 1 for ${d.strategy}, got ${d.share}`);
    }
    if (!d.targets.includes('server'))
      refuse(
        ctx,
        ['targets'],
        `must include "server": the model server is always deployed (edge and browser bundles come in addition), got ${JSON.stringify(d.targets)}`,
      );
    if (new Set(d.targets).size !== d.targets.length) refuse(ctx, ['targets'], `names a target twice: ${JSON.stringify(d.targets)}`);
  });

const monitor = section({
  enabled: flag().default(true),
  interval: num(1, 86_400 * 30)
    .default(300)
    .describe('seconds between checks'),
  window: num(1, 86_400 * 365)
    .default(3600)
    .describe('seconds of predictions each check reads'),
  coolDown: num(0, 86_400 * 365).default(3600),
  minRows: int(1, 1e9).default(50),
  correction: oneOf(['none', 'bonferroni', 'bh']).default('none'),
  maxPerformanceDrop: num(0, 1)
    .default(0.05)
    .describe('concept drift: how far live accuracy (or RMSE, relative) from feedback labels may fall below evaluation'),
  minLabels: int(1, 1e9).default(30).describe('fewest feedback labels in the window for a performance verdict'),
  onDrift: oneOf(['retrain', 'drop-drifted', 'reweight']).default('retrain'),
  maxSkew: num(0, 1)
    .default(0.01)
    .describe('training/serving skew (needs data.keys): share of checked rows with a mismatching feature above which it is reported'),
  method: oneOf(DRIFT_METHODS).default('auto').describe('the drift test on every column it fits (auto picks for the others)'),
  threshold: z
    .union([z.number(), z.record(z.string(), z.number({ error: 'a number' }))], { error: 'a number, or an object of numbers per method' })
    .nullable()
    .default(null)
    .describe("the method's threshold (alpha for ks/chisquare/ztest, a distance otherwise), or one per method; null = defaults"),
  columns: z
    .record(z.string(), section({ method: oneOf(DRIFT_METHODS).optional(), threshold: z.number({ error: 'a number' }).optional() }), {
      error: 'an object {column: {method?, threshold?}}',
    })
    .default({})
    .describe('per-column method and threshold'),
  base: oneOf(JENSEN_SHANNON_BASES).default('e').describe("Jensen–Shannon logarithm base; e keeps auto's 0.1 threshold on Evidently's scale"),
  autoTestMaxValues: int(0, 1e9)
    .default(1000)
    .describe('auto: p-value tests when the smaller sample (normally the window) has at most this many values, distances beyond'),
  domainClassifier: section({
    enabled: flag().default(true),
    alpha: num(1e-6, 0.5).default(0.01).describe('significance level: the false-alarm rate on calm traffic'),
    permutations: int(19, 100_000).default(999),
  })
    .prefault({})
    .describe('multivariate drift: held-out AUC of a reference-vs-current classifier against label permutations'),
  maxEstimatedDrop: num(0, 1).default(0.05).describe('CBPE (binary): largest drop of estimated accuracy, F1 or ROC-AUC below the test split before an alarm'),
  onEstimatedDrop: oneOf(['alert', 'retrain']).default('alert').describe('what an estimated drop does besides the alert'),
})
  .superRefine((m, ctx) => {
    try {
      parseMonitorDrift(m);
    } catch (err) {
      if (err instanceof MonitorSpecError) refuse(ctx, [], `spec.${err.message}`, true);
      else throw err;
    }
  })
  .describe('the drift monitor started by every deploy');

const alerts = section({
  webhooks: webhooksSchema.default([]).describe('told about runs, deploys, drift and rollouts (besides MLOPS_ALERT_WEBHOOKS)'),
}).describe('absent when not given');

/** Every field of the spec, in the order the spec echoes them. */
const specShape = {
  name: z
    .string({ error: '1-63 of a-z 0-9 _ . - starting with a letter or digit' })
    .regex(MODEL_NAME, { error: '1-63 of a-z 0-9 _ . - starting with a letter or digit' })
    .optional()
    .describe('the model name; default: from data.uri and target'),
  // Absent data reads as {} so the message names data.uri, the field that is missing.
  data: data.prefault({} as z.input<typeof data>),
  target: text('the column to predict'),
  task: oneOf(TASKS).optional().describe('inferred from the target column when absent'),
  time: text().optional().describe('the event-time column'),
  features: featureSpecSchema.prefault({}).describe('derivations, enrichments, crosses, encodings and feature sets'),
  governance: governance.prefault({}),
  selection: selection.prefault({}),
  validation: validation.prefault({}),
  training: training.prefault({}),
  slices: names().default([]).describe('slices reported besides every protected attribute (column names)'),
  costs: costs.nullable().default(null),
  gates: gates.prefault({}),
  deploy: deploy.prefault({}),
  monitor: monitor.prefault({}),
  alerts: alerts.optional(),
};

const specObject = section(specShape, { noun: 'a spec field' });

/** The pipeline spec schema: input as users write it, output with every default filled in. */
export const pipelineSpecSchema = specObject
  .superRefine((s, ctx) => {
    const metric = s.training.metric;
    if (metric !== undefined && s.task !== undefined && !(SEARCH_METRICS_BY_TASK[s.task] as readonly string[]).includes(metric)) {
      refuse(ctx, ['training', 'metric'], `must be one of ${SEARCH_METRICS_BY_TASK[s.task].join(', ')} for a ${s.task} task, got ${JSON.stringify(metric)}`);
    }
    if (metric === 'expected_cost' && s.costs === null)
      refuse(ctx, ['training', 'metric'], '"expected_cost" needs spec.costs: {"fp": …, "fn": …}, the cost of each kind of error');
    if (!s.features.sets) return;
    // data.uri holds the labelled events: each joins the feature values as of its own time.
    if (s.time === undefined)
      refuse(ctx, ['time'], 'is required with features.sets: the event-time column of data.uri (each event joins the feature values as of that time)');
    if (s.features.entity === s.target)
      refuse(ctx, ['features', 'entity'], `${JSON.stringify(s.features.entity)} is the target; name the events' entity-key column`);
    if (s.features.entity === s.time) refuse(ctx, ['features', 'entity'], `and spec.time name the same column ${JSON.stringify(s.time)}`);
  })
  .transform((s) => withKey(specShape, s, 'name', s.name ?? defaultName(s.data.uri, s.target)) as typeof s & { name: string });

export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type TrainingSpec = PipelineSpec['training'];
export type ExternalTrainerSpec = NonNullable<TrainingSpec['external']>;
export type GateSpec = PipelineSpec['gates'];
export type RolloutTestSpec = PipelineSpec['deploy']['test'];

/** Keys a pipeline input may carry besides the spec: the run block (trigger) and an editor's `$schema`. */
const NOT_SPEC = new Set(['run', '$schema']);

/** A pipeline input as a file or the Start Workflow form holds it: the spec, `$schema` and the run block. */
export const pipelineInputSchema = section(
  {
    $schema: z.string().optional().describe('the JSON Schema editors check this file against (ignored by mlops)'),
    ...specShape,
    run: z
      .looseObject({
        trigger: oneOf(['manual', 'schedule', 'drift', 'data', 'cicd']).default('manual'),
        reason: z.string().optional(),
        driftedColumns: z.array(z.string()).optional(),
        reportUri: z.string().optional(),
      })
      .optional()
      .describe('why this run started; set by schedules, the drift monitor and CI/CD'),
  },
  { noun: 'a spec field' },
).meta({
  title: 'temporal-mlops pipeline spec',
  description: 'What a pipeline run trains, checks and deploys. Only data.uri and target are required; every default is echoed in the run result.',
});

export function defaultName(uri: string, target: string): string {
  const base = uri
    .replace(/[?#].*$/, '')
    .split('/')
    .pop()!
    .replace(/\.[^.]*$/, '');
  return (
    `${base}-${target}`
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 63) || 'model'
  );
}

/** Validates a pipeline input and fills in every default; a SpecError names every wrong field. */
export function parseSpec(raw: unknown): PipelineSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SpecError('the spec must be a JSON object with at least data.uri and target');
  const fields = Object.fromEntries(Object.entries(raw).filter(([k]) => !NOT_SPEC.has(k)));
  const result = parseWith(pipelineSpecSchema, fields, { root: 'spec', label: derivationLabel });
  if (!result.ok) throw new SpecError(result.messages);
  return result.value;
}
