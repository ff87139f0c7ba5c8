// The train stage's types: its input, the candidates and trials of the search, the checkpoint a retried
// attempt resumes from, its progress for heartbeats, and the trained model it returns.
import type { DatasetRef } from '../data/ingest';
import type { FeaturePlan } from '../features/plan';
import type { OnnxLatency } from '../onnx/latency';
import type { OnnxSignature } from '../onnx/signature';
import type { Algorithm, PipelineSpec, RefitChoice, Task } from '../spec';
import type { ArtifactRef } from '../store/artifacts';
import type { GbdtCheckpoint } from './gbdt';
import type { LinearDesign } from './linear-design';
import type { GbdtModel, LinearModel, Matrix } from './model';
import type { ReweightSummary } from './reweight';
import type { TrainingSample } from './training-sample';
import type { Metrics, Predictions, Scorecard } from './scorecard';
import type { ThresholdChoice } from './threshold';

export interface TrainInput {
  model: string;
  /** Idempotency key of the registering run (workflow id / run id). */
  runKey: string;
  dataset: DatasetRef;
  plan: FeaturePlan;
  planRef: ArtifactRef;
  selected: string[];
  spec: PipelineSpec;
  /** monitor.onDrift "reweight": weigh training rows by how much they look like the last `windowSeconds` of traffic. */
  reweight?: { windowSeconds: number };
}

export type Candidate =
  { algorithm: 'logistic' | 'ridge'; l2: number } | { algorithm: 'gbdt'; learningRate: number; maxLeaves: number; minSamplesLeaf: number };

/** A finished search trial; `iterations`: the boosting iterations early stopping kept (holdout GBDT). */
export type Trial = Candidate & { score: number; iterations?: number };

/** Where the train stage is, for heartbeat details (the Temporal UI shows them) and `mlops run --wait`. */
export interface TrainStatus {
  phase: 'search' | 'refit' | 'evaluate' | 'export' | 'verify' | 'importance' | 'register';
  trial?: number;
  trials?: number;
  /** Boosting iterations done so far in the current fit, of at most maxIter. */
  iteration?: number;
  maxIter?: number;
  /** The best validation score so far. */
  best?: { metric: string; score: number };
}

/** How the final model was obtained (spec training.refit). */
export interface RefitRecord {
  requested: RefitChoice;
  /** reuse: the search's model (fitted on the training split); full: refitted on train + validation. */
  mode: 'reuse' | 'full';
  /** True when the search's fitted model itself was kept (no second fit at all). */
  reusedSearchModel: boolean;
  rows: number;
  /** Boosting iterations of the final GBDT fit. */
  iterations?: number;
}

/** Wall time of the train stage's parts, in ms (the run result's timingsMs.trainDetail). */
export type TrainTimings = Record<'prepare' | 'search' | 'refit' | 'score' | 'export' | 'verify' | 'latency' | 'importance' | 'register', number>;

/** Permutation importance re-scores a seeded sample of at most this many test rows. */
export const PERMUTATION_MAX_ROWS = 10_000;
/** The ONNX check scores a seeded sample of at most this many test rows (all of them below that). */
export const VERIFY_MAX_ROWS = 100_000;

/** What a retried train attempt resumes from: finished trials, and the final GBDT fit's last snapshot. */
export interface TrainCheckpoint {
  trials: Trial[];
  final?: GbdtCheckpoint;
}

export interface CheckpointHooks {
  load: () => Promise<TrainCheckpoint | undefined>;
  save: (c: TrainCheckpoint) => Promise<void>;
}

export interface TrainedModel {
  name: string;
  version: number;
  uri: string;
  sha256: string;
  task: Task;
  classes: string[];
  /** A built-in algorithm, or `external:<framework>` for a model from the user's own trainer. */
  algorithm: Algorithm | `external:${string}`;
  params: Record<string, unknown>;
  metrics: Metrics;
  slices: Scorecard['slices'];
  fairness: Scorecard['fairness'];
  confusion?: number[][];
  importance: Record<string, number>;
  /** Drop of the primary metric on (a seeded sample of) the test split when each feature is shuffled. */
  permutationImportance: Record<string, number>;
  /** Test rows permutation importance was computed on (at most PERMUTATION_MAX_ROWS). */
  permutationRows?: number;
  /** Built-in trainers only (an external trainer's fit is its own). */
  refit?: RefitRecord;
  timingsMs?: TrainTimings;
  threshold: number;
  costs: (ThresholdChoice & { chosenOn: string }) | null;
  trials: Trial[];
  /** The search stopped at training.timeBudgetSeconds before trying every candidate. */
  searchCutShort: boolean;
  primaryMetric: string;
  latency: OnnxLatency;
  sizeBytes: number;
  trainingMs: number;
  /** `search`: the rows the search's trials fit on (fewer than train with training.searchRows). */
  rows: { train: number; validation: number; test: number; droppedMissingTarget: number; search: number };
  signature: OnnxSignature;
  codeVersion: string;
  /** Present when the rows were reweighted towards recent traffic (monitor.onDrift "reweight"). */
  reweight?: ReweightSummary;
  /** Present when the dataset had more labelled rows than training.maxRows: the seeded sample trained on. */
  sample?: TrainingSample;
}

/** Linear models also predict on the sparse design (linear-train.ts), which is what they are scored on. */
export type Fitted = { model: LinearModel | GbdtModel; predict: (m: Matrix) => Predictions; predictDesign?: (d: LinearDesign) => Predictions };
