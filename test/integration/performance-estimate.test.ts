// Performance before labels on real services: a deployed churn classifier serves a calm window and then a
// shifted one through the model server; each check estimates accuracy, F1 and ROC-AUC from the served
// probabilities (CBPE); the labels arrive late, as feedback, and the next check stores the realised values
// and the estimate's error.
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
import { isolatedStores } from '../support/isolated-stores';
import { readSynthRows } from '../support/synth-traffic';
import { waitFor } from '../support/wait';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let server: RunningServer;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-cbpe-'));
const model = 'cbpe';

const post = async (route: string, body: unknown): Promise<Record<string, unknown>> => {
  const res = await fetch(`${server.url}/v1/models/${model}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
};

/**
 * Serves a synthetic window (the rows `keep` accepts, up to `rows`); returns the prediction ids with their
 * true labels, to be sent later.
 */
async function serve(rows: number, seed: number, keep: (r: Record<string, unknown>) => boolean = () => true): Promise<{ id: string; label: string }[]> {
  const file = path.join(dir, `window-${seed}.csv`);
  await writeSynthCsv(file, { rows: rows * 4, seed });
  const records = readSynthRows(file).filter(keep).slice(0, rows);
  const out: { id: string; label: string }[] = [];
  for (let i = 0; i < records.length; i += 200) {
    const batch = records.slice(i, i + 200);
    const res = await post(':predict', { instances: batch.map(({ churned: _y, ...r }) => r) });
    (res.predictions as { id: string }[]).forEach((p, k) => out.push({ id: p.id, label: String(batch[k]!.churned) }));
  }
  // The server logs predictions in the background: wait until this window's are all written.
  await waitFor('the window in the prediction log', async () => {
    const n = await s.pool.query<{ n: string }>('SELECT count(*) AS n FROM predictions WHERE id = ANY($1::uuid[])', [out.map((o) => o.id)]);
    return Number(n.rows[0]!.n) === out.length ? true : undefined;
  });
  return out;
}

async function sendLabels(labels: { id: string; label: string }[]): Promise<void> {
  for (let i = 0; i < labels.length; i += 500) await post(':feedback', { labels: labels.slice(i, i + 500) });
}

beforeAll(async () => {
  s = await isolatedStores('cbpe');
  const train = path.join(dir, 'train.csv');
  await writeSynthCsv(train, { rows: 6000, seed: 81 });
  const spec = parseSpec({ name: model, data: { uri: train }, target: 'churned', features: { exclude: ['customer_id'] } });
  const dataset = await ingest({ uri: train }, { artifacts: s.artifacts });
  const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: s.artifacts });
  const m = await trainStage(
    { model, runKey: 'r1', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
    { artifacts: s.artifacts, registry: s.registry, latencyCalls: 10 },
  );
  await s.registry.setAlias({ model, alias: 'production', version: m.version, actor: 'test', reason: 'deploy' });
  server = await startServing(loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix }), {
    address: `127.0.0.1:${randomInt(20000, 29999)}`,
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await s?.drop();
});

const windowSince = (startedAt: number): number => (Date.now() - startedAt) / 1000 + 0.5;

describe('performance estimates before labels (CBPE)', () => {
  it('stores a calibration and the test split performance with the version', async () => {
    const mv = (await s.registry.getVersion(model, 1))!;
    const cbpe = (mv.properties as { cbpe?: { threshold: number; calibration: { x: number[]; y: number[] }; realised: Record<string, number> } }).cbpe!;
    expect(cbpe.threshold).toBe(0.5);
    expect(cbpe.calibration.x.length).toBeGreaterThan(3);
    expect(cbpe.realised.roc_auc).toBeCloseTo((mv.metrics as { roc_auc: number }).roc_auc, 6);
  });

  it('estimates a calm and a shifted window, then measures each estimate against its late labels', async () => {
    const calmStart = Date.now();
    const calmLabels = await serve(1500, 82);
    const calm = await checkModelDrift({ model, windowSeconds: windowSince(calmStart), minRows: 100 }, s);
    expect(calm.estimate).toMatchObject({ rows: 1500, dropped: [] });
    await new Promise((r) => setTimeout(r, 1200));
    const shiftStart = Date.now();
    // The customers who now arrive are those with 2-3 support calls, whose churn the model is least sure of:
    // a covariate shift that lowers accuracy, visible in the served probabilities before any label.
    const shiftedLabels = await serve(1500, 83, (r) => r.support_calls === 2 || r.support_calls === 3);
    const shifted = await checkModelDrift({ model, windowSeconds: windowSince(shiftStart), minRows: 100, maxEstimatedDrop: 0.03 }, s);
    expect(shifted.estimate!.rows).toBe(1500);
    expect(shifted.estimate!.dropped).toContain('accuracy');
    expect(shifted.estimate!.interval.accuracy![1]).toBeLessThan(shifted.estimate!.reference.accuracy!);
    expect(shifted.realised).toEqual([]); // no labels yet

    // The labels arrive late; the next check realises both windows and stores the estimate's error.
    await sendLabels([...calmLabels, ...shiftedLabels]);
    // A window too small to estimate: this check only realises the earlier ones.
    const later = await checkModelDrift({ model, windowSeconds: 1, minRows: 100_000 }, s);
    expect(later.estimate).toBeNull();
    expect(later.realised.map((r) => r.labels).sort()).toEqual([1500, 1500]);
    const stored = await s.pool.query<{
      id: string;
      estimated: Record<string, number>;
      realised: Record<string, number>;
      error: Record<string, number>;
      labels: number;
    }>('SELECT id, estimated, realised, error, labels FROM performance_estimates ORDER BY id');
    expect(stored.rows).toHaveLength(2);
    for (const row of stored.rows) {
      for (const k of ['accuracy', 'f1', 'roc_auc']) {
        expect(row.error[k]).toBeCloseTo(row.estimated[k]! - row.realised[k]!, 12);
        expect(Math.abs(row.error[k]!)).toBeLessThan(0.05);
      }
    }
    console.log(`CBPE on late labels: ${JSON.stringify(stored.rows.map((r) => ({ estimated: r.estimated, realised: r.realised, error: r.error })))}`);
  }, 120_000);
});
