// Gradient-boosted trees through the train stage: search, ONNX (TreeEnsemble in the same graph as the
// encoders), gain and permutation importance, and training resumed from a checkpoint after a crash.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../core/data/ingest';
import { writeSynthCsv } from '../../core/data/synth';
import { featuresStage } from '../../core/features/stages';
import { trainStage, type TrainCheckpoint } from '../../core/ml/train';
import { parseSpec } from '../../core/spec';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-gbdt-'));
const churn = path.join(dir, 'churn.csv');

beforeAll(async () => {
  s = await isolatedStores('gbdt');
  await writeSynthCsv(churn, { rows: 6000, seed: 21 });
}, 60_000);
afterAll(async () => {
  await s.drop();
});

async function prepared(raw: Record<string, unknown>) {
  const spec = parseSpec(raw);
  const dataset = await ingest({ uri: spec.data.uri }, { artifacts: s.artifacts });
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  const selected = f.plan.features.map((x) => x.name);
  return { spec, dataset, plan: f.plan, planRef: f.planRef, selected };
}

const gbdtSpec = {
  name: 'churn-gbdt',
  data: { uri: churn },
  target: 'churned',
  features: { exclude: ['customer_id'] },
  training: { algorithms: ['gbdt', 'logistic'], l2: [1], gbdt: { maxIter: 60, learningRate: [0.1, 0.3], maxLeaves: [15] }, seed: 5 },
};

describe('gradient-boosted trees in the train stage', () => {
  it('searches trees and linear models, exports the winner as one verified ONNX graph, with gain and permutation importance', async () => {
    const p = await prepared(gbdtSpec);
    const m = await trainStage({ model: 'churn-gbdt', runKey: 'run-1', ...p }, { artifacts: s.artifacts, registry: s.registry, latencyCalls: 100 });
    expect(m.trials.map((t) => t.algorithm).sort()).toEqual(['gbdt', 'gbdt', 'logistic']);
    // The synthetic label is drawn from a known probability: no model can get far above ~0.76 on it.
    expect(m.metrics.roc_auc).toBeGreaterThan(0.7);
    const gbdtTrials = m.trials.filter((t) => t.algorithm === 'gbdt');
    expect(gbdtTrials.every((t) => Number.isFinite(t.score))).toBe(true);
    expect(Object.values(m.importance).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Object.keys(m.permutationImportance).sort()).toEqual(p.selected.slice().sort());
    expect(m.permutationImportance.support_calls).toBeGreaterThan(0);
    expect(m.searchCutShort).toBe(false);
  }, 180_000);

  it('resumes an interrupted fit from its last checkpoint to the byte-identical model', async () => {
    // refit "full": the final fit (train + validation) is the one that checkpoints every 10 iterations.
    const spec = {
      ...gbdtSpec,
      name: 'churn-resume',
      training: { algorithms: ['gbdt'], gbdt: { maxIter: 40, learningRate: [0.2], maxLeaves: [15] }, refit: 'full', seed: 9 },
    };
    const p = await prepared(spec);
    const whole = await trainStage(
      { model: 'churn-resume', runKey: 'uninterrupted', ...p },
      { artifacts: s.artifacts, registry: s.registry, latencyCalls: 50 },
    );

    // First attempt: crashes right after its first checkpoint of the final fit (at the early-stopped iteration count).
    let saved: TrainCheckpoint | undefined;
    let finalSaves = 0;
    const crash = await trainStage(
      { model: 'churn-resume', runKey: 'interrupted', ...p },
      {
        artifacts: s.artifacts,
        registry: s.registry,
        latencyCalls: 50,
        checkpoint: {
          load: async () => undefined,
          save: async (c) => {
            saved = JSON.parse(JSON.stringify(c)) as TrainCheckpoint;
            if (c.final && ++finalSaves === 1) throw new Error('worker lost');
          },
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((crash as Error).message).toBe('worker lost');
    expect(saved?.final).toBeDefined();

    // The retried attempt starts from the saved checkpoint: finished trials are not repeated.
    const retried = await trainStage(
      { model: 'churn-resume', runKey: 'interrupted', ...p },
      {
        artifacts: s.artifacts,
        registry: s.registry,
        latencyCalls: 50,
        checkpoint: { load: async () => saved, save: async () => undefined },
      },
    );
    expect(retried.sha256).toBe(whole.sha256);
    expect(retried.trials).toEqual(whole.trials);
    // The crash came mid-fit: the final fit runs past the checkpoint it resumed from.
    expect(retried.refit).toMatchObject({ mode: 'full', rows: whole.rows.train + whole.rows.validation });
    expect(retried.refit?.iterations).toBeGreaterThan(saved!.final!.iteration);
  }, 180_000);

  it('refits the best trial of an earlier attempt to the byte-identical model the search kept (refit reuse)', async () => {
    const spec = {
      ...gbdtSpec,
      name: 'churn-reuse',
      training: { algorithms: ['gbdt'], gbdt: { maxIter: 30, learningRate: [0.1, 0.3], maxLeaves: [15] }, seed: 4 },
    };
    const p = await prepared(spec);
    const whole = await trainStage({ model: 'churn-reuse', runKey: 'uninterrupted', ...p }, { artifacts: s.artifacts, registry: s.registry, latencyCalls: 20 });
    expect(whole.refit).toMatchObject({ requested: 'auto', mode: 'reuse', reusedSearchModel: true, rows: whole.rows.train });

    // First attempt: lost right after its last trial was checkpointed, so the retry has no fitted model to keep.
    let saved: TrainCheckpoint | undefined;
    const crash = await trainStage(
      { model: 'churn-reuse', runKey: 'interrupted', ...p },
      {
        artifacts: s.artifacts,
        registry: s.registry,
        latencyCalls: 20,
        checkpoint: {
          load: async () => undefined,
          save: async (c) => {
            saved = JSON.parse(JSON.stringify(c)) as TrainCheckpoint;
            if (c.trials.length === 2) throw new Error('worker lost');
          },
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((crash as Error).message).toBe('worker lost');
    const retried = await trainStage(
      { model: 'churn-reuse', runKey: 'interrupted', ...p },
      {
        artifacts: s.artifacts,
        registry: s.registry,
        latencyCalls: 20,
        checkpoint: { load: async () => saved, save: async () => undefined },
      },
    );
    expect(retried.refit).toMatchObject({ mode: 'reuse', reusedSearchModel: false, rows: whole.rows.train });
    expect(retried.sha256).toBe(whole.sha256);
  }, 180_000);

  it('records a search cut short by the time budget', async () => {
    const p = await prepared({ ...gbdtSpec, name: 'churn-budget', training: { algorithms: ['logistic'], l2: [0.01, 0.1, 1, 10], timeBudgetSeconds: 1 } });
    const m = await trainStage(
      { model: 'churn-budget', runKey: 'budget', ...p },
      {
        artifacts: s.artifacts,
        registry: s.registry,
        latencyCalls: 20,
        // Each trial "takes" over a second: the budget stops the search after the first.
        checkpoint: { load: async () => undefined, save: () => new Promise((r) => setTimeout(r, 1100)) },
      },
    );
    expect(m.searchCutShort).toBe(true);
    expect(m.trials).toHaveLength(1);
  }, 120_000);
});
