// The model server against real stores: KServe V1 predict, bad requests, feedback, the prediction log with
// hashed protected attributes, metrics, and a hot reload under continuous traffic with no failed request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../serving/main';
import { dropOldPartitions, ensurePartitions, partitionName } from '../../serving/prediction-log';
import { churnModel, serveChurn, type ChurnModel } from '../support/churn-serving';

let churn: ChurnModel;
let s: ChurnModel['stores'];
let server: RunningServer;
const instance = {
  signup_date: '2023-05-02',
  age: 41,
  income: 52000,
  plan: 'basic',
  tenure_months: 3,
  support_calls: 5,
  monthly_charges: 47.5,
  region: 'north',
};

const post = (p: string, body: unknown) =>
  fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  churn = await churnModel('serving', { latencyCalls: 20 });
  s = churn.stores;
  server = await serveChurn(churn);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await s?.drop();
});

describe('model server', () => {
  it('predicts raw instances with the training derivations and the ONNX graph (KServe V1)', async () => {
    expect(await (await fetch(`${server.url}/v1/models/churn`)).json()).toMatchObject({ name: 'churn', ready: true, version: 1 });
    const res = await post('/v1/models/churn:predict', { instances: [instance, { ...instance, support_calls: 0, tenure_months: 60 }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { predictions: { id: string; label: string; probabilities: Record<string, number> }[]; model_version: string };
    expect(body.model_version).toBe('1');
    expect(body.predictions).toHaveLength(2);
    for (const p of body.predictions) {
      expect(p.probabilities['0']! + p.probabilities['1']!).toBeCloseTo(1, 5);
      expect(['0', '1']).toContain(p.label);
    }
    // More support calls and a short tenure: more likely to churn (the known relation of the data).
    expect(body.predictions[0]!.probabilities['1']).toBeGreaterThan(body.predictions[1]!.probabilities['1']!);
  });

  it('refuses bad requests, naming what is wrong', async () => {
    const { region: _r, age: _a, ...missing } = instance;
    const cases: [unknown, number, RegExp][] = [
      [{ instances: [missing] }, 400, /instances\[0\]\.age is missing/],
      [{ instances: [{ ...instance, age: 'old' }] }, 400, /instances\[0\]\.age must be a number, got "old"/],
      [{ instances: [] }, 400, /non-empty list/],
      ['{not json', 400, /not valid JSON/],
      [{ instances: [{ ...instance, plan: 'x'.repeat(1_100_000) }] }, 413, /over 1048576 bytes/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post('/v1/models/churn:predict', body);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    const unknown = await post('/v1/models/nope:predict', { instances: [instance] });
    expect(unknown.status).toBe(404);
  });

  it('logs predictions with protected attributes hashed, and joins feedback to them', async () => {
    const res = await post('/v1/models/churn:predict', { instances: [instance] });
    const id = ((await res.json()) as { predictions: { id: string }[] }).predictions[0]!.id;
    const fb = await post('/v1/models/churn:feedback', {
      labels: [
        { id, label: 1 },
        { id: '00000000-0000-0000-0000-000000000000', label: 0 },
      ],
    });
    expect(await fb.json()).toEqual({ accepted: 1, unknown: 1 });
    const row = await s.pool.query(`SELECT p.features, p.version, f.label FROM predictions p JOIN feedback f ON f.prediction_id = p.id WHERE p.id = $1`, [id]);
    expect(row.rows[0]).toMatchObject({ version: 1, label: '1' });
    expect(row.rows[0].features.region).toMatch(/^[0-9a-f]{16}$/);
    expect(row.rows[0].features.signup_month).toBe(5);
    expect(JSON.stringify(row.rows[0].features)).not.toContain('north');
    const bad = await post('/v1/models/churn:feedback', { labels: [{ id: 'x' }] });
    expect(bad.status).toBe(400);
  });

  it('hot-reloads a new production version under continuous traffic with no failed request', async () => {
    const v2 = await churn.train('run-2', 0.01);
    let stop = false;
    const versions = new Set<string>();
    let failures = 0;
    let sent = 0;
    const traffic = (async () => {
      while (!stop) {
        const r = await post('/v1/models/churn:predict', { instances: [instance] });
        sent++;
        if (r.status !== 200) failures++;
        else versions.add(((await r.json()) as { model_version: string }).model_version);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const moved = Date.now();
    await s.registry.setAlias({ model: 'churn', alias: 'production', version: v2, actor: 'test', reason: 'retrained' });
    while (server.host.get('churn')?.version !== v2 && Date.now() - moved < 10_000) await new Promise((r) => setTimeout(r, 20));
    const reloadMs = Date.now() - moved;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await traffic;
    expect(failures).toBe(0);
    expect(sent).toBeGreaterThan(20);
    expect([...versions].sort()).toEqual(['1', String(v2)]);
    expect(reloadMs).toBeLessThan(5_000);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`mlops_requests_total\\{model="churn",version="${v2}"\\} \\d+`));
    expect(metrics).toMatch(/mlops_prediction_log_dropped_total 0/);
  }, 120_000);

  it('drops protected attributes from the log when the spec says so', async () => {
    server.host.get('churn')!.logProtected = 'drop';
    const res = await post('/v1/models/churn:predict', { instances: [instance] });
    const id = ((await res.json()) as { predictions: { id: string }[] }).predictions[0]!.id;
    await new Promise((r) => setTimeout(r, 400)); // the batched writer flushes every 200 ms
    const row = await s.pool.query('SELECT features FROM predictions WHERE id = $1', [id]);
    expect(row.rows[0].features).not.toHaveProperty('region');
    expect(row.rows[0].features).toHaveProperty('support_calls', 5);
  });

  it('keeps the log in day partitions and drops the days past the retention', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000);
    await ensurePartitions(s.pool, old, 0);
    await s.pool.query(`INSERT INTO predictions (id, at, model, version, features, output) VALUES (gen_random_uuid(), $1, 'churn', 1, '{}', '{}')`, [old]);
    const today = partitionName(new Date());
    const dropped = await dropOldPartitions(s.pool, 30);
    expect(dropped).toEqual([partitionName(old)]);
    const left = await s.pool.query(`SELECT count(*)::int AS n FROM predictions WHERE at < now() - interval '30 days'`);
    expect(left.rows[0].n).toBe(0);
    const parts = await s.pool.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${s.schema}.${today}`]);
    expect(parts.rows[0].present).toBe(true);
  });
});
