// Training/serving skew on real services: requests sent through the model server with their row key are
// compared with the same rows read offline from data.uri; a client that sends other units is caught.
import { randomInt } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { ingest } from '../../core/data/ingest';
import { writeSynthCsv } from '../../core/data/synth';
import { featuresStage } from '../../core/features/stages';
import { trainStage } from '../../core/ml/train';
import { checkModelDrift } from '../../core/monitor/check';
import { parseSpec } from '../../core/spec';
import { startServing, type RunningServer } from '../../serving/main';
import { readSynthRows } from '../support/synth-traffic';
import { isolatedStores } from '../support/isolated-stores';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let server: RunningServer;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-skew-'));
const data = path.join(dir, 'churn.csv');

const rows = (): Record<string, unknown>[] => readSynthRows(data);

async function send(instances: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${server.url}/v1/models/churn:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  s = await isolatedStores('skew');
  await writeSynthCsv(data, { rows: 2000, seed: 91 });
  const spec = parseSpec({
    name: 'churn',
    data: { uri: data, keys: ['customer_id'] },
    target: 'churned',
    governance: { protected: ['region'] },
    features: { exclude: ['customer_id'], derive: [{ name: 'signup_month', op: 'month', input: 'signup_date' }] },
  });
  const dataset = await ingest({ uri: data }, { artifacts: s.artifacts });
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  const m = await trainStage(
    { model: 'churn', runKey: 'r1', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
    { artifacts: s.artifacts, registry: s.registry, latencyCalls: 10 },
  );
  await s.registry.setAlias({ model: 'churn', alias: 'production', version: m.version, actor: 'test', reason: 'deploy' });
  server = await startServing(loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix }), {
    address: `127.0.0.1:${randomInt(20000, 29999)}`,
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await s.drop();
});

const logged = async (): Promise<void> => {
  // The server writes its log in batches; a feedback call flushes it.
  await fetch(`${server.url}/v1/models/churn:feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ labels: [{ id: '00000000-0000-0000-0000-000000000000', label: '0' }] }),
  });
};

describe('training/serving skew', () => {
  it('finds none when the served rows are the rows of the data', async () => {
    const { churned: _c, ...first } = rows()[0]!;
    void _c;
    await send(
      rows()
        .slice(0, 200)
        .map(({ churned: _x, ...r }) => r),
    );
    await logged();
    const logRow = await s.pool.query(`SELECT features FROM predictions WHERE features->>'customer_id' = $1`, [first.customer_id]);
    expect(logRow.rows[0].features).toMatchObject({ customer_id: first.customer_id, age: first.age });
    expect(logRow.rows[0].features.region).not.toBe(first.region); // protected: hashed
    const r = await checkModelDrift({ model: 'churn', windowSeconds: 3600, minRows: 10 }, s);
    expect(r.skew).toMatchObject({ checked: 200, unmatched: 0, rowsWithMismatch: 0, skew: false, columns: [] });
    await s.pool.query('DELETE FROM predictions');
  });

  it('names the feature a client sends in other units, with an example', async () => {
    const served = rows()
      .slice(200, 400)
      .map(({ churned: _x, ...r }, i) => (i % 2 === 0 ? { ...r, income: (r.income as number) / 1000 } : r));
    await send([...served, { ...served[1], customer_id: 'not-in-the-data' }]);
    await logged();
    const r = await checkModelDrift({ model: 'churn', windowSeconds: 3600, minRows: 10 }, s);
    expect(r.skew).toMatchObject({ checked: 200, unmatched: 1, rowsWithMismatch: 100, share: 0.5, skew: true });
    expect(r.skew!.columns.map((c) => [c.name, c.mismatches])).toEqual([['income', 100]]);
    const example = r.skew!.columns[0]!.example!;
    expect(example.served).toBeCloseTo((example.offline as number) / 1000, 9);
    const stored = await s.pool.query(`SELECT skew FROM drift_reports ORDER BY id DESC LIMIT 1`);
    expect(stored.rows[0].skew).toMatchObject({ skew: true, rowsWithMismatch: 100 });
  });
});
