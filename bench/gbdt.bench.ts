// Histogram GBDT: fit time of 100 trees × 31 leaves on 100k and 1M × 20 synthetic rows, and test ROC-AUC and fit
// time against scikit-learn's HistGradientBoostingClassifier on real flights (same sample, split and matrix).
import { execFileSync } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readColumns, type DataColumn } from '../core/data/columns';
import { literal, withDuckDB } from '../core/data/duckdb';
import { deriveValue } from '../core/features/derive';
import { encode, fitEncodingPlan, type FeatureColumn } from '../core/features/encode';
import { fitGbdt, predictGbdt } from '../core/ml/gbdt';
import { defaultThreads } from '../core/ml/worker-pool';
import { rocAuc } from '../core/ml/metrics';
import type { GbdtParams, Matrix } from '../core/ml/model';
import { holdoutSplit } from '../core/ml/splits';
import { normalFrom, seededRandom } from '../core/random';
import { projectRoot } from '../infra/paths';
import type { Benchmark } from './harness';

const WIDTH = 20;
const PARAMS: Partial<GbdtParams> = { maxIter: 100, maxLeaves: 31, learningRate: 0.1 };

/** Seeded rows: standard-normal features, labels drawn from a nonlinear logit of six of them. */
function synthetic(rows: number): { matrix: Matrix; labels: Int32Array } {
  const normal = normalFrom(seededRandom(20240601));
  const uniform = seededRandom(7);
  const values = new Float64Array(rows * WIDTH);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const at = r * WIDTH;
    for (let j = 0; j < WIDTH; j++) values[at + j] = normal();
    const x = (j: number): number => values[at + j]!;
    const z = Math.sin(2 * x(0)) + x(1) * x(2) - 0.5 * Math.abs(x(3)) + 0.3 * x(4) + (x(5) > 0.5 ? 1 : 0) - 0.5;
    labels[r] = uniform() < 1 / (1 + Math.exp(-2 * z)) ? 1 : 0;
  }
  return { matrix: { rows, cols: WIDTH, values }, labels };
}

function fitBench(name: string, rows: number, target: number): Benchmark {
  return {
    name,
    what:
      `Binary histogram GBDT (100 iterations, 31 leaves, learning rate 0.1, 255 bins, ${defaultThreads()} histogram thread(s)) ` +
      `fitted on ${rows.toLocaleString('en-US')} × ${WIDTH} seeded standard-normal features with labels from a nonlinear ` +
      'logit; binning and boosting are timed, and the run fails unless training AUC exceeds 0.85.',
    unit: 's',
    target,
    better: 'lower',
    runs: Number(process.env.BENCH_RUNS ?? 3),
    run: async () => {
      const { matrix, labels } = synthetic(rows);
      const started = process.hrtime.bigint();
      const model = await fitGbdt(matrix, { labels, classes: ['0', '1'] }, PARAMS);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const proba = predictGbdt(model, matrix);
      const auc = rocAuc(
        labels,
        Float64Array.from({ length: rows }, (_, r) => proba[2 * r + 1]!),
      );
      if (model.trees.treeClass.length !== 100 || !(auc > 0.85)) throw new Error(`fit is off: ${model.trees.treeClass.length} trees, training AUC ${auc}`);
      process.stderr.write(`  ${model.trees.feature.length} nodes, training AUC ${auc.toFixed(4)}\n`);
      return seconds;
    },
  };
}

export const gbdtFit1m = fitBench('gbdt-1m-x20', 1_000_000, 30);
/** The same at a tenth of the rows: with gbdt-1m-x20, shows that time grows linearly with rows. */
export const gbdtFit100k = fitBench('gbdt-100k-x20', 100_000, 3);

// ---- flights vs scikit-learn ---------------------------------------------------------------------------

const FLIGHTS = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
const YARDSTICK = path.join(projectRoot(), 'bench', 'yardstick', 'sklearn_hgb.py');
const SAMPLE = 500_000;
const SEED = 42;

export function sklearnPython(): string {
  return process.env.MLOPS_SKLEARN_PYTHON ?? 'python3';
}

/** scikit-learn's version as seen by the yardstick python, or a clear error saying how to get one. */
export function sklearnVersion(): string {
  const python = sklearnPython();
  try {
    return execFileSync(python, ['-c', 'import sklearn, pandas, pyarrow; print(sklearn.__version__)'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    throw new Error(
      `scikit-learn (with pandas and pyarrow) is not importable by '${python}' (set by MLOPS_SKLEARN_PYTHON, default python3). ` +
        'It is a yardstick, not a dependency: python3 -m venv /tmp/hgbref && /tmp/hgbref/bin/pip install scikit-learn pandas pyarrow, ' +
        'then run with MLOPS_SKLEARN_PYTHON=/tmp/hgbref/bin/python',
    );
  }
}

/**
 * A seeded sample of SAMPLE flights as raw feature columns: hour, day of week and month of the scheduled time
 * (deriveValue, as training and serving compute them), distance, origin and destination; label delay > 15 min.
 */
async function flightColumns(): Promise<{ columns: FeatureColumn[]; labels: Int32Array }> {
  const batch = await withDuckDB((conn) =>
    readColumns(conn, `read_parquet(${literal(FLIGHTS)})`, [
      { name: 'date', kind: 'date' },
      { name: 'delay', kind: 'numeric' },
      { name: 'distance', kind: 'numeric' },
      { name: 'origin', kind: 'categorical' },
      { name: 'destination', kind: 'categorical' },
    ]),
  );
  const byName = new Map<string, DataColumn>(batch.columns.map((c) => [c.name, c]));
  const numeric = (name: string): Float64Array => {
    const c = byName.get(name);
    if (c?.kind !== 'numeric') throw new Error(`${FLIGHTS}: no numeric column ${name}`);
    return c.values;
  };
  const categorical = (name: string): (string | null)[] => {
    const c = byName.get(name);
    if (c?.kind !== 'categorical') throw new Error(`${FLIGHTS}: no categorical column ${name}`);
    return c.values;
  };
  // Seeded sample without replacement (partial Fisher–Yates), kept in file order.
  const random = seededRandom(SEED);
  const order = Int32Array.from({ length: batch.rows }, (_, i) => i);
  for (let i = 0; i < SAMPLE; i++) {
    const j = i + Math.floor(random() * (batch.rows - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const rows = order.slice(0, SAMPLE).sort();
  const date = numeric('date');
  const part = (op: 'hour' | 'day_of_week' | 'month'): Float64Array =>
    Float64Array.from(rows, (r) => deriveValue({ name: op, op, input: 'date' }, [date[r]!]) as number);
  const pick = (xs: (string | null)[]): (string | null)[] => Array.from(rows, (r) => xs[r] ?? null);
  const delay = numeric('delay');
  const distance = numeric('distance');
  return {
    columns: [
      { name: 'hour', kind: 'numeric', values: part('hour') },
      { name: 'day_of_week', kind: 'numeric', values: part('day_of_week') },
      { name: 'month', kind: 'numeric', values: part('month') },
      { name: 'distance', kind: 'numeric', values: Float64Array.from(rows, (r) => distance[r]!) },
      { name: 'origin', kind: 'categorical', values: pick(categorical('origin')) },
      { name: 'destination', kind: 'categorical', values: pick(categorical('destination')) },
    ],
    labels: Int32Array.from(rows, (r) => (delay[r]! > 15 ? 1 : 0)),
  };
}

interface Comparison {
  ours: { auc: number; fitSeconds: number };
  sklearn: { auc: number; fitSeconds: number; version: string };
}

/** Both models on one seeded 70/30 split of the flights sample and one encoded matrix. */
async function compareWithSklearn(): Promise<Comparison> {
  const version = sklearnVersion();
  const { columns, labels } = await flightColumns();
  const { train, test } = holdoutSplit(labels.length, { validation: 0, test: 0.3, seed: SEED, stratify: labels });
  const plan = fitEncodingPlan(
    columns,
    {
      hour: { encoding: 'passthrough' },
      day_of_week: { encoding: 'passthrough' },
      month: { encoding: 'passthrough' },
      distance: { encoding: 'passthrough' },
      origin: { encoding: 'onehot', topK: 20 },
      destination: { encoding: 'onehot', topK: 20 },
    },
    train,
  );
  const fitPart = encode(plan, columns, train);
  const testPart = encode(plan, columns, test);
  const fitLabels = Int32Array.from(train, (r) => labels[r]!);
  const testLabels = Int32Array.from(test, (r) => labels[r]!);

  const started = process.hrtime.bigint();
  const model = await fitGbdt(fitPart, { labels: fitLabels, classes: ['0', '1'] }, { ...PARAMS, seed: SEED });
  const fitSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const proba = predictGbdt(model, testPart);
  const auc = rocAuc(
    testLabels,
    Float64Array.from({ length: test.length }, (_, r) => proba[2 * r + 1]!),
  );

  const file = path.join(os.tmpdir(), `mlops-gbdt-flights-${process.pid}.csv`);
  try {
    await writeMatrixCsv(file, [
      { split: 'train', matrix: fitPart, labels: fitLabels },
      { split: 'test', matrix: testPart, labels: testLabels },
    ]);
    const out =
      execFileSync(sklearnPython(), [YARDSTICK, file, String(PARAMS.maxIter), String(SEED)], { maxBuffer: 1 << 20 })
        .toString()
        .trim()
        .split('\n')
        .pop() ?? '';
    const parsed: unknown = JSON.parse(out);
    const field = (key: string): number => {
      const v = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[key] : undefined;
      if (typeof v !== 'number') throw new Error(`${YARDSTICK} printed no ${key}: ${out}`);
      return v;
    };
    const result: Comparison = { ours: { auc, fitSeconds }, sklearn: { auc: field('auc'), fitSeconds: field('fitSeconds'), version } };
    process.stderr.write(
      `  ${plan.width} features, ${train.length}/${test.length} rows; AUC ours ${auc.toFixed(5)} sklearn ${result.sklearn.auc.toFixed(5)}; ` +
        `fit ours ${fitSeconds.toFixed(2)} s (${defaultThreads()} threads) sklearn ${result.sklearn.fitSeconds.toFixed(2)} s\n`,
    );
    return result;
  } finally {
    rmSync(file, { force: true });
  }
}

/** header split,label,f0…; NaN written as NaN (pandas reads it as missing). Streamed: the file is tens of MB. */
async function writeMatrixCsv(file: string, parts: { split: string; matrix: Matrix; labels: Int32Array }[]): Promise<void> {
  const out = createWriteStream(file);
  const cols = parts[0]?.matrix.cols ?? 0;
  const write = (s: string): Promise<void> => new Promise((resolve) => (out.write(s) ? resolve() : out.once('drain', () => resolve())));
  await write(`${['split', 'label', ...Array.from({ length: cols }, (_, j) => `f${j}`)].join(',')}\n`);
  for (const { split, matrix, labels } of parts) {
    for (let start = 0; start < matrix.rows; start += 10_000) {
      const lines: string[] = [];
      for (let r = start; r < Math.min(matrix.rows, start + 10_000); r++) {
        lines.push(`${split},${labels[r]},${Array.from(matrix.values.subarray(r * cols, (r + 1) * cols), String).join(',')}`);
      }
      await write(`${lines.join('\n')}\n`);
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

const FLIGHTS_WHAT =
  `on a seeded ${SAMPLE.toLocaleString('en-US')}-flight sample of vega-datasets flights-3m (stratified 70/30 split, seed ${SEED}): ` +
  'predict delay > 15 min from hour, day of week and month of the date, distance (passthrough) and origin and destination ' +
  '(one-hot top 20 + other), 46 columns; both fit 100 iterations × 31 leaves, learning rate 0.1, min 20 rows per leaf, ' +
  'no L2, 255 bins, no early stopping, on the same matrix (scikit-learn HistGradientBoostingClassifier via bench/yardstick/sklearn_hgb.py).';

export const gbdtAucVsSklearn: Benchmark = {
  name: 'gbdt-auc-vs-sklearn-flights',
  what: `Test ROC-AUC of our GBDT divided by scikit-learn's ${FLIGHTS_WHAT}`,
  unit: 'ratio',
  target: 0.99,
  better: 'higher',
  runs: 1,
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    const { ours, sklearn } = await compareWithSklearn();
    return ours.auc / sklearn.auc;
  },
};

export const gbdtFitTimeVsSklearn: Benchmark = {
  name: 'gbdt-fit-time-vs-sklearn-flights',
  what: `Fit time of our GBDT (binning included, ${defaultThreads()} histogram threads) divided by scikit-learn's (all cores) ${FLIGHTS_WHAT}`,
  unit: 'ratio',
  target: 2,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    const { ours, sklearn } = await compareWithSklearn();
    return ours.fitSeconds / sklearn.fitSeconds;
  },
};
