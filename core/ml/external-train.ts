// The train stage for a model trained outside TypeScript (training.external), in two halves around the
// trainer's own activity: `prepareExternal` writes the train and validation splits (never the test split) as
// content-addressed Parquet and builds the trainer's input; `registerExternal` checks the ONNX it wrote against
// the contract, scores it on the held-out test split, and registers it as the built-in trainers' models are.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataColumn } from '../data/columns';
import { withDatasetTable } from '../data/dataset-table';
import { ident, literal, withDuckDB } from '../data/duckdb';
import type { Progress } from '../data/ingest';
import { feedsFromColumns } from '../onnx/feeds';
import { measureLatency } from '../onnx/latency';
import { createOnnxScorer, type OnnxScorer } from '../onnx/score';
import { OUTPUT } from '../onnx/signature';
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { ModelRegistry } from '../store/registry';
import { externalAlgorithm, type ExternalTrainInput, type ExternalTrainResult } from './external';
import { checkExternalOnnx } from './external-onnx';
import { permutationImportance } from './permutation';
import { positiveColumn, scorecard, type Predictions } from './scorecard';
import { lowerIsBetter } from './search-metric';
import { chooseThreshold } from './threshold';
import type { TrainedModel, TrainInput } from './train-types';
import { registerModel, sha256Of } from './train-register';
import { scorerFor, trainingMetric } from './train-search';
import { prepareTrainingData, type TrainingData } from './training-data';

export type ExternalStageInput = Omit<TrainInput, 'runKey' | 'reweight'>;

export interface ExternalPlan {
  /** The `train` activity's input, exactly as the trainer receives it. */
  input: ExternalTrainInput;
  splits: { train: ArtifactRef; validation: ArtifactRef };
}

/** Rows of the selected feature columns plus the target, in row order, as Parquet (one thread: stable bytes). */
async function writeSplit(conn: DuckDBConnection, data: TrainingData, target: string, rows: Int32Array, file: string): Promise<void> {
  const table = '__mlops_split';
  const cols = data.features;
  const targetType = data.task === 'regression' ? 'DOUBLE' : 'VARCHAR';
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${table} (${[...cols.map((c) => `${ident(c.name)} ${c.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'}`), `${ident(target)} ${targetType}`].join(', ')})`,
  );
  const appender = await conn.createAppender(table);
  try {
    for (const i of rows) {
      for (const c of cols) appendValue(appender, c, i);
      if (data.task === 'regression') appender.appendDouble(data.targets[i]!);
      else appender.appendVarchar(data.classes[data.labels[i]!]!);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  await conn.run(`COPY ${table} TO ${literal(file)} (FORMAT PARQUET, COMPRESSION ZSTD)`);
}

function appendValue(appender: Awaited<ReturnType<DuckDBConnection['createAppender']>>, c: DataColumn, i: number): void {
  if (c.kind === 'numeric') {
    const v = c.values[i]!;
    if (Number.isFinite(v)) appender.appendDouble(v);
    else appender.appendNull();
  } else {
    const v = c.values[i];
    if (v === null || v === undefined) appender.appendNull();
    else appender.appendVarchar(v);
  }
}

export async function prepareExternal(
  input: ExternalStageInput & { runKey: string },
  deps: { artifacts: ArtifactStore; s3: { endpoint: string }; onProgress?: Progress },
): Promise<ExternalPlan> {
  const external = input.spec.training.external;
  if (!external) throw new Error('prepareExternal needs spec.training.external');
  const data = await loadData(input, deps.artifacts);
  const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-external-'));
  try {
    const files = { train: path.join(work, 'train.parquet'), validation: path.join(work, 'validation.parquet') };
    await withDuckDB(
      async (conn) => {
        await writeSplit(conn, data, input.spec.target, data.split.train, files.train);
        await writeSplit(conn, data, input.spec.target, data.split.validation, files.validation);
      },
      { threads: 1 },
    );
    const train = await deps.artifacts.putContent('splits', '.parquet', createReadStream(files.train));
    const validation = await deps.artifacts.putContent('splits', '.parquet', createReadStream(files.validation));
    deps.onProgress?.(`wrote ${data.split.train.length} train and ${data.split.validation.length} validation rows for the trainer on ${external.taskQueue}`);
    // One output location per run, so a retried trainer overwrites its own attempt and nothing else.
    const runHash = createHash('sha256').update(input.runKey).digest('hex').slice(0, 16);
    return {
      input: {
        model: input.model,
        task: data.task,
        target: input.spec.target,
        features: data.features.map((f) => ({ name: f.name, type: f.kind })),
        train: { uri: train.uri },
        validation: { uri: validation.uri },
        ...(data.task === 'regression' ? {} : { classes: data.classes }),
        params: external.params,
        metric: trainingMetric(data.task, input.spec).metric,
        seed: input.spec.training.seed,
        output: { uri: deps.artifacts.uri(`external/${input.model}/${runHash}/model.onnx`) },
        s3: { endpoint: deps.s3.endpoint, bucket: deps.artifacts.bucket },
      },
      splits: { train, validation },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function loadData(input: ExternalStageInput, artifacts: ArtifactStore): Promise<TrainingData> {
  return withDatasetTable(artifacts, input.dataset, (conn, table) => prepareTrainingData(conn, table, input.plan, input.selected, input.spec));
}

/** Scores `rows` with the session; the predictions array covers every row of the data (others left 0). */
async function predictRows(scorer: OnnxScorer, data: TrainingData, columns: DataColumn[], rows: Int32Array, into?: Predictions): Promise<Predictions> {
  const out = await scorer.score(feedsFromColumns(scorer.inputs, columns, rows));
  if (data.task === 'regression') {
    const values = into?.values ?? new Float64Array(data.rows);
    const got = out[OUTPUT.value] as Float32Array;
    rows.forEach((r, k) => (values[r] = got[k]!));
    return { values };
  }
  const c = data.classes.length;
  const proba = into?.proba ?? new Float64Array(data.rows * c);
  const got = out[OUTPUT.probabilities] as Float32Array;
  rows.forEach((r, k) => {
    for (let j = 0; j < c; j++) proba[r * c + j] = got[k * c + j]!;
  });
  return { proba };
}

/** The predictions of `rows` alone, in their order, out of predictions laid out by row index (predictRows). */
function predictionsOf(data: TrainingData, rows: Int32Array, p: Predictions): Predictions {
  if (data.task === 'regression') return { values: Float64Array.from(rows, (i) => p.values![i]!) };
  const c = data.classes.length;
  return { proba: Float64Array.from({ length: rows.length * c }, (_, k) => p.proba![rows[Math.floor(k / c)]! * c + (k % c)]!) };
}

export interface ExternalRegistration {
  plan: ExternalPlan;
  result: ExternalTrainResult;
  /** The trainer's ONNX bytes as it wrote them. */
  onnx: Uint8Array;
  trainer: { taskQueue: string };
}

/** Who fitted the model, as the registry records it. */
function trainerRecord(reg: ExternalRegistration): Record<string, unknown> {
  return {
    taskQueue: reg.trainer.taskQueue,
    framework: reg.result.framework,
    ...(reg.result.codeVersion ? { codeVersion: reg.result.codeVersion } : {}),
    ...(reg.result.identity ? { identity: reg.result.identity } : {}),
    onnxUri: reg.result.uri,
    onnxSha256: sha256Of(reg.onnx),
  };
}

export async function registerExternal(
  input: ExternalStageInput & { runKey: string },
  reg: ExternalRegistration,
  deps: { artifacts: ArtifactStore; registry: ModelRegistry; onProgress?: Progress; latencyCalls?: number },
): Promise<TrainedModel> {
  const progress = deps.onProgress ?? (() => undefined);
  const started = Date.now();
  const data = await loadData(input, deps.artifacts);
  const { bytes, signature } = await checkExternalOnnx(reg.onnx, data.features, data.task, data.classes);
  progress(`the trainer's ONNX meets the contract (${signature.inputs.length} inputs, outputs ${signature.outputs.map((o) => o.name).join(', ')})`);
  const { split, task } = data;
  const { metric, key } = trainingMetric(task, input.spec);
  const score = scorerFor(task, data, metric, input.spec.costs);
  const scorer = await createOnnxScorer(bytes);
  let permutation: Record<string, number>;
  let predictions: Predictions;
  try {
    predictions = await predictRows(scorer, data, data.features, split.test);
    // Permutation importance scores synchronously: a first pass collects the permuted columns (seeded, so
    // the second pass asks for the same ones in the same order), they are scored, a second pass reads the scores.
    const asked: DataColumn[][] = [];
    permutationImportance(data.features, split.test, (columns) => (asked.push(columns), 0), lowerIsBetter(metric), input.spec.training.seed);
    const scores: number[] = [];
    for (const columns of asked) scores.push(score(split.test, predictionsOf(data, split.test, await predictRows(scorer, data, columns, split.test))));
    let k = 0;
    permutation = permutationImportance(data.features, split.test, () => scores[k++]!, lowerIsBetter(metric), input.spec.training.seed);
    if (task === 'binary' && input.spec.costs && split.validation.length > 0) await predictRows(scorer, data, data.features, split.validation, predictions);
  } finally {
    await scorer.release();
  }
  let threshold = 0.5;
  let costs: TrainedModel['costs'] = null;
  if (task === 'binary' && input.spec.costs && split.validation.length > 0) {
    const rows = split.validation;
    const choice = chooseThreshold(
      Int32Array.from(rows, (i) => data.labels[i]!),
      Float64Array.from(rows, (i) => positiveColumn(predictions.proba!, 2)[i]!),
      input.spec.costs,
    );
    threshold = choice.threshold;
    costs = { ...choice, chosenOn: 'validation split' };
  }
  const card = scorecard(task, data.classes.length, data.labels, data.targets, predictions, split.test, data.slices, {
    threshold,
    minGroupSize: input.spec.governance.minGroupSize ?? 30,
    protectedAttributes: input.spec.governance.protected ?? [],
  });
  progress(`test ${key}=${card.metrics[key]} (computed by the pipeline on ${split.test.length} held-out rows)`);
  const latency = await measureLatency(bytes, data.features, deps.latencyCalls ?? 500);
  const algorithm = externalAlgorithm(reg.result.framework);
  // No model-specific importance exists for a foreign model: permutation importance stands in for it.
  const own = {
    algorithm,
    params: reg.result.params,
    importance: permutation,
    permutationImportance: permutation,
    ...(data.sample ? { sample: data.sample } : {}),
  };
  const mismatch = (sha256: string): string => `the trainer's model now has ${sha256}: a retried trainer must write the same model`;
  const properties = { ...own, trainer: trainerRecord(reg), splits: reg.plan.splits };
  const test = { predictions, threshold, card };
  const registered = await registerModel({ input, data, bytes, signature, test, searchRows: split.train.length, properties, mismatch }, deps);
  progress(`registered ${input.model} v${registered.version} (${algorithm}, ${bytes.length} bytes)`);
  return {
    ...registered,
    ...own,
    costs,
    trials: [],
    searchCutShort: false,
    primaryMetric: key,
    latency,
    trainingMs: Date.now() - started,
  };
}
