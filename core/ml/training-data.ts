// From a dataset and its feature plan to what trainers and evaluators take: the selected feature columns,
// labels (class indices) or regression targets, the slice columns, and the train/validation/test split.
// Deterministic for a given dataset, plan and seed, so train and evaluate see the same split.
import { InvalidInput } from '../errors';
import type { DuckDBConnection } from '@duckdb/node-api';
import { readColumns, type DataColumn } from '../data/columns';
import type { FeaturePlan } from '../features/plan';
import { derivationInputs } from '../features/select-table';
import { computeFeatures } from '../features/stages';
import type { PipelineSpec, Task } from '../spec';
import { holdoutSplit, timeHoldout, type Split } from './splits';
import { sampleTrainingRows, type TrainingSample } from './training-sample';

export interface TrainingData {
  task: Task;
  /** Class labels (classification), sorted. */
  classes: string[];
  /** Class index per row (classification). */
  labels: Int32Array;
  /** Target per row (regression). */
  targets: Float64Array;
  rows: number;
  /** Dropped because the target is missing. */
  droppedRows: number;
  features: DataColumn[];
  /** Protected attributes and declared slices, as strings (null = missing). */
  slices: Record<string, (string | null)[]>;
  split: Split;
  /** With spec.time: each row's timestamp (epoch ms), for time-ordered validation. */
  time?: Float64Array;
  /** Above training.maxRows labelled rows: the seeded sample the rows are (training-sample.ts). */
  sample?: TrainingSample;
}

export class TrainingDataError extends InvalidInput {
  override name = 'TrainingDataError';
  constructor(message: string) {
    super(message, 'spec');
  }
}

/** The rows `keep` of a column; the column itself when `keep` is every row (no copy of a 10M-row column). */
function keepRows(c: DataColumn, keep: Int32Array): DataColumn {
  if (keep.length === c.values.length && (keep.length === 0 || keep[keep.length - 1] === keep.length - 1)) return c;
  if (c.kind === 'numeric') {
    const values = new Float64Array(keep.length);
    for (let k = 0; k < keep.length; k++) values[k] = c.values[keep[k]!]!;
    return { name: c.name, kind: 'numeric', values };
  }
  const values = new Array<string | null>(keep.length);
  for (let k = 0; k < keep.length; k++) values[k] = c.values[keep[k]!] ?? null;
  return { name: c.name, kind: 'categorical', values };
}

/** Class labels sorted numerically when they are all numbers, else as strings. */
function sortClasses(values: string[]): string[] {
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  return [...values].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** A number as the label string it becomes (1 → "1", 1.5 → "1.5"). */
const label = (v: number): string => String(v);

export async function prepareTrainingData(
  conn: DuckDBConnection,
  dataset: string,
  plan: FeaturePlan,
  selected: string[],
  spec: Pick<PipelineSpec, 'task' | 'time' | 'slices' | 'training' | 'governance'>,
): Promise<TrainingData> {
  // Only what training reads: the selected features (derivations from their inputs), the target and slices.
  const sliceNames = [...new Set([...(spec.governance.protected ?? []), ...spec.slices])];
  const needed = new Set([...selected, plan.target, ...sliceNames, ...derivationInputs(plan).map((r) => r.name)]);
  const targetKind = plan.raw.find((r) => r.name === plan.target)?.kind;
  if (!targetKind) throw new TrainingDataError(`the target column ${JSON.stringify(plan.target)} is not in the feature plan`);
  const sampled = await sampleTrainingRows(conn, dataset, {
    target: { name: plan.target, kind: targetKind },
    task: spec.task,
    maxRows: spec.training.maxRows,
    seed: spec.training.seed,
  });
  const table = sampled?.table ?? dataset;
  const { rows: allRows, byName } = await computeFeatures(conn, table, { ...plan, raw: plan.raw.filter((r) => needed.has(r.name)) });
  const target = byName.get(plan.target);
  if (!target) throw new TrainingDataError(`the target column ${JSON.stringify(plan.target)} was not read`);
  // Two passes into a typed array: a JS array of ten million row numbers costs several times the memory.
  const labelled = (i: number): boolean => {
    const v = target.values[i];
    return v !== null && v !== undefined && !(typeof v === 'number' && !Number.isFinite(v));
  };
  let count = 0;
  for (let i = 0; i < allRows; i++) if (labelled(i)) count++;
  const keep = new Int32Array(count);
  for (let i = 0, k = 0; i < allRows; i++) if (labelled(i)) keep[k++] = i;
  const rows = keep.length;
  if (rows < 10) throw new TrainingDataError(`only ${rows} rows have a value in the target ${JSON.stringify(plan.target)}; at least 10 are needed`);

  const targetKept = keepRows(target, keep);
  const distinct = new Set<string>();
  if (targetKept.kind === 'categorical') for (const v of targetKept.values) distinct.add(v!);
  else for (const v of targetKept.values) if (distinct.size <= 1000) distinct.add(label(v));
  let task: Task =
    spec.task ?? (targetKept.kind === 'categorical' ? (distinct.size === 2 ? 'binary' : 'multiclass') : distinct.size === 2 ? 'binary' : 'regression');
  if (task === 'regression' && targetKept.kind === 'categorical')
    throw new TrainingDataError(`task is regression but the target ${JSON.stringify(plan.target)} is not numeric`);
  if (task !== 'regression') {
    if (distinct.size < 2) throw new TrainingDataError(`the target ${JSON.stringify(plan.target)} has one class only`);
    if (distinct.size > 100)
      throw new TrainingDataError(
        `the target ${JSON.stringify(plan.target)} has ${distinct.size > 1000 ? 'over 1000' : distinct.size} classes; use task "regression" or fewer classes`,
      );
    if (task === 'binary' && distinct.size !== 2) task = 'multiclass';
  }
  const classes = task === 'regression' ? [] : sortClasses([...distinct]);
  const index = new Map(classes.map((c, i) => [c, i]));
  const labels = new Int32Array(task === 'regression' ? 0 : rows);
  const targets = task === 'regression' ? (targetKept.values as Float64Array) : new Float64Array(0);
  if (task !== 'regression') {
    for (let i = 0; i < rows; i++) {
      const v = targetKept.values[i]!;
      labels[i] = index.get(typeof v === 'number' ? label(v) : v)!;
    }
  }

  const features = selected.map((name) => {
    const c = byName.get(name);
    if (!c) throw new TrainingDataError(`selected feature ${JSON.stringify(name)} is not in the feature plan`);
    return keepRows(c, keep);
  });

  const missing = sliceNames.filter((n) => !byName.has(n));
  const extra =
    missing.length > 0
      ? (
          await readColumns(
            conn,
            table,
            missing.map((name) => ({ name, kind: 'categorical' as const })),
          )
        ).columns
      : [];
  const slices: Record<string, (string | null)[]> = {};
  for (const name of sliceNames) {
    const c = byName.get(name) ?? extra.find((x) => x.name === name)!;
    const kept = keepRows(c, keep);
    slices[name] = kept.kind === 'categorical' ? kept.values : Array.from(kept.values, (v) => (Number.isFinite(v) ? label(v) : null));
  }

  const v = spec.training.validation;
  let split: Split;
  let time: Float64Array | undefined;
  if (spec.time) {
    const column = (await readColumns(conn, table, [{ name: spec.time, kind: 'date' }])).columns[0]!;
    time = keepRows(column, keep).values as Float64Array;
    split = timeHoldout(time, { validation: v.validationFraction, test: v.testFraction });
  } else {
    split = holdoutSplit(rows, {
      validation: v.validationFraction,
      test: v.testFraction,
      seed: spec.training.seed,
      ...(task !== 'regression' ? { stratify: labels } : {}),
    });
  }
  const droppedRows = sampled ? sampled.unlabelled : allRows - rows;
  return {
    task,
    classes,
    labels,
    targets,
    rows,
    droppedRows,
    features,
    slices,
    split,
    ...(time ? { time } : {}),
    ...(sampled ? { sample: sampled.sample } : {}),
  };
}
