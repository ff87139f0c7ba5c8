// A drift check of a deployed model: logged production features against the training reference stored
// with the version — drift found on shifted traffic, none on traffic like the training data.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../core/data/ingest';
import { writeSynthCsv } from '../../core/data/synth';
import { featuresStage } from '../../core/features/stages';
import { trainStage } from '../../core/ml/train';
import { checkModelDrift } from '../../core/monitor/check';
import { parseSpec } from '../../core/spec';
import { isolatedStores } from '../support/isolated-stores';
import { logSynthTraffic } from '../support/synth-traffic';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-driftcheck-'));
const train = path.join(dir, 'train.csv');

/** Logs the rows of a CSV as predictions of churn v1. */
const logTraffic = (file: string): Promise<void> => logSynthTraffic(s.pool, 'churn', 1, file);

beforeAll(async () => {
  s = await isolatedStores('driftcheck');
  await writeSynthCsv(train, { rows: 4000, seed: 51 });
  const spec = parseSpec({ name: 'churn', data: { uri: train }, target: 'churned', features: { exclude: ['customer_id'] } });
  const dataset = await ingest({ uri: train }, { artifacts: s.artifacts });
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  const m = await trainStage(
    { model: 'churn', runKey: 'r1', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
    { artifacts: s.artifacts, registry: s.registry, latencyCalls: 10 },
  );
  await s.registry.setAlias({ model: 'churn', alias: 'production', version: m.version, actor: 'test', reason: 'deploy' });
}, 120_000);

afterAll(async () => {
  await s.drop();
});

describe('drift check of a deployed model', () => {
  it('stores a training reference with the version and finds nothing on traffic like it', async () => {
    const mv = (await s.registry.getVersion('churn', 1))!;
    expect((mv.properties as { referenceUri?: string }).referenceUri).toMatch(/references\/[0-9a-f]{64}\.json$/);
    const calm = path.join(dir, 'calm.csv');
    await writeSynthCsv(calm, { rows: 600, seed: 52 });
    await logTraffic(calm);
    const r = await checkModelDrift({ model: 'churn', windowSeconds: 3600 }, s);
    expect(r).toMatchObject({ version: 1, rows: 600, enough: true, datasetDrift: false });
    // The multivariate check stays quiet too: a held-out AUC below its permutation threshold.
    expect(r.domain).toMatchObject({ drift: false, permutations: 999, alpha: 0.01, currentRows: 600 });
    expect(r.domain!.auc).toBeLessThan(r.domain!.threshold);
    await s.pool.query('DELETE FROM predictions');
  });

  it('finds the shifted columns in shifted traffic, stores the report and a metric row', async () => {
    const shifted = path.join(dir, 'shifted.csv');
    await writeSynthCsv(shifted, { rows: 600, seed: 53, drift: 1.5 });
    await logTraffic(shifted);
    const r = await checkModelDrift({ model: 'churn', windowSeconds: 3600 }, s);
    expect(r.datasetDrift).toBe(true);
    expect(r.driftedColumns).toEqual(expect.arrayContaining(['age', 'support_calls', 'plan']));
    expect(r.domain).toMatchObject({ drift: true });
    expect(r.domain!.auc).toBeGreaterThan(0.7);
    expect(r.domain!.top.slice(0, 3).map((t) => t.name)).toEqual(expect.arrayContaining(['age']));
    const stored = await s.pool.query<{ domain: { auc: number } }>('SELECT domain FROM drift_reports ORDER BY id DESC LIMIT 1');
    expect(stored.rows[0]!.domain.auc).toBe(r.domain!.auc);
    expect((await s.artifacts.getBuffer(s.artifacts.keyOf(r.reportUri!))).toString()).toMatch(/Drift of churn v1/);
    const rows = await s.pool.query('SELECT dataset_drift, rows FROM drift_reports ORDER BY id');
    expect(rows.rows.map((x) => [x.dataset_drift, x.rows])).toEqual([
      [false, 600],
      [true, 600],
    ]);
  });

  it('runs KS and chi-squared on a 600-row window against the 5,000-row reference, and says why', async () => {
    const stored = await s.pool.query<{ columns: { name: string; method: string; reason: string }[] }>(
      'SELECT columns FROM drift_reports ORDER BY id DESC LIMIT 1',
    );
    const byName = new Map(stored.rows[0]!.columns.map((c) => [c.name, c]));
    expect(byName.get('age')).toMatchObject({ method: 'ks', reason: 'auto: smaller sample of 600 values ≤ 1000, numeric → KS test' });
    expect(byName.get('plan')).toMatchObject({ method: 'chisquare' });
  });

  it('runs the tests the monitor settings choose: a method, a threshold, a column override', async () => {
    const r = await checkModelDrift(
      { model: 'churn', windowSeconds: 3600, drift: { method: 'psi', threshold: 10, columns: { age: { method: 'wasserstein', threshold: 0.05 } } } },
      s,
    );
    const stored = await s.pool.query<{ columns: { name: string; method: string; threshold: number; drifted: boolean; reason: string }[] }>(
      'SELECT columns FROM drift_reports ORDER BY id DESC LIMIT 1',
    );
    const byName = new Map(stored.rows[0]!.columns.map((c) => [c.name, c]));
    expect(byName.get('plan')).toMatchObject({ method: 'psi', threshold: 10, drifted: false, reason: 'chosen: psi' });
    expect(byName.get('age')).toMatchObject({ method: 'wasserstein', threshold: 0.05, drifted: true, reason: 'column override: wasserstein' });
    expect(r.driftedColumns).toEqual(['age']);
  });

  it('gives no verdict on too little traffic or without a deployed model', async () => {
    expect(await checkModelDrift({ model: 'churn', windowSeconds: 3600, minRows: 10_000 }, s)).toMatchObject({ enough: false, datasetDrift: false });
    expect(await checkModelDrift({ model: 'nobody', windowSeconds: 3600 }, s)).toMatchObject({ version: null, enough: false });
  });
});

describe('concept drift from feedback labels', () => {
  it('compares live accuracy on labelled predictions with the evaluation and flags a drop', async () => {
    await s.pool.query('DELETE FROM predictions');
    const evaluated = ((await s.registry.getVersion('churn', 1))!.metrics as { accuracy: number }).accuracy;
    const insert = async (n: number, correct: number): Promise<void> => {
      const ids = Array.from({ length: n }, () => randomUUID());
      await s.pool.query(
        `INSERT INTO predictions (id, model, version, features, output) SELECT id, 'churn', 1, '{}', jsonb_build_object('label', '1') FROM unnest($1::uuid[]) AS id`,
        [ids],
      );
      await s.pool.query(
        `INSERT INTO feedback (prediction_id, label) SELECT id, CASE WHEN n <= $2 THEN '1' ELSE '0' END FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
        [ids, correct],
      );
    };
    await insert(100, Math.round(evaluated * 100));
    const fine = await checkModelDrift({ model: 'churn', windowSeconds: 3600 }, s);
    expect(fine.concept).toMatchObject({ metric: 'accuracy', labels: 100, drift: false });
    await s.pool.query('DELETE FROM feedback');
    await s.pool.query('DELETE FROM predictions');
    await insert(100, 30);
    const drifted = await checkModelDrift({ model: 'churn', windowSeconds: 3600, maxPerformanceDrop: 0.05 }, s);
    expect(drifted.concept).toMatchObject({ metric: 'accuracy', live: 0.3, evaluated, labels: 100, drift: true });
    expect(await checkModelDrift({ model: 'churn', windowSeconds: 3600, minLabels: 1000 }, s)).toMatchObject({ concept: null });
  });
});
