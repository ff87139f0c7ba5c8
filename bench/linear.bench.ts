// Logistic regression: fit speed on 1M × 20 synthetic rows, test ROC-AUC against scikit-learn on a real
// dataset (Berndt's CPS 1985 wages, predicting union membership) with the same split and encoded matrix, and
// fit time against scikit-learn on the training rows of the 10M-row mixed table (bench/mixed-table.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readColumns } from '../core/data/columns';
import { literal, withDuckDB } from '../core/data/duckdb';
import { encodingWidth, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../core/features/encode';
import { encodeLinear } from '../core/features/encode-linear';
import type { LinearDesign } from '../core/ml/linear-design';
import { fitLogisticDesign, predictProbaDesign } from '../core/ml/logistic-design';
import { MIXED_CATEGORICAL, MIXED_NUMERIC, MIXED_TARGET, mixedTableFile } from './mixed-table';
import { fitLogistic, predictPositive } from '../core/ml/logistic';
import { rocAuc } from '../core/ml/metrics';
import type { EncodingPlan, Matrix } from '../core/ml/model';
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
      const out =
        execFileSync(sklearnPython(), [YARDSTICK, file, String(1 / L2)])
          .toString()
          .trim()
          .split('\n')
          .pop() ?? '';
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

// ---- the mixed table vs scikit-learn -------------------------------------------------------------------

const MIXED_ROWS = Number(process.env.LINEAR_BENCH_ROWS ?? 10_000_000);
const MIXED_L2 = 0.01;
const MIXED_TOL = 1e-8;
const MIXED_SEED = 42;

/** The table's features and label, the pipeline's default 60/20/20 stratified split, and its default encoding. */
async function mixedDesigns(): Promise<{ plan: EncodingPlan; train: LinearDesign; test: LinearDesign; trainY: Int32Array; testY: Int32Array }> {
  const file = await mixedTableFile(MIXED_ROWS);
  const batch = await withDuckDB((conn) =>
    readColumns(conn, `read_parquet(${literal(file)})`, [
      ...MIXED_NUMERIC.map((name) => ({ name, kind: 'numeric' as const })),
      ...MIXED_CATEGORICAL.map((name) => ({ name, kind: 'categorical' as const })),
      { name: MIXED_TARGET, kind: 'numeric' as const },
    ]),
  );
  const label = batch.columns.pop()!;
  if (label.kind !== 'numeric') throw new Error(`${file}: the label ${MIXED_TARGET} is not numeric`);
  const y = Int32Array.from(label.values);
  const columns = batch.columns as FeatureColumn[];
  const { train, test } = holdoutSplit(y.length, { validation: 0.2, test: 0.2, seed: MIXED_SEED, stratify: y });
  const choices: Record<string, EncodingChoice> = Object.fromEntries(
    columns.map((c) => [c.name, c.kind === 'numeric' ? { encoding: 'standardize' } : { encoding: 'onehot', topK: 20 }]),
  );
  const plan = fitEncodingPlan(columns, choices, train);
  return {
    plan,
    train: encodeLinear(plan, columns, train),
    test: encodeLinear(plan, columns, test),
    trainY: Int32Array.from(train, (r) => y[r]!),
    testY: Int32Array.from(test, (r) => y[r]!),
  };
}

/** The designs as raw little-endian files for the yardstick (bench/yardstick/sklearn_logreg.py --design). */
function writeDesigns(dir: string, plan: EncodingPlan, parts: Record<'train' | 'test', { design: LinearDesign; y: Int32Array }>): void {
  const first = parts.train.design;
  const blockStarts: number[] = [];
  const blockWidths: number[] = [];
  let offset = 0;
  for (const c of plan.columns) {
    const width = encodingWidth(c);
    if (c.kind === 'onehot') {
      blockStarts.push(offset);
      blockWidths.push(width);
    }
    offset += width;
  }
  for (const [part, { design, y }] of Object.entries(parts)) {
    writeFileSync(path.join(dir, `${part}_dense.f32`), new Uint8Array(design.dense.buffer, design.dense.byteOffset, design.dense.byteLength));
    writeFileSync(path.join(dir, `${part}_hot.i32`), new Uint8Array(design.hot.buffer, design.hot.byteOffset, design.hot.byteLength));
    writeFileSync(path.join(dir, `${part}_y.i32`), new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
  }
  const meta = { trainRows: parts.train.design.rows, testRows: parts.test.design.rows, denseCount: first.denseCols.length, blockStarts, blockWidths };
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
}

export const logregMixedVsSklearn: Benchmark = {
  name: 'logreg-fit-time-vs-sklearn-mixed-10m',
  what:
    `Fit time of our binary logistic regression divided by scikit-learn's LogisticRegression(lbfgs) in the same run, on the ` +
    `${(MIXED_ROWS * 0.6).toLocaleString('en-US')} training rows (stratified 60/20/20, seed ${MIXED_SEED}) of the ${MIXED_ROWS.toLocaleString('en-US')}-row ` +
    'mixed table (bench/mixed-table.ts): 10 standardized numerics and 10 categoricals one-hot (top 20 + other), the default ' +
    `encoding; both at l2 = ${MIXED_L2} (C = ${1 / MIXED_L2}) and tol ${MIXED_TOL}, scikit-learn on the sparse OneHotEncoder ` +
    'matrix of the same one-hot codes stacked with the same numerics (bench/yardstick/sklearn_logreg.py --design). The run ' +
    'fails unless |ΔAUC| on the test split ≤ 0.001.',
  unit: 'ratio',
  target: 1.5,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 1),
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    sklearnVersion();
    const { plan, train, test, trainY, testY } = await mixedDesigns();
    const started = process.hrtime.bigint();
    const { model } = fitLogisticDesign(train, trainY, ['0', '1'], { l2: MIXED_L2, tol: MIXED_TOL, maxIter: 200 });
    const ours = Number(process.hrtime.bigint() - started) / 1e9;
    const proba = predictProbaDesign(model, test);
    const auc = rocAuc(
      testY,
      Float64Array.from({ length: test.rows }, (_, r) => proba[2 * r + 1]!),
    );

    const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-logreg-mixed-'));
    try {
      writeDesigns(dir, plan, { train: { design: train, y: trainY }, test: { design: test, y: testY } });
      const out =
        execFileSync(sklearnPython(), [YARDSTICK, '--design', dir, String(1 / MIXED_L2), String(MIXED_TOL)], { maxBuffer: 1 << 20 })
          .toString()
          .trim()
          .split('\n')
          .pop() ?? '';
      const theirs = JSON.parse(out) as { auc: number; fitSeconds: number; iterations: number; width: number; peakRssMb: number };
      if (typeof theirs.auc !== 'number' || typeof theirs.fitSeconds !== 'number') throw new Error(`${YARDSTICK} printed no AUC or fit time: ${out}`);
      const deltaAuc = auc - theirs.auc;
      process.stderr.write(
        `  ${train.rows}/${test.rows} rows, width ${train.width}; fit ours ${ours.toFixed(2)} s (${model.params.iterations} Newton steps, converged ${model.params.converged}) ` +
          `sklearn ${theirs.fitSeconds.toFixed(2)} s (${theirs.iterations} iterations, peak RSS ${theirs.peakRssMb.toFixed(0)} MB); ` +
          `AUC ours ${auc.toFixed(6)} sklearn ${theirs.auc.toFixed(6)} (Δ ${deltaAuc.toExponential(2)})\n`,
      );
      if (!(Math.abs(deltaAuc) <= 0.001)) throw new Error(`ΔAUC ${deltaAuc} is beyond 0.001: ours ${auc}, scikit-learn ${theirs.auc}`);
      return ours / theirs.fitSeconds;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
