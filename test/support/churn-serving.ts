// The model the serving tests serve: `churn`, trained here on a seeded synthetic CSV (protected `region`, a
// month derived from `signup_date`), version 1 aliased production, in stores of the test file's own; and the
// real model server over those stores on a free port.
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../core/config';
import { ingest } from '../../core/data/ingest';
import { writeSynthCsv } from '../../core/data/synth';
import { featuresStage } from '../../core/features/stages';
import { trainStage } from '../../core/ml/train';
import { parseSpec } from '../../core/spec';
import { startServing, type RunningServer } from '../../serving/main';
import { isolatedStores } from './isolated-stores';

export interface ChurnModel {
  stores: Awaited<ReturnType<typeof isolatedStores>>;
  /** Trains and registers one more version (no alias) with L2 strength `l2`; its version number. */
  train(runKey: string, l2: number): Promise<number>;
}

/**
 * Stores labelled `label`, the churn CSV (3,000 rows, seed 41), and version 1 (l2 = 1) aliased production.
 * `latencyCalls`: how many scoring calls training times for the model card.
 */
export async function churnModel(label: string, opts: { latencyCalls: number }): Promise<ChurnModel> {
  const stores = await isolatedStores(label);
  const data = path.join(mkdtempSync(path.join(os.tmpdir(), `mlops-${label}-`)), 'churn.csv');
  await writeSynthCsv(data, { rows: 3000, seed: 41 });
  const train = async (runKey: string, l2: number): Promise<number> => {
    const spec = parseSpec({
      name: 'churn',
      data: { uri: data },
      target: 'churned',
      governance: { protected: ['region'] },
      features: { exclude: ['customer_id'], derive: [{ name: 'signup_month', op: 'month', input: 'signup_date' }] },
      training: { l2: [l2] },
    });
    const dataset = await ingest({ uri: data }, { artifacts: stores.artifacts });
    const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: stores.artifacts });
    const m = await trainStage(
      { model: 'churn', runKey, spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
      { artifacts: stores.artifacts, registry: stores.registry, latencyCalls: opts.latencyCalls },
    );
    return m.version;
  };
  const v1 = await train('run-1', 1);
  await stores.registry.setAlias({ model: 'churn', alias: 'production', version: v1, actor: 'test', reason: 'first' });
  return { stores, train };
}

/** The model server (REST and gRPC) over the churn model's stores, REST on a random loopback port. */
export function serveChurn(model: ChurnModel): Promise<RunningServer> {
  const { stores } = model;
  const config = loadConfig({ ...process.env, MLOPS_DB_SCHEMA: stores.schema, MLOPS_S3_PREFIX: stores.artifacts.prefix });
  return startServing(config, { address: `127.0.0.1:${randomInt(20000, 29999)}` });
}
