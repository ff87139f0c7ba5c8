// Govern, features and select as activities on a real worker, on real data: seattle-weather (dates → day of
// week, holidays) and the 1985 CPS wages (gender protected, race prohibited).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import type { featureStages, FeatureStagesInput } from '../support/workflows/feature-stages';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const nm = path.join(__dirname, '..', '..', 'node_modules');
const weather = path.join(nm, 'vega-datasets', 'data', 'seattle-weather.csv');
const wages = path.join(nm, '@stdlib', 'datasets-berndt-cps-wages-1985', 'data', 'data.csv');

beforeAll(async () => {
  s = await isolatedStores('features');
  w = await startTestWorker(s, 'features');
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s.drop();
});

const run = (input: FeatureStagesInput) =>
  w.client.workflow.execute<typeof featureStages>('featureStages', {
    taskQueue: w.taskQueue,
    workflowId: `features-${randomBytes(4).toString('hex')}`,
    args: [input],
  });

describe('govern, features and select activities', () => {
  it('derives day of week and holidays from seattle-weather dates and selects among them', async () => {
    const out = await run({
      model: 'weather',
      uri: weather,
      target: 'weather',
      features: {
        derive: [
          { name: 'dow', op: 'day_of_week', input: 'date' },
          { name: 'holiday', op: 'holiday', input: 'date' },
          { name: 'month', op: 'month', input: 'date' },
          { name: 'temp_max_copy', op: 'weighted_sum', inputs: ['temp_max'], weights: [1] },
        ],
      },
    });
    expect(out.features.plan.features.map((f) => f.name)).toEqual([
      'precipitation',
      'temp_max',
      'temp_min',
      'wind',
      'dow',
      'holiday',
      'month',
      'temp_max_copy',
    ]);
    expect(out.features.derivedMissing).toEqual({ dow: 0, holiday: 0, month: 0, temp_max_copy: 0 });
    expect(out.selection.dropped).toContainEqual({ name: 'temp_max_copy', reason: 'correlated (r = 1.000) with temp_max, which is kept' });
    expect(out.selection.selected).toContain('holiday');
    const rows = await s.pool.query(`SELECT stage, params FROM executions WHERE stage = 'select'`);
    expect(rows.rows[0].params.dropped).toContainEqual({ name: 'temp_max_copy', reason: 'correlated (r = 1.000) with temp_max, which is kept' });
  });

  it('keeps race out of the model, reports gender representation, and records license and purpose', async () => {
    const out = await run({
      model: 'wages',
      uri: wages,
      target: 'wage',
      governance: {
        prohibited: ['race'],
        protected: ['gender', 'race'],
        license: 'CPS 1985 public use',
        purpose: 'research',
        allowedPurposes: ['research'],
        minGroupSize: 30,
      },
    });
    expect(out.features.plan.features.map((f) => f.name)).not.toEqual(expect.arrayContaining(['race']));
    expect(out.features.plan.features.map((f) => f.name)).not.toContain('gender');
    const gender = out.governance.representation.find((r) => r.attribute === 'gender')!;
    expect(gender.groups.map((g) => [g.value, g.count])).toEqual([
      ['male', 289],
      ['female', 245],
    ]);
    const race = out.governance.representation.find((r) => r.attribute === 'race')!;
    expect(race.groups.find((g) => g.value === 'hispanic')).toMatchObject({ count: 27, tooSmall: true });
    expect(out.governance.warnings[0]).toMatch(/race=hispanic: 27 rows/);
    const govern = await s.pool.query(`SELECT params FROM executions WHERE stage = 'govern' ORDER BY id DESC LIMIT 1`);
    expect(govern.rows[0].params).toMatchObject({ license: 'CPS 1985 public use', purpose: 'research', prohibited: ['race'] });
  });

  it('refuses, without retrying, a purpose the terms exclude and a cross built from a prohibited column', async () => {
    const refused = await expectFailure(
      run({ model: 'wages', uri: wages, target: 'wage', governance: { license: 'CPS', prohibitedPurposes: ['credit-scoring'], purpose: 'credit-scoring' } }),
    );
    expect(refused.type).toBe('InvalidSpec');
    expect(refused.message).toMatch(/exclude the purpose "credit-scoring"/);
    const crossed = await expectFailure(
      run({
        model: 'wages',
        uri: wages,
        target: 'wage',
        governance: { prohibited: ['race'] },
        features: { derive: [{ name: 'race_x_sector', op: 'cross', inputs: ['race', 'sector'] }] },
      }),
    );
    expect(crossed.message).toMatch(/feature "race_x_sector" uses prohibited column "race"/);
  });

  it('fails on a spec column that does not exist, naming the columns there are', async () => {
    const err = await expectFailure(run({ model: 'wages', uri: wages, target: 'wage', features: { include: ['educaton'] } }));
    expect(err.type).toBe('InvalidSpec');
    expect(err.message).toMatch(/features.include names column "educaton", which the dataset does not have \(columns: education, south/);
  });

  it("keeps the top-k features by model importance on a sample, recording each dropped feature's rank", async () => {
    const out = await run({ model: 'wages', uri: wages, target: 'wage', governance: { prohibited: ['race', 'gender'] }, selection: { topK: 3 } });
    expect(out.selection.selected).toHaveLength(3);
    expect(out.selection.selected).toContain('education');
    const ranked = out.selection.dropped.filter((d) => /^importance rank \d+ of \d+ \(keeping the top 3\)$/.test(d.reason));
    expect(ranked.length + out.selection.selected.length).toBeGreaterThanOrEqual(6);
  });
});
