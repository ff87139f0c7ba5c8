import { describe, expect, it } from 'vitest';
import { fitGbdt, type GbdtCheckpoint, type GbdtTarget } from '../../../core/ml/gbdt';
import type { GbdtModel, GbdtParams, Matrix } from '../../../core/ml/model';
import { normalFrom, seededRandom } from '../../../core/random';

/** Noisy 3-class data with NaNs: validation loss improves for a while, then early stopping ends the fit. */
function data(n: number, seed: number): { matrix: Matrix; labels: Int32Array; targets: Float64Array } {
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const values = new Float64Array(n * 3);
  const labels = new Int32Array(n);
  const targets = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const a = random() < 0.15 ? NaN : normal();
    const b = random();
    values.set([a, b, normal()], r * 3);
    const s = (Number.isNaN(a) ? 1 : a) + 2 * b + 1.5 * normal();
    labels[r] = s < 0.5 ? 0 : s < 1.8 ? 1 : 2;
    targets[r] = s;
  }
  return { matrix: { rows: n, cols: 3, values }, labels, targets };
}

const train = data(3000, 1);
const valid = data(1000, 2);
const modelJson = (m: GbdtModel): string => JSON.stringify(m, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v));
const params: Partial<GbdtParams> = { maxIter: 60, maxLeaves: 15, learningRate: 0.3, earlyStoppingRounds: 4 };

/** A full fit that records every checkpoint as JSON text (what a heartbeat or a file would carry). */
async function fitRecording(target: GbdtTarget, p: Partial<GbdtParams>, every = 1): Promise<{ model: GbdtModel; checkpoints: string[] }> {
  const checkpoints: string[] = [];
  const validation = { matrix: valid.matrix, labels: valid.labels, targets: valid.targets };
  const model = await fitGbdt(train.matrix, target, p, { validation, checkpointEvery: every, onIteration: (c) => void checkpoints.push(JSON.stringify(c)) });
  return { model, checkpoints };
}

const resume = (target: GbdtTarget, p: Partial<GbdtParams>, checkpoint: string): Promise<GbdtModel> =>
  fitGbdt(train.matrix, target, p, {
    validation: { matrix: valid.matrix, labels: valid.labels, targets: valid.targets },
    resume: JSON.parse(checkpoint) as GbdtCheckpoint,
  });

describe('GBDT checkpoints', () => {
  const multiclass: GbdtTarget = { labels: train.labels, classes: ['low', 'mid', 'high'].sort() };

  it('resuming from any checkpoint (through JSON) gives the uninterrupted model, byte for byte', async () => {
    const { model, checkpoints } = await fitRecording(multiclass, params);
    expect(model.iterations).toBeLessThan(60); // early stopping happened
    expect(model.iterations - model.bestIteration).toBe(4);
    expect(checkpoints).toHaveLength(model.iterations);
    const full = modelJson(model);
    // the first, one before the best iteration, one during the patience window, the last
    for (const i of [0, model.bestIteration - 2, model.bestIteration + 1, checkpoints.length - 1]) {
      expect(modelJson(await resume(multiclass, params, checkpoints[i]!))).toBe(full);
    }
  });

  it('holds iteration, all trees so far, early-stopping state and bin edges as plain JSON values', async () => {
    const { model, checkpoints } = await fitRecording(multiclass, params, 2);
    expect(checkpoints).toHaveLength(Math.floor(model.iterations / 2));
    const c = JSON.parse(checkpoints[1]!) as GbdtCheckpoint;
    expect(c).toMatchObject({ format: 'mlops.gbdt-checkpoint.v2', task: 'multiclass', classes: ['high', 'low', 'mid'], iteration: 4 });
    expect(c.data).toMatchObject({ rows: 3000, cols: 3, validationRows: 1000 });
    expect(c.data.hash).toMatch(/^[0-9a-f]{8}$/);
    expect(c.trees.treeClass).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(c.binEdges).toHaveLength(3);
    expect(c.baseScores).toEqual(Array.from(model.baseScores));
    expect(c.earlyStopping.bestIteration).toBeLessThanOrEqual(4);
    expect(typeof c.earlyStopping.bestLoss).toBe('number');
    expect(JSON.stringify(JSON.parse(checkpoints[1]!))).toBe(checkpoints[1]);
  });

  it('resumes regression and binary fits too', async () => {
    const binary: GbdtTarget = { labels: Int32Array.from(train.labels, (y) => (y === 2 ? 1 : 0)), classes: ['0', '1'] };
    const binaryValid = { matrix: valid.matrix, labels: Int32Array.from(valid.labels, (y) => (y === 2 ? 1 : 0)) };
    const checkpoints: string[] = [];
    const full = await fitGbdt(train.matrix, binary, params, { validation: binaryValid, onIteration: (c) => void checkpoints.push(JSON.stringify(c)) });
    const resumed = await fitGbdt(train.matrix, binary, params, { validation: binaryValid, resume: JSON.parse(checkpoints[3]!) as GbdtCheckpoint });
    expect(modelJson(resumed)).toBe(modelJson(full));

    const regression: GbdtTarget = { targets: train.targets };
    const r = await fitRecording(regression, { ...params, maxIter: 12 });
    expect(modelJson(await resume(regression, { ...params, maxIter: 12 }, r.checkpoints[6]!))).toBe(modelJson(r.model));
  });

  it('refuses a checkpoint taken with other params or on other data, saying which', async () => {
    const { checkpoints } = await fitRecording(multiclass, { ...params, maxIter: 3 });
    const last = checkpoints.at(-1)!;
    await expect(resume(multiclass, { ...params, maxIter: 3, maxLeaves: 7 }, last)).rejects.toThrow(/taken with maxLeaves = 15, this fit has maxLeaves = 7/);
    const shuffled = { labels: Int32Array.from(train.labels).reverse(), classes: multiclass.classes };
    await expect(resume(shuffled, { ...params, maxIter: 3 }, last)).rejects.toThrow(/taken on other data \(hash/);
    await expect(resume({ targets: train.targets }, { ...params, maxIter: 3 }, last)).rejects.toThrow(/fitting a multiclass model, this fit is regression/);
    const broken = JSON.parse(last) as GbdtCheckpoint;
    broken.trees.treeClass.pop();
    await expect(resume(multiclass, { ...params, maxIter: 3 }, JSON.stringify(broken))).rejects.toThrow(/gbdt forest: treeStart/);
  });
});
