// Histogram GBDT with native categorical splits against scikit-learn's HistGradientBoostingClassifier
// (categorical_features='from_dtype') on the seeded 1M × 20 mixed table (bench/mixed-table.ts): fit time and
// test ROC-AUC, both timed in the same run on the same rows.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readColumns } from '../core/data/columns';
import { literal, withDuckDB } from '../core/data/duckdb';
import { encode, fitEncodingPlan, type EncodingChoice, type FeatureColumn } from '../core/features/encode';
import { fitGbdt, planCategories, predictGbdt } from '../core/ml/gbdt';
import { defaultThreads } from '../core/ml/worker-pool';
import { rocAuc } from '../core/ml/metrics';
import { holdoutSplit } from '../core/ml/splits';
import { projectRoot } from '../infra/paths';
import { sklearnPython, sklearnVersion } from './gbdt.bench';
import type { Benchmark } from './harness';
import { MIXED_CATEGORICAL, MIXED_NUMERIC, MIXED_TARGET, mixedTableFile } from './mixed-table';

const YARDSTICK = path.join(projectRoot(), 'bench', 'yardstick', 'sklearn_hgb_mixed.py');
const SEED = 42;
const THREADS = 2;

interface Side {
  auc: number;
  fitSeconds: number;
  /** CPU time of the fit over all threads: a second view that a busy machine distorts less than wall time. */
  cpuSeconds: number;
  iterations: number;
}

interface Comparison {
  ours: Side;
  sklearn: Side;
}

async function tableColumns(file: string): Promise<{ columns: FeatureColumn[]; labels: Int32Array }> {
  const batch = await withDuckDB((conn) =>
    readColumns(conn, `read_parquet(${literal(file)})`, [
      ...MIXED_NUMERIC.map((name) => ({ name, kind: 'numeric' as const })),
      ...MIXED_CATEGORICAL.map((name) => ({ name, kind: 'categorical' as const })),
      { name: MIXED_TARGET, kind: 'numeric' as const },
    ]),
  );
  const target = batch.columns.pop();
  if (target?.kind !== 'numeric') throw new Error(`${file}: no numeric label column ${MIXED_TARGET}`);
  return { columns: batch.columns as FeatureColumn[], labels: Int32Array.from(target.values) };
}

/**
 * 80% of the rows train (ours: 90% fit + 10% early-stopping validation, stratified; scikit-learn splits its
 * own 10% the same way), 20% test. Our fit time counts binning and boosting, as scikit-learn's fit does; the
 * string → code encoding on both sides (fitEncodingPlan + encode; pandas astype('category')) is not timed.
 */
async function compare(rows: number): Promise<Comparison> {
  const file = await mixedTableFile(rows);
  const { columns, labels } = await tableColumns(file);
  const split = holdoutSplit(labels.length, { validation: 0.08, test: 0.2, seed: SEED, stratify: labels });
  const choices: Record<string, EncodingChoice> = Object.fromEntries([
    ...MIXED_NUMERIC.map((n) => [n, { encoding: 'passthrough' }] as const),
    ...MIXED_CATEGORICAL.map((c) => [c, { encoding: 'category' }] as const),
  ]);
  const plan = fitEncodingPlan(columns, choices, split.train);
  const fitMatrix = encode(plan, columns, split.train);
  const validMatrix = encode(plan, columns, split.validation);
  const pick = (idx: Int32Array): Int32Array => Int32Array.from(idx, (r) => labels[r]!);

  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const model = await fitGbdt(
    fitMatrix,
    { labels: pick(split.train), classes: ['0', '1'] },
    { maxIter: 100, maxLeaves: 31, learningRate: 0.1, earlyStoppingRounds: 10, seed: SEED },
    { validation: { matrix: validMatrix, labels: pick(split.validation) }, categories: planCategories(plan), threads: THREADS },
  );
  const fitSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const proba = predictGbdt(model, encode(plan, columns, split.test));
  const auc = rocAuc(
    pick(split.test),
    Float64Array.from({ length: split.test.length }, (_, r) => proba[2 * r + 1]!),
  );

  const flags = new Uint8Array(labels.length);
  for (const r of split.test) flags[r] = 1;
  const flagFile = path.join(os.tmpdir(), `mlops-gbdt-mixed-split-${process.pid}.bin`);
  writeFileSync(flagFile, flags);
  try {
    const out =
      execFileSync(sklearnPython(), [YARDSTICK, file, flagFile, String(SEED)], {
        maxBuffer: 1 << 20,
        env: { ...process.env, OMP_NUM_THREADS: String(THREADS) },
      })
        .toString()
        .trim()
        .split('\n')
        .pop() ?? '';
    const parsed = JSON.parse(out) as Record<string, unknown>;
    const field = (key: string): number => {
      const v = parsed[key];
      if (typeof v !== 'number') throw new Error(`${YARDSTICK} printed no ${key}: ${out}`);
      return v;
    };
    const result: Comparison = {
      ours: { auc, fitSeconds, cpuSeconds, iterations: model.iterations },
      sklearn: { auc: field('auc'), fitSeconds: field('fitSeconds'), cpuSeconds: field('cpuSeconds'), iterations: field('iterations') },
    };
    process.stderr.write(
      `  ${split.train.length}/${split.validation.length}/${split.test.length} rows; AUC ours ${auc.toFixed(5)} sklearn ${result.sklearn.auc.toFixed(5)} ` +
        `(ratio ${(auc / result.sklearn.auc).toFixed(4)}); fit ours ${fitSeconds.toFixed(2)} s (${model.iterations} iterations) ` +
        `sklearn ${result.sklearn.fitSeconds.toFixed(2)} s (${result.sklearn.iterations}) (ratio ${(fitSeconds / result.sklearn.fitSeconds).toFixed(3)}); ` +
        `CPU ours ${cpuSeconds.toFixed(2)} s sklearn ${result.sklearn.cpuSeconds.toFixed(2)} s (ratio ${(cpuSeconds / result.sklearn.cpuSeconds).toFixed(3)}); ` +
        `load average ${os.loadavg()[0]!.toFixed(1)}\n`,
    );
    return result;
  } finally {
    rmSync(flagFile, { force: true });
  }
}

const WHAT =
  'on the seeded 1,000,000-row mixed table (bench/mixed-table.ts: 10 numeric columns, 10 categorical of 10–46 categories, ' +
  '1% missing; stratified 80/20 train/test split, seed 42), categorical columns native on both sides (ours: category codes ' +
  "split by sets; scikit-learn HistGradientBoostingClassifier with categorical_features='from_dtype' on pandas category " +
  'columns, bench/yardstick/sklearn_hgb_mixed.py); both at most 100 iterations, early stopping on the loss of 10% of the ' +
  `training rows after 10 rounds without improvement, 31 leaves, learning rate 0.1, min 20 rows per leaf, 255 bins, ${THREADS} threads.`;

export const gbdtMixedFitVsSklearn: Benchmark = {
  name: 'gbdt-mixed-1m-fit-vs-sklearn',
  what: `Fit time of our GBDT (binning included) divided by scikit-learn's, timed in the same run, ${WHAT} Threads available: ${defaultThreads()}.`,
  unit: 'ratio',
  target: 1.5,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    const { ours, sklearn } = await compare(1_000_000);
    return ours.fitSeconds / sklearn.fitSeconds;
  },
};

export const gbdtMixedCpuVsSklearn: Benchmark = {
  name: 'gbdt-mixed-1m-cpu-vs-sklearn',
  what:
    `CPU time of our GBDT's fit (all threads) divided by scikit-learn's, in the same run, ${WHAT} A second view of the fit ` +
    'cost: on a machine that other work keeps busy, OpenMP threads that spin while waiting inflate wall time much more than this.',
  unit: 'ratio',
  target: 1.5,
  better: 'lower',
  runs: 1,
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    const { ours, sklearn } = await compare(1_000_000);
    return ours.cpuSeconds / sklearn.cpuSeconds;
  },
};

export const gbdtMixedAucVsSklearn: Benchmark = {
  name: 'gbdt-mixed-1m-auc-vs-sklearn',
  what: `Test ROC-AUC of our GBDT divided by scikit-learn's ${WHAT}`,
  unit: 'ratio',
  target: 0.99,
  better: 'higher',
  runs: 1,
  versions: () => ({ 'scikit-learn': sklearnVersion() }),
  run: async () => {
    const { ours, sklearn } = await compare(1_000_000);
    return ours.auc / sklearn.auc;
  },
};
