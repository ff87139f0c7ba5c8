import { describe, expect, it } from 'vitest';
import { fitGbdt } from '../../../core/ml/gbdt';
import { binMatrix, fitBinEdges } from '../../../core/ml/gbdt-binning';
import { addTreeScores, treeOf } from '../../../core/ml/gbdt-forest';
import { addLeafRows, gradientRows, lossRows, ROOT_BLOCK, rootRows, scoreBinnedRows } from '../../../core/ml/gbdt-rows';
import { leftBins } from '../../../core/ml/gbdt-split';
import { CAT_WORDS, type GbdtModel, type Matrix } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

const modelJson = (m: GbdtModel): string => JSON.stringify(m, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));

/** n rows × 4 columns (numeric with 5% NaN, a code 0…9, uniform, noise), 3 classes, a regression target. */
function table(n: number, seed: number): { matrix: Matrix; three: Int32Array; values: Float64Array } {
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const values = new Float64Array(4 * n);
  const three = new Int32Array(n);
  const targets = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const x0 = random() < 0.05 ? NaN : normal();
    const code = Math.floor(random() * 10);
    const u = random();
    values.set([x0, code, u, normal()], 4 * r);
    const z = Number.isNaN(x0) ? 0 : x0;
    const scores = [z + 0.5 * normal(), 2 * u - 1 + 0.5 * normal(), code % 3 === 0 ? 1 : -0.5];
    three[r] = scores.indexOf(Math.max(...scores));
    targets[r] = Math.sin(2 * z) + (code % 4) + u * u + 0.3 * normal();
  }
  return { matrix: { rows: n, cols: 4, values }, three, values: targets };
}

describe('GBDT row passes', () => {
  it('give the same model on any thread count: multiclass with row weights and early stopping, regression', async () => {
    // Above the row count from which the passes are shared out to threads.
    const train = table(140_000, 1);
    const valid = table(70_000, 2);
    const weights = Float64Array.from({ length: train.matrix.rows }, (_, r) => 0.5 + (r % 3));
    const categories = [0, 10, 0, 0];
    const multiclass = (threads: number): Promise<GbdtModel> =>
      fitGbdt(
        train.matrix,
        { labels: train.three, classes: ['a', 'b', 'c'] },
        { maxIter: 3, maxLeaves: 8, earlyStoppingRounds: 2 },
        { threads, categories, sampleWeights: weights, validation: { matrix: valid.matrix, labels: valid.three } },
      );
    const regression = (threads: number): Promise<GbdtModel> =>
      fitGbdt(
        train.matrix,
        { targets: train.values },
        { maxIter: 3, maxLeaves: 8 },
        { threads, categories, validation: { matrix: valid.matrix, targets: valid.values } },
      );
    const one = await multiclass(1);
    expect(one.trees.treeClass).toHaveLength(9);
    expect(modelJson(await multiclass(2))).toBe(modelJson(one));
    expect(modelJson(await multiclass(3))).toBe(modelJson(one));
    expect(modelJson(await regression(2))).toBe(modelJson(await regression(1)));
  });

  it('gradients, root sums, leaf values and losses do not depend on how the rows are cut', () => {
    const random = seededRandom(4);
    const n = 3 * ROOT_BLOCK + 123;
    const labels = Int32Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    const raw = Float64Array.from({ length: n }, () => 4 * random() - 2);
    const run = (cuts: number[]): { grad: Float64Array; og: Float32Array; sums: Float64Array; raw: Float64Array; loss: Float64Array } => {
      const grad = new Float64Array(n);
      const hess = new Float64Array(n);
      const idx = new Int32Array(n);
      const og = new Float32Array(n);
      const oh = new Float32Array(n);
      const sums = new Float64Array(2 * Math.ceil(n / ROOT_BLOCK));
      const scores = Float64Array.from(raw);
      const loss = new Float64Array(Math.ceil(n / ROOT_BLOCK));
      const leaves = Float64Array.of(0, 1000, 0.5, 1000, n, -0.25);
      for (let c = 0; c + 1 < cuts.length; c++) {
        gradientRows(1, 1, labels, new Float64Array(0), new Float64Array(0), raw, grad, hess, n, cuts[c]!, cuts[c + 1]!);
        rootRows(grad, hess, 0, idx, og, oh, sums, ROOT_BLOCK, cuts[c]!, cuts[c + 1]!);
      }
      for (let c = 0; c + 1 < cuts.length; c++) {
        addLeafRows(scores, 0, idx, leaves, 2, cuts[c]!, cuts[c + 1]!);
        lossRows(1, 1, labels, new Float64Array(0), scores, n, loss, ROOT_BLOCK, cuts[c]!, cuts[c + 1]!);
      }
      return { grad, og, sums, raw: scores, loss };
    };
    const whole = run([0, n]);
    expect(run([0, ROOT_BLOCK, n])).toEqual(whole);
    expect(run([0, ROOT_BLOCK, 3 * ROOT_BLOCK, n])).toEqual(whole);
    // The formulas: g = σ(s) − y, og = f32(g), the leaf value of each position added, log loss per block.
    const p = 1 / (1 + Math.exp(-raw[7]!));
    expect(whole.grad[7]).toBe(p - labels[7]!);
    expect(whole.og[7]).toBe(Math.fround(p - labels[7]!));
    expect(whole.raw[7]).toBe(raw[7]! + 0.5);
    expect(whole.raw[n - 1]).toBe(raw[n - 1]! - 0.25);
    let block = 0;
    for (let r = 0; r < ROOT_BLOCK; r++) block += Math.fround(whole.grad[r]!);
    expect(whole.sums[0]).toBe(block);
    const meanLoss = Array.from(whole.loss).reduce((a, b) => a + b, 0) / n;
    expect(meanLoss).toBeGreaterThan(0.4);
    expect(meanLoss).toBeLessThan(1.5);
  });

  it('route binned validation rows to the leaves the trees route their values to', async () => {
    const train = table(6000, 7);
    const valid = table(3000, 8);
    // Values beyond every training edge and ±Infinity (missing) too.
    valid.matrix.values[0] = 1e30;
    valid.matrix.values[4] = -Infinity;
    const categories = Int32Array.of(0, 10, 0, 0);
    const model = await fitGbdt(train.matrix, { targets: train.values }, { maxIter: 5, maxLeaves: 15 }, { categories });
    const edges = fitBinEdges(train.matrix, 255, 200_000, model.params.seed, categories);
    const binned = binMatrix(valid.matrix, edges, categories);
    for (let t = 0; t < model.trees.treeClass.length; t++) {
      const tree = treeOf(model.trees, t);
      const count = tree.feature.length;
      const nodes = new Int32Array(3 * count);
      const nodeBins = new Uint8Array(256 * count);
      for (let j = 0; j < count; j++) {
        nodes.set([tree.feature[j]!, tree.left[j]!, tree.right[j]!], 3 * j);
        const f = tree.feature[j]!;
        if (f < 0) continue;
        // The split's bin: the last edge at or below the threshold.
        const bin = tree.categorical[j] === 1 ? 0 : edges[f]!.findIndex((e) => e === tree.threshold[j]);
        const set = tree.categorical[j] === 1 ? tree.catBits.slice(j * CAT_WORDS, (j + 1) * CAT_WORDS) : undefined;
        const split = {
          gain: 1,
          feature: f,
          bin: bin < 0 ? binned.valueBins[f]! - 1 : bin,
          missingLeft: tree.missingLeft[j] === 1,
          left: { g: 0, h: 0, count: 0 },
          right: { g: 0, h: 0, count: 0 },
          ...(set ? { set } : {}),
        };
        nodeBins.set(leftBins(split, binned.valueBins[f]!), 256 * j);
      }
      const byBins = new Float64Array(valid.matrix.rows);
      scoreBinnedRows(binned.bins, valid.matrix.rows, nodes, nodeBins, tree.value, byBins, 0, 0, valid.matrix.rows);
      const byValues = new Float64Array(valid.matrix.rows);
      addTreeScores(tree, valid.matrix, byValues, 1, 0);
      expect(byBins).toEqual(byValues);
    }
  });
});
