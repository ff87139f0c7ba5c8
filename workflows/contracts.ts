// The names and shapes that cross a process boundary, defined once: workflow types and ids, signals, queries,
// updates, search attributes, failure types, and the inputs and results of the workflows. Workflows, activities,
// the CLI and the tests all import them from here. Bundled into the workflow sandbox: no I/O, types only from
// elsewhere.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TargetDeployment } from '../core/export/targets';
import type { TrainedModel } from '../core/ml/train';
import type { MonitorDriftSpec } from '../core/monitor/drift-options';
import type { RolloutStrategy } from '../core/rollout/routing';
import type { PipelineSpec, RolloutTestSpec } from '../core/spec';
import type { AbDecision, AbVerdict } from '../core/stats/ab';
import type { DriftOptions } from '../core/stats/drift';
import type { DriftPartition } from '../core/stats/drift-partitions';
import type { UnitTestReport } from '../infra/pipeline-build';
import type { abTest } from './ab-test';
import type { alertDelivery } from './alerts';
import type { batchScore } from './batch-score';
import type { cicdPipeline } from './cicd';
import type { continuousTrainingPipeline } from './continuous-training';
import type { manualPipeline } from './manual';
import type { materializeFeatures } from './materialize';
import type { driftMonitor } from './monitor';
import type { partitionedDrift } from './partitioned-drift';

// ---------------------------------------------------------------- workflow types

type AnyWorkflow = (input: never) => Promise<unknown>;

/**
 * A workflow by reference without loading its code: a function named like the workflow type, typed like it, that
 * the Temporal client reads the name of (`client.workflow.start(workflows.abTest, …)` checks the arguments).
 */
function workflowRef<F extends AnyWorkflow>(name: string): F {
  const ref = {
    [name]: (): never => {
      throw new Error(`${name} runs on a worker; start it with a Temporal client`);
    },
  }[name]!;
  return ref as unknown as F;
}

/** Every workflow type the worker registers (task queue `mlops`). */
export const workflows = {
  manualPipeline: workflowRef<typeof manualPipeline>('manualPipeline'),
  continuousTrainingPipeline: workflowRef<typeof continuousTrainingPipeline>('continuousTrainingPipeline'),
  cicdPipeline: workflowRef<typeof cicdPipeline>('cicdPipeline'),
  driftMonitor: workflowRef<typeof driftMonitor>('driftMonitor'),
  abTest: workflowRef<typeof abTest>('abTest'),
  materializeFeatures: workflowRef<typeof materializeFeatures>('materializeFeatures'),
  alertDelivery: workflowRef<typeof alertDelivery>('alertDelivery'),
  batchScore: workflowRef<typeof batchScore>('batchScore'),
  partitionedDrift: workflowRef<typeof partitionedDrift>('partitionedDrift'),
};

/** Workflow types whose histories a pipeline version must replay before it is promoted. */
export const REPLAYED_WORKFLOW_TYPES = ['continuousTrainingPipeline', 'manualPipeline', 'driftMonitor', 'abTest', 'cicdPipeline'] as const;

// ---------------------------------------------------------------- workflow ids

/** The one workflow that trains a model at level 1; every trigger signals it with signal-with-start. */
export function ctWorkflowId(model: string): string {
  return `ct-${model}`;
}

/** The drift monitor of a deployed model. */
export function driftWorkflowId(model: string): string {
  return `drift-${model}`;
}

/** The rollout (canary, A/B, shadow) of a model; one at a time. */
export function abWorkflowId(model: string): string {
  return `ab-${model}`;
}

/** A level 0 run: the model and the first characters of the request's id. */
export function manualWorkflowId(model: string, requestId: string): string {
  return `manual-${model}-${requestId.slice(0, 8)}`;
}

/** A level 2 run of one commit. */
export function cicdWorkflowId(buildId: string): string {
  return `cicd-${buildId.slice(0, 12)}`;
}

/** An alert raised outside a workflow (a rollback by hand), delivered by alertDelivery. */
export function alertWorkflowId(alertId: string): string {
  return `alert-${alertId}`;
}

// ---------------------------------------------------------------- search attributes

export const MlopsModel = defineSearchAttributeKey('MlopsModel', SearchAttributeType.KEYWORD);
export const MlopsLevel = defineSearchAttributeKey('MlopsLevel', SearchAttributeType.INT);
export const MlopsTrigger = defineSearchAttributeKey('MlopsTrigger', SearchAttributeType.KEYWORD);

/** The same keys as the Temporal CLI and docker-compose spell their types (`--search-attribute Name=Type`). */
export const SEARCH_ATTRIBUTES = { MlopsModel: 'Keyword', MlopsLevel: 'Int', MlopsTrigger: 'Keyword' } as const;

// ---------------------------------------------------------------- failure types

/** Failure types of ApplicationFailures the product raises; the CLI and the workflows read them by these names. */
export const FailureType = {
  InvalidSpec: 'InvalidSpec',
  InvalidData: 'InvalidData',
  ValidationFailed: 'ValidationFailed',
  AliasConflict: 'AliasConflict',
  InternalError: 'InternalError',
  TrainerUnavailable: 'TrainerUnavailable',
  TrainerTimedOut: 'TrainerTimedOut',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Invalid input: the run fails without retrying and `mlops run --wait` exits 2. */
export const INVALID_INPUT_FAILURES: readonly string[] = [FailureType.InvalidSpec, FailureType.InvalidData, FailureType.ValidationFailed];

/** Failure types the stage activities' retry policy never retries: invalid input, and a lost compare-and-set. */
export const NON_RETRYABLE: string[] = [...INVALID_INPUT_FAILURES, FailureType.AliasConflict];

// ---------------------------------------------------------------- pipeline runs

export const STAGES = ['ingest', 'validate', 'govern', 'features', 'select', 'train', 'evaluate', 'deploy'] as const;
export type Stage = (typeof STAGES)[number];

export type Trigger = 'manual' | 'schedule' | 'drift' | 'data' | 'cicd';

export interface RunInfo {
  trigger?: Trigger;
  reason?: string;
  driftedColumns?: string[];
  reportUri?: string;
  /** Identifies the request that started this run (coalescing ignores its own request). */
  requestId?: string;
  /** Level 0: how long a stage waits for a person before the run ends (default 7 days). */
  approvalTimeout?: string;
}

/** What every pipeline workflow takes: ONE JSON object, a PipelineSpec plus an optional run block. */
export type PipelineInput = Record<string, unknown> & { run?: RunInfo };

/** A request to train a model, signalled to its CT workflow (`retrain`). */
export interface TrainingRequest {
  requestId: string;
  trigger: Trigger;
  reason?: string;
  driftedColumns?: string[];
  reportUri?: string;
  /** The spec to train with (the latest request's spec wins when requests coalesce). */
  spec?: Record<string, unknown>;
}

export type RunStatus = 'deployed' | 'blessed' | 'rejected' | 'skipped';

export interface RunResult {
  workflowId: string;
  runId: string;
  status: RunStatus;
  trigger: Trigger;
  spec: PipelineSpec;
  dataset: { uri: string; sha256: string; sourceSha256: string; rows: number; columns: { name: string; type: string }[]; feedbackRows?: number } | null;
  validation: { passed: boolean; anomalies: { column: string | null; rule: string; severity: string; expected: string; observed: string }[] } | null;
  features: { selected: string[]; dropped: { name: string; reason: string }[] } | null;
  model: {
    name: string;
    version: number;
    uri: string;
    sha256: string;
    algorithm: string;
    params: Record<string, unknown>;
    metrics: TrainedModel['metrics'];
    slices: TrainedModel['slices'];
    importance: TrainedModel['importance'];
    permutationImportance: TrainedModel['permutationImportance'];
    /** How the final model was obtained (training.refit). Absent in runs recorded before it existed. */
    refit?: TrainedModel['refit'];
    /** The seeded sample trained on when the dataset had more labelled rows than training.maxRows. */
    sample?: TrainedModel['sample'];
  } | null;
  blessed: boolean;
  reasons: string[];
  deployed: { alias: string; version: number; strategy?: string; abTest?: string } | null;
  /** deploy.targets beyond the server: bundle, measured costs, and whether the version is blessed for each. */
  targets?: TargetDeployment[];
  /** Per stage (and the total); trainDetail: the train stage's parts (search, refit, export, verify, importance, …). */
  timingsMs: Partial<Record<Stage | 'total', number>> & { trainDetail?: TrainedModel['timingsMs'] };
}

/** A CT run started under another id hands its request to ct-<model> and returns this. */
export interface ForwardedResult {
  status: 'forwarded';
  workflowId: string;
  runId: string;
  reasons: string[];
}

export interface StageState {
  state: 'pending' | 'waiting' | 'running' | 'done' | 'skipped' | 'failed';
  ms?: number;
  /** A failed stage: the failure type and the innermost message of its cause chain. */
  error?: { type: string; message: string };
}

export interface StatusView {
  model: string;
  level: 0 | 1;
  trigger: Trigger;
  stage: Stage | 'done' | null;
  waitingFor: Stage | null;
  stages: Record<string, StageState>;
  artifacts: Record<string, string>;
  pendingRequests: number;
}

export const retrainSignal = defineSignal<[TrainingRequest]>('retrain');
export const statusQuery = defineQuery<StatusView>('status');

export interface AdvanceInput {
  stage?: Stage;
  /** false rejects the waiting stage and ends the run. Default true. */
  approve?: boolean;
  reason?: string;
}
export interface AdvanceResult {
  stage: Stage;
  approved: boolean;
}
export const advanceUpdate = defineUpdate<AdvanceResult, [AdvanceInput]>('advance');

// ---------------------------------------------------------------- drift monitor

export interface MonitorInput {
  model: string;
  interval: number;
  window: number;
  coolDown: number;
  minRows: number;
  correction: 'none' | 'bonferroni' | 'bh';
  /** The drift tests (spec.monitor.method, threshold, columns, base, autoTestMaxValues); absent = auto. */
  method?: MonitorDriftSpec['method'];
  threshold?: MonitorDriftSpec['threshold'];
  columns?: MonitorDriftSpec['columns'];
  base?: MonitorDriftSpec['base'];
  autoTestMaxValues?: number;
  domainClassifier?: MonitorDriftSpec['domainClassifier'];
  /** CBPE alarm: estimated drop below the test split's performance, and what it does. */
  maxEstimatedDrop?: number;
  onEstimatedDrop?: 'alert' | 'retrain';
  maxPerformanceDrop?: number;
  minLabels?: number;
  /** Carried across continue-as-new: when the monitor last asked for a retraining (epoch ms). */
  lastRetrainAt?: number;
  retrains?: number;
  /** Carried across continue-as-new: consecutive checks of a deployed version with too few predictions to judge. */
  unjudged?: number;
}

export interface MonitorStatus {
  model: string;
  checks: number;
  retrains: number;
  last: {
    version: number | null;
    rows: number;
    datasetDrift: boolean;
    driftedColumns: string[];
    reportUri: string | null;
    /** Training/serving skew: rows checked, share with a mismatch, the mismatching features (null: not checked). */
    skew: { checked: number; share: number; skew: boolean; columns: string[] } | null;
    /** The multivariate check: held-out AUC of reference vs current, its permutation threshold, the top features. */
    domain: { auc: number; threshold: number; drift: boolean; top: string[] } | null;
    /** CBPE: estimated accuracy, F1 and ROC-AUC of the window before labels, the metrics that dropped. */
    estimate: { rows: number; estimated: Record<string, number | null>; dropped: string[] } | null;
  } | null;
}

/** `mlops drift` over partitioned data (workflows/partitioned-drift.ts); ids `drift-check-<random>`. */
export interface PartitionedDriftInput {
  referenceUri: string;
  currentUri: string;
  /** Both sides' partitions, numbered together (core/stats/drift-partitions.ts driftPartitions). */
  partitions: DriftPartition[];
  options: DriftOptions & { columns?: string[] };
  delimiter?: string;
  /** Summary activities in flight at once (default PARTITION_WINDOW). */
  window?: number;
  historyLimit?: number;
}

export const driftCheckWorkflowId = (suffix: string): string => `drift-check-${suffix}`;

export const refreshMonitorSignal = defineSignal<[MonitorInput]>('refresh');
export const monitorStatusQuery = defineQuery<MonitorStatus>('status');

// ---------------------------------------------------------------- rollouts

export interface RolloutInput {
  model: string;
  champion: number;
  challenger: number;
  strategy: RolloutStrategy;
  share: number;
  test: RolloutTestSpec;
  /** Who asked: the pipeline run that blessed the challenger. */
  requestedBy: string;
}

export interface AbTestInput extends RolloutInput {
  /** Carried across continue-as-new. */
  startedAt?: string;
  alwaysValidPValue?: number;
  checks?: number;
}

export interface AbTestResult {
  model: string;
  champion: number;
  challenger: number;
  decision: AbDecision | 'ended-by-hand';
  reason: string;
  production: number;
  verdict: AbVerdict | null;
}

export interface AbTestStatus {
  model: string;
  champion: number;
  challenger: number;
  strategy: string;
  share: number;
  startedAt: string | null;
  checks: number;
  last: AbVerdict | null;
}
export const abStatusQuery = defineQuery<AbTestStatus>('status');

// ---------------------------------------------------------------- level 2

export const CICD_STAGES = ['build', 'test', 'replay', 'integration', 'promote'] as const;

export interface CicdInput {
  ref: string;
  /** Sample data for the integration run (default: seattle-weather from the candidate's dependencies). */
  sample?: { uri?: string; target?: string };
  /** false: test only, never promote. */
  promote?: boolean;
  requestedBy?: string;
}

export interface ReplayReport {
  replayed: number;
  failures: { workflowId: string; type: string; message: string }[];
}

export interface IntegrationReport {
  workflowId: string;
  runId: string;
  status: RunStatus | 'failed';
  blessed: boolean;
  model: string;
  version: number | null;
  reasons: string[];
}

export interface CicdResult {
  workflowId: string;
  runId: string;
  ref: string;
  buildId: string | null;
  status: 'promoted' | 'passed' | 'rejected';
  unit: UnitTestReport | null;
  replay: ReplayReport | null;
  integration: IntegrationReport | null;
  previous: string | null;
  retrained: string[];
  reasons: string[];
  timingsMs: Record<string, number>;
}

export interface CicdStatus {
  stage: string | null;
  buildId: string | null;
  done: string[];
}
export const cicdStatusQuery = defineQuery<CicdStatus>('status');
