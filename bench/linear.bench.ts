// Logistic regression: fit speed on 1M × 20 synthetic rows, and test ROC-AUC against scikit-learn on a real
// dataset (Berndt's CPS 1985 wages, predicting union membership) with the same split and encoded matrix.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fitLogistic, predictPositive } from '../core/ml/logistic';
import { rocAuc } from '../core/ml/metrics';
import type { Matrix } from '../core/ml/model';
import { holdoutSplit } from '../core/ml/splits';
import { normalFrom, seededRandom } from '../core/random';
import { projectRoot } from '../infra/paths';
import type { Benchmark } from './harness';

const ROWS = 1_000_000;
const WIDTH = 20;

export const logregFit1m: Benchmark = {
  name: 'logreg-fit-1m-x20',
  what:
    'Binary L2 logistic regression (l2 = 1, Newton/IRLS, tol 1e-8) fitted on 1,000,000 × 20 seeded standard-normal ' +
    'features with labels drawn from a known logistic model; only the fit is timed, and the run fails unless it ' +
    'converges and recovers every true coefficient within 0.02.',
  unit: 's',
  target: 10,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: async () => {
    const normal = normalFrom(seededRandom(20240601));
    const uniform = seededRandom(7);
    const truth = Float64Array.from({ length: WIDTH }, (_, j) => 0.8 * Math.sin(j + 1));
    const bias = -0.5;
    const values = new Float64Array(ROWS * WIDTH);
    const labels = new Int32Array(ROWS);
    for (let r = 0; r < ROWS; r++) {
      let z = bias;
      for (let j = 0; j < WIDTH; j++) {
        const v = normal();
        values[r * WIDTH + j] = v;
        z += truth[j]! * v;
      }
      labels[r] = uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const matrix: Matrix = { rows: ROWS, cols: WIDTH, values };
    const started = process.hrtime.bigint();
    const model = fitLogistic(matrix, labels, ['0', '1'], { l2: 1 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const worst = Math.max(...Array.from(truth, (t, j) => Math.abs(model.coefficients[j]! - t)), Math.abs(model.intercepts[0]! - bias));
    if (!model.params.converged || worst > 0.02) {
      throw new Error(`fit is off: converged ${model.params.converged} after ${model.params.iterations} steps, worst coefficient error ${worst}`);
    }
    process.stderr.write(`  ${model.params.iterations} Newton steps, worst coefficient error ${worst.toExponential(2)}\n`);
    return seconds;
  },
};

const WAGES = path.join(projectRoot(), 'node_modules', '@stdlib', 'datasets-berndt-cps-wages-1985', 'data', 'data.csv');
const YARDSTICK = path.join(projectRoot(), 'bench', 'yardstick', 'sklearn_logreg.py');
const NUMERIC = ['education', 'south', 'experience', 'wage', 'age', 'married'];
const CATEGORICAL = ['gender', 'race', 'occupation', 'sector'];
const L2 = 1;

function sklearnPython(): string {
  return process.env.MLOPS_SKLEARN_PYTHON ?? 'python3';
}

/** scikit-learn's version as seen by the yardstick python, or a clear error saying how to get one. */
function sklearnVersion(): string {
  const python = sklearnPython();
  try {
    return execFileSync(python, ['-c', 'import sklearn, numpy; print(sklearn.__version__)'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    throw new Error(
      `scikit-learn is not importable by '${python}' (set by MLOPS_SKLEARN_PYTHON, default python3). It is a yardstick, ` +
        'not a dependency: python3 -m venv /tmp/mlref && /tmp/mlref/bin/pip install scikit-learn numpy, ' +
        'then run with MLOPS_SKLEARN_PYTHON=/tmp/mlref/bin/python',
    );
  }
}

/**
 * The wages table as a model matrix: numeric columns standardized with the training rows' mean and
 * (population) standard deviation, categoricals one-hot over their sorted values; label = union.
 */
function wagesMatrix(): { matrix: Matrix; labels: Int32Array; train: Int32Array; test: Int32Array } {
  const [head, ...lines] = readFileSync(WAGES, 'utf8').trim().split('\n');
  const header = head!.split(',');
  const rows = lines.map((l) => l.split(','));
  const col = (name: string): string[] => {
    const j = header.indexOf(name);
    if (j < 0) throw new Error(`${WAGES}: no column '${name}'`);
    return rows.map((r) => r[j]!);
  };
  const labels = Int32Array.from(col('union'), Number);
  const { train, test } = holdoutSplit(rows.length, { validation: 0, test: 0.3, seed: 42, stratify: labels });

  const columns: Float64Array[] = [];
  for (const name of NUMERIC) {
    const x = Float64Array.from(col(name), Number);
    let mean = 0;
    for (const i of train) mean += x[i]!;
    mean /= train.length;
    let sq = 0;
    for (const i of train) sq += (x[i]! - mean) ** 2;
    const scale = Math.sqrt(sq / train.length) || 1;
    columns.push(x.map((v) => (v - mean) / scale));
  }
  for (const name of CATEGORICAL) {
    const x = col(name);
    for (const category of [...new Set(x)].sort()) columns.push(Float64Array.from(x, (v) => (v === category ? 1 : 0)));
  }
  const width = columns.length;
  const values = new Float64Array(rows.length * width);
  columns.forEach((c, j) => c.forEach((v, r) => (values[r * width + j] = v)));
  return { matrix: { rows: rows.length, cols: width, values }, labels, train, test };
}

function take(matrix: Matrix, labels: Int32Array, idx: Int32Array): { matrix: Matrix; labels: Int32Array } {
  const w = matrix.cols;
  const values = new Float64Array(idx.length * w);
  idx.forEach((r, i) => values.set(matrix.values.subarray(r * w, r * w + w), i * w));
  return { matrix: { rows: idx.length, cols: w, values }, labels: Int32Array.from(idx, (r) => labels[r]!) };
}

export const logregAucVsSklearn: Benchmark = {
  name: 'logreg-auc-vs-sklearn',
  what:
    "Test ROC-AUC of our logistic regression minus scikit-learn's LogisticRegression(C = 1 / l2 = 1) on the same " +
    'stratified 70/30 split (seed 42) and the same encoded matrix of Berndt CPS 1985 wages (534 rows; predict union ' +
    'from 6 standardized numeric columns and one-hot gender, race, occupation, sector).',
  unit: 'ΔAUC',
  target: -0.005,
  better: 'higher',
  runs: 1,
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    sklearnVersion();
    const { matrix, labels, train, test } = wagesMatrix();
    const fitPart = take(matrix, labels, train);
    const testPart = take(matrix, labels, test);
    const model = fitLogistic(fitPart.matrix, fitPart.labels, ['0', '1'], { l2: L2 });
    const ours = rocAuc(testPart.labels, predictPositive(model, testPart.matrix));

    const file = path.join(os.tmpdir(), `mlops-logreg-${process.pid}.csv`);
    const isTest = new Uint8Array(matrix.rows);
    for (const i of test) isTest[i] = 1;
    const lines = [['split', 'label', ...Array.from({ length: matrix.cols }, (_, j) => `f${j}`)].join(',')];
    for (let r = 0; r < matrix.rows; r++) {
      const row = Array.from(matrix.values.subarray(r * matrix.cols, (r + 1) * matrix.cols), String);
      lines.push([isTest[r] ? 'test' : 'train', String(labels[r]), ...row].join(','));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    try {
      const out = execFileSync(sklearnPython(), [YARDSTICK, file, String(1 / L2)]).toString().trim().split('\n').pop() ?? '';
      const parsed: unknown = JSON.parse(out);
      const theirs = typeof parsed === 'object' && parsed !== null && 'auc' in parsed ? parsed.auc : undefined;
      if (typeof theirs !== 'number') throw new Error(`${YARDSTICK} printed no AUC: ${out}`);
      process.stderr.write(`  ours ${ours.toFixed(6)}, sklearn ${theirs.toFixed(6)} (${matrix.cols} features, ${train.length}/${test.length} rows)\n`);
      return ours - theirs;
    } finally {
      rmSync(file, { force: true });
    }
  },
};
