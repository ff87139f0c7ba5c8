import { describe, expect, it } from 'vitest';
import { fitGbdt, gbdtGainImportance, predictGbdt, predictGbdtRaw } from '../../../core/ml/gbdt';
import { GBDT_DEFAULTS } from '../../../core/ml/gbdt-params';
import { FLOAT32_MAX } from '../../../core/ml/gbdt-tree';
import { binaryLogLoss, multiclassMetrics, regressionMetrics, rocAuc } from '../../../core/ml/metrics';
import type { GbdtModel, Matrix } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

/**
 * n rows × 4 columns: x0 normal with 10% NaN, x1 uniform [0, 1), x2 a category code 0..4 (as one column),
 * x3 noise. Targets by formula: binary from a nonlinear logit, 3 classes by the largest of three scores,
 * regression 3·sin(2·x0) + 4·x1² + noise (x0 missing counts as 0).
 */
function dataset(n: number, seed: number): { matrix: Matrix; binary: Int32Array; three: Int32Array; values: Float64Array } {
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const values = new Float64Array(n * 4);
  const binary = new Int32Array(n);
  const three = new Int32Array(n);
  const targets = new Float64Array(n);
  const cityEffect = [-1, 0.5, 1, -0.5, 0];
  for (let r = 0; r < n; r++) {
    const x0 = random() < 0.1 ? NaN : normal();
    const x1 = random();
    const x2 = Math.floor(random() * 5);
    values.set([x0, x1, x2, normal()], r * 4);
    const z0 = Number.isNaN(x0) ? 0 : x0;
    const logit = 1.5 * Math.sin(2 * z0) + 3 * (x1 - 0.5) + cityEffect[x2]!;
    binary[r] = random() < 1 / (1 + Math.exp(-2 * logit)) ? 1 : 0;
    const scores = [z0 + 0.3 * normal(), 2 * x1 - 1 + 0.3 * normal(), x2 === 2 || x2 === 4 ? 1 : -0.5];
    three[r] = scores.indexOf(Math.max(...scores));
    targets[r] = 3 * Math.sin(2 * z0) + 4 * x1 * x1 + 0.3 * normal();
  }
  return { matrix: { rows: n, cols: 4, values }, binary, three, values: targets };
}

const train = dataset(4000, 1);
const test = dataset(2000, 2);
const positive = (proba: Float64Array): Float64Array => Float64Array.from({ length: proba.length / 2 }, (_, r) => proba[2 * r + 1]!);
const modelJson = (m: GbdtModel): string => JSON.stringify(m, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
const quick = { maxIter: 30 };

describe('fitGbdt: binary', () => {
  it('learns a nonlinear signal with NaNs: test AUC well above the prior and log loss below it', async () => {
    const model = await fitGbdt(train.matrix, { labels: train.binary, classes: ['no', 'yes'] }, { maxIter: 100 });
    expect(model).toMatchObject({ kind: 'gbdt', task: 'binary', classes: ['no', 'yes'], width: 4, bestIteration: 100, iterations: 100 });
    expect(model.trees.treeClass).toHaveLength(100);
    const proba = predictGbdt(model, test.matrix);
    expect(proba).toHaveLength(2 * test.matrix.rows);
    for (let r = 0; r < test.matrix.rows; r++) expect(proba[2 * r]! + proba[2 * r + 1]!).toBeCloseTo(1, 12);
    const auc = rocAuc(test.binary, positive(proba));
    const prior = train.binary.reduce((a, b) => a + b, 0) / train.binary.length;
    const priorLoss = binaryLogLoss(test.binary, new Float64Array(test.matrix.rows).fill(prior));
    expect(auc).toBeGreaterThan(0.85);
    expect(binaryLogLoss(test.binary, positive(proba))).toBeLessThan(0.75 * priorLoss);
  });

  it('starts from the prior log-odds, rounded to float32, and grows trees of at most maxLeaves leaves', async () => {
    const model = await fitGbdt(train.matrix, { labels: train.binary, classes: ['no', 'yes'] }, { ...quick, maxLeaves: 7 });
    const p = train.binary.reduce((a, b) => a + b, 0) / train.binary.length;
    expect(model.baseScores[0]).toBe(Math.fround(Math.log(p / (1 - p))));
    const f = model.trees;
    for (let t = 0; t < f.treeClass.length; t++) {
      const leaves = f.feature.subarray(f.treeStart[t]!, f.treeStart[t + 1]!).filter((x) => x < 0).length;
      expect(leaves).toBeLessThanOrEqual(7);
    }
    // thresholds and leaf values are float32 values: the ONNX graph holds exactly these
    for (const x of [...f.threshold, ...f.value]) expect(Math.fround(x)).toBe(x);
  });

  it('honours minSamplesLeaf and maxDepth', async () => {
    const model = await fitGbdt(train.matrix, { labels: train.binary, classes: ['no', 'yes'] }, { ...quick, minSamplesLeaf: 150, maxDepth: 2 });
    const f = model.trees;
    const depth = new Int32Array(f.feature.length);
    for (let t = 0; t < f.treeClass.length; t++) {
      const from = f.treeStart[t]!;
      for (let n = from; n < f.treeStart[t + 1]!; n++) {
        if (f.feature[n]! < 0) {
          expect(f.count[n]).toBeGreaterThanOrEqual(150);
          expect(depth[n]).toBeLessThanOrEqual(2);
          continue;
        }
        depth[from + f.left[n]!] = depth[n]! + 1;
        depth[from + f.right[n]!] = depth[n]! + 1;
      }
    }
    expect(Math.max(...depth)).toBe(2);
  });

  it('is deterministic, and its model does not depend on the thread count', async () => {
    const big = dataset(40_000, 5);
    const fit = (threads: number): Promise<GbdtModel> => fitGbdt(big.matrix, { labels: big.binary, classes: ['a', 'b'] }, { maxIter: 8 }, { threads });
    const one = modelJson(await fit(1));
    expect(modelJson(await fit(1))).toBe(one);
    expect(modelJson(await fit(2))).toBe(one);
  });

  it('ranks the informative columns first by gain importance', async () => {
    const model = await fitGbdt(train.matrix, { labels: train.binary, classes: ['no', 'yes'] }, quick);
    const gain = gbdtGainImportance(model);
    expect(gain).toHaveLength(4);
    expect(gain[3]!).toBeLessThan(Math.min(gain[0]!, gain[1]!, gain[2]!));
    let total = 0;
    for (let i = 0; i < model.trees.gain.length; i++) total += model.trees.gain[i]!;
    expect(gain.reduce((a, b) => a + b, 0)).toBeCloseTo(total, 6);
  });
});

describe('fitGbdt: multiclass and regression', () => {
  it('multiclass: one tree per class per iteration, softmax probabilities, accuracy far above the majority class', async () => {
    const model = await fitGbdt(train.matrix, { labels: train.three, classes: ['a', 'b', 'c'] }, { maxIter: 40 });
    expect(model.task).toBe('multiclass');
    expect(Array.from(model.trees.treeClass.subarray(0, 6))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(model.trees.treeClass).toHaveLength(120);
    const counts = [0, 0, 0];
    for (const y of train.three) counts[y]!++;
    expect(Array.from(model.baseScores)).toEqual(counts.map((c) => Math.fround(Math.log(c / train.three.length))));
    const proba = predictGbdt(model, test.matrix);
    const { accuracy } = multiclassMetrics(test.three, proba, 3);
    const majority = Math.max(...counts) / train.three.length;
    expect(accuracy).toBeGreaterThan(0.8);
    expect(accuracy).toBeGreaterThan(majority + 0.3);
  });

  it('regression: starts from the mean and explains most of the variance of a nonlinear target', async () => {
    const model = await fitGbdt(train.matrix, { targets: train.values }, { maxIter: 100 });
    expect(model.task).toBe('regression');
    expect(model.classes).toEqual([]);
    const mean = train.values.reduce((a, b) => a + b, 0) / train.values.length;
    expect(model.baseScores[0]).toBe(Math.fround(mean));
    const predicted = predictGbdt(model, test.matrix);
    expect(predicted).toHaveLength(test.matrix.rows);
    expect(regressionMetrics(test.values, predicted).r2).toBeGreaterThan(0.9);
    expect(predictGbdtRaw(model, test.matrix)).toEqual(predicted);
  });
});

describe('fitGbdt: missing values', () => {
  /** Only column 0, which is NaN for 80% of the positives and 10% of the negatives, and noise otherwise. */
  function missingness(n: number, seed: number): { matrix: Matrix; labels: Int32Array } {
    const random = seededRandom(seed);
    const values = new Float64Array(n);
    const labels = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      labels[r] = random() < 0.5 ? 1 : 0;
      values[r] = random() < (labels[r] ? 0.8 : 0.1) ? NaN : random();
    }
    return { matrix: { rows: n, cols: 1, values }, labels };
  }

  it('learns that missingness predicts the label: the first split separates NaN from every value', async () => {
    const data = missingness(3000, 3);
    const model = await fitGbdt(data.matrix, { labels: data.labels, classes: ['0', '1'] }, quick);
    const f = model.trees;
    expect(f.feature[0]).toBe(0);
    expect(f.threshold[0]).toBe(FLOAT32_MAX);
    expect(f.missingLeft[0]).toBe(0);
    const proba = predictGbdt(model, { rows: 4, cols: 1, values: Float64Array.of(NaN, Infinity, -Infinity, 0.5) });
    // NaN and ±Infinity are missing; P(1 | missing) = 0.8 / 0.9, P(1 | present) = 0.2 / 1.1
    for (const r of [0, 1, 2]) expect(proba[2 * r + 1]).toBeCloseTo(0.8 / 0.9, 1);
    expect(proba[7]).toBeLessThan(0.3);
  });

  it('sends missing values left when they go with the low values', async () => {
    // label 1 when x < 0.3 or x is missing
    const random = seededRandom(9);
    const n = 3000;
    const values = Float64Array.from({ length: n }, () => (random() < 0.2 ? NaN : random()));
    const labels = Int32Array.from(values, (x) => (Number.isNaN(x) || x < 0.3 ? 1 : 0));
    const model = await fitGbdt({ rows: n, cols: 1, values }, { labels, classes: ['0', '1'] }, { ...quick, maxLeaves: 2 });
    expect(model.trees.missingLeft[0]).toBe(1);
    expect(model.trees.threshold[0]).toBeCloseTo(0.3, 2);
    const proba = predictGbdt(model, { rows: 3, cols: 1, values: Float64Array.of(NaN, 0.1, 0.9) });
    expect(proba[1]).toBeGreaterThan(0.9);
    expect(proba[3]).toBeGreaterThan(0.9);
    expect(proba[5]).toBeLessThan(0.1);
  });

  it('without missing training rows, a missing value follows the side with more rows', async () => {
    const random = seededRandom(4);
    const n = 2000;
    const values = Float64Array.from({ length: n }, () => random());
    const labels = Int32Array.from(values, (x) => (x < 0.25 ? 1 : 0));
    const model = await fitGbdt({ rows: n, cols: 1, values }, { labels, classes: ['0', '1'] }, { ...quick, maxLeaves: 2 });
    const root = model.trees;
    expect(root.missingLeft[0]).toBe(root.count[root.left[0]!]! >= root.count[root.right[0]!]! ? 1 : 0);
    expect(root.missingLeft[0]).toBe(0);
    const proba = predictGbdt(model, { rows: 1, cols: 1, values: Float64Array.of(NaN) });
    expect(proba[1]).toBeLessThan(0.1);
  });
});

describe('fitGbdt: early stopping', () => {
  it('stops after earlyStoppingRounds iterations without validation improvement and keeps the best iteration', async () => {
    // Pure noise labels: the validation loss bottoms out within a few iterations.
    const random = seededRandom(11);
    const noise = (n: number): { matrix: Matrix; labels: Int32Array } => ({
      matrix: { rows: n, cols: 3, values: Float64Array.from({ length: 3 * n }, () => random()) },
      labels: Int32Array.from({ length: n }, () => (random() < 0.4 ? 1 : 0)),
    });
    const fit = noise(2000);
    const valid = noise(1000);
    const model = await fitGbdt(fit.matrix, { labels: fit.labels, classes: ['0', '1'] }, { maxIter: 200, earlyStoppingRounds: 5 }, { validation: valid });
    expect(model.iterations).toBeLessThan(200);
    expect(model.iterations - model.bestIteration).toBe(5);
    expect(model.trees.treeClass).toHaveLength(model.bestIteration);
    expect(model.bestIteration).toBeGreaterThanOrEqual(1);
  });

  it('runs every iteration when the validation loss keeps improving', async () => {
    const model = await fitGbdt(train.matrix, { targets: train.values }, { maxIter: 20 }, { validation: { matrix: test.matrix, targets: test.values } });
    expect(model).toMatchObject({ iterations: 20, bestIteration: 20 });
  });
});

describe('fitGbdt: bad input', () => {
  const labels = { labels: train.binary, classes: ['no', 'yes'] };

  it('rejects an empty matrix', async () => {
    await expect(fitGbdt({ rows: 0, cols: 4, values: new Float64Array(0) }, { labels: new Int32Array(0), classes: ['a', 'b'] })).rejects.toThrow(
      /training matrix is empty \(0 rows\)/,
    );
  });

  it('rejects labels of a single class', async () => {
    await expect(fitGbdt(train.matrix, { labels: new Int32Array(4000), classes: ['no', 'yes'] })).rejects.toThrow(/single class \('no'\)/);
    await expect(fitGbdt(train.matrix, { labels: new Int32Array(4000), classes: ['no'] })).rejects.toThrow(/at least two classes/);
  });

  it('names the parameter that is out of range or unknown', async () => {
    await expect(fitGbdt(train.matrix, labels, { maxLeaves: 1 })).rejects.toThrow('gbdt: maxLeaves is 1; it must be an integer ≥ 2');
    await expect(fitGbdt(train.matrix, labels, { learningRate: 0 })).rejects.toThrow(/learningRate is 0; it must be a finite number > 0/);
    await expect(fitGbdt(train.matrix, labels, { maxBins: 256 })).rejects.toThrow(/maxBins is 256; it must be an integer in \[2, 255\]/);
    await expect(fitGbdt(train.matrix, labels, { maxDepth: 0 })).rejects.toThrow(/maxDepth is 0; .* or null/);
    await expect(fitGbdt(train.matrix, labels, { l2: -1 })).rejects.toThrow(/l2 is -1/);
    const typo = { numLeaves: 31 } as unknown as Partial<typeof GBDT_DEFAULTS>;
    await expect(fitGbdt(train.matrix, labels, typo)).rejects.toThrow(/unknown parameter "numLeaves"/);
    await expect(fitGbdt(train.matrix, labels, {}, { checkpointEvery: 0 })).rejects.toThrow(/checkpointEvery is 0/);
  });

  it('rejects labels, targets and validation sets that do not fit the matrix', async () => {
    await expect(fitGbdt(train.matrix, { labels: train.binary.subarray(1), classes: ['no', 'yes'] })).rejects.toThrow(/3999 labels for 4000 matrix rows/);
    await expect(fitGbdt(train.matrix, { labels: Int32Array.from(train.binary, (y) => y * 2), classes: ['no', 'yes'] })).rejects.toThrow(
      /labels of row \d+ is 2/,
    );
    await expect(fitGbdt(train.matrix, { targets: Float64Array.from(train.values, (v, i) => (i === 7 ? NaN : v)) })).rejects.toThrow(/targets of row 7 is NaN/);
    await expect(fitGbdt(train.matrix, labels, {}, { validation: { matrix: test.matrix } })).rejects.toThrow(/validation.labels is missing/);
    await expect(
      fitGbdt(train.matrix, labels, {}, { validation: { matrix: { rows: 1, cols: 3, values: new Float64Array(3) }, labels: Int32Array.of(0) } }),
    ).rejects.toThrow(/validation matrix has 3 columns, the training matrix 4/);
  });

  it('rejects a prediction matrix of another width', async () => {
    const model = await fitGbdt(train.matrix, labels, { maxIter: 2 });
    expect(() => predictGbdt(model, { rows: 1, cols: 3, values: new Float64Array(3) })).toThrow(/3 columns but the model was trained on 4/);
  });
});
