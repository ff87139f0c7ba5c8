// The drift loop on real services: a deploy starts the model's drift monitor; shifted traffic sent through
// the model server (with feedback labels) makes it ask for a retraining (trigger drift) that learns from the
// labelled traffic, reweighted towards it; the new version is served and the monitor follows it; the
// cool-down holds while the drift continues.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { writeSynthCsv } from '../../core/data/synth';
import { startServing, type RunningServer } from '../../serving/main';
import { readSynthRows } from '../support/synth-traffic';
import { isolatedStores } from '../support/isolated-stores';
import { waitFor } from '../support/wait';
import { startTestWorker, type TestWorker } from '../support/worker';
import { ctWorkflowId, monitorStatusQuery, retrainSignal, type RunResult, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let server: RunningServer;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-monitor-'));
const data = path.join(dir, 'churn.csv');
const model = `mon-${randomBytes(3).toString('hex')}`;
const calm = `${model}-calm`;

const post = async (route: string, body: unknown, name = model): Promise<Record<string, unknown>> => {
  const res = await fetch(`${server.url}/v1/models/${name}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
};

/** Production traffic through the model server (shifted unless drift 0), then the outcomes as feedback labels (inverted: concept drift). */
async function sendShifted(version: number, rows: number, opts: { name?: string; drift?: number; seed?: number; invertLabels?: boolean } = {}): Promise<void> {
  const name = opts.name ?? model;
  const file = path.join(dir, `traffic-${name}-${version}-${opts.seed ?? 0}.csv`);
  await writeSynthCsv(file, { rows, seed: opts.seed ?? 70 + version, drift: opts.drift ?? 2 });
  const records = readSynthRows(file);
  for (let i = 0; i < records.length; i += 100) {
    const batch = records.slice(i, i + 100);
    const out = await post(':predict', { instances: batch.map(({ churned: _y, ...r }) => r) }, name);
    expect(out.model_version).toBe(String(version));
    const ids = (out.predictions as { id: string }[]).map((p) => p.id);
    const label = (y: unknown): string => String(opts.invertLabels ? 1 - Number(y) : y);
    const fed = await post(':feedback', { labels: ids.map((id, k) => ({ id, label: label(batch[k]!.churned) })) }, name);
    expect(fed.accepted).toBe(batch.length);
  }
}

beforeAll(async () => {
  s = await isolatedStores('monitor');
  server = await startServing(loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix }), {
    address: `127.0.0.1:${randomInt(20000, 29999)}`,
  });
  w = await startTestWorker(s, 'monitor', { serveUrl: server.url });
  await writeSynthCsv(data, { rows: 3000, seed: 61 });
}, 120_000);

afterAll(async () => {
  for (const m of [model, calm])
    await w.client.workflow
      .getHandle(`drift-${m}`)
      .terminate('test done')
      .catch(() => undefined);
  await w?.stop();
  await server?.close();
  await s.drop();
});

describe('drift monitor', () => {
  it('retrains on drift in production traffic, follows the new version, and holds the cool-down', async () => {
    const run = { trigger: 'manual' as const, requestId: randomUUID() };
    const spec = {
      name: model,
      data: { uri: data },
      target: 'churned',
      features: { exclude: ['customer_id'] },
      monitor: { interval: 1, window: 3600, coolDown: 3600, minRows: 100, onDrift: 'reweight' },
    };
    const started = await w.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
      workflowId: ctWorkflowId(model),
      taskQueue: w.taskQueue,
      args: [{ ...spec, run }],
      signal: retrainSignal,
      signalArgs: [run],
    });
    const first = (await w.client.workflow.getHandle(started.workflowId, started.signaledRunId).result()) as RunResult;
    expect(first.deployed).toEqual({ alias: 'production', version: 1 });
    const monitor = w.client.workflow.getHandle(`drift-${model}`);
    expect((await monitor.describe()).status.name).toBe('RUNNING');
    await waitFor('a first check', async () => ((await monitor.query(monitorStatusQuery)).checks > 0 ? true : undefined));
    expect((await monitor.query(monitorStatusQuery)).retrains).toBe(0); // no traffic, no verdict

    // New data arrives at data.uri and production traffic shifts the same way.
    await writeSynthCsv(data, { rows: 3000, seed: 62, drift: 2 });
    await sendShifted(1, 300);
    const retrained = await waitFor('a retraining run triggered by drift', async () => {
      for await (const e of w.client.workflow.list({ query: `WorkflowId = '${ctWorkflowId(model)}'` })) {
        if (e.runId === started.signaledRunId || e.status.name !== 'COMPLETED') continue;
        const r = (await w.client.workflow.getHandle(ctWorkflowId(model), e.runId).result()) as RunResult;
        if (r.trigger === 'drift') return r;
      }
      return undefined;
    });
    expect(retrained.status).toBe('deployed');
    expect(retrained.deployed?.version).toBe(2);
    // It learned from the labelled traffic too, weighted towards it, and says so.
    expect(retrained.dataset?.feedbackRows).toBe(300);
    expect(retrained.dataset?.rows).toBe(3300);
    expect(retrained.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/monitor.onDrift reweight/)]));
    // The new data at data.uri is already shifted like the traffic: the domain classifier barely tells them apart.
    const reweight = ((await s.registry.getVersion(model, 2))!.properties as { reweight?: { domainAuc: number; currentRows: number; effectiveRows: number } })
      .reweight;
    expect(reweight).toMatchObject({ currentRows: 300, columns: expect.arrayContaining(['age', 'plan']) });
    expect(reweight!.domainAuc).toBeLessThan(0.65);
    expect(reweight!.effectiveRows).toBeGreaterThan(0.8 * 3300 * 0.8);
    expect(await (await fetch(`${server.url}/v1/models/${model}`)).json()).toMatchObject({ version: 2 });
    const report = await s.pool.query(`SELECT version, columns FROM drift_reports WHERE model = $1 AND dataset_drift ORDER BY id LIMIT 1`, [model]);
    expect(report.rows[0].version).toBe(1);
    expect((report.rows[0].columns as { name: string; drifted: boolean }[]).filter((c) => c.drifted).map((c) => c.name)).toEqual(
      expect.arrayContaining(['age']),
    );

    // The monitor follows v2; v2's traffic still drifts against v2's reference, but the cool-down holds.
    await sendShifted(2, 300);
    await waitFor('a check of v2', async () => ((await monitor.query(monitorStatusQuery)).last?.version === 2 ? true : undefined));
    const checks = (await monitor.query(monitorStatusQuery)).checks;
    await waitFor('three more checks', async () => ((await monitor.query(monitorStatusQuery)).checks >= checks + 3 ? true : undefined));
    expect((await monitor.query(monitorStatusQuery)).retrains).toBe(1);
  }, 240_000);

  it('does nothing on traffic like the training data, and retrains when feedback shows the concept moved', async () => {
    const run = { trigger: 'manual' as const, requestId: randomUUID() };
    // Data of its own: the first test rewrote `data` with shifted rows.
    const calmData = path.join(dir, 'calm.csv');
    await writeSynthCsv(calmData, { rows: 3000, seed: 63 });
    const spec = {
      name: calm,
      data: { uri: calmData },
      target: 'churned',
      features: { exclude: ['customer_id'] },
      monitor: { interval: 1, window: 3600, coolDown: 3600, minRows: 100, minLabels: 100 },
    };
    const started = await w.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
      workflowId: ctWorkflowId(calm),
      taskQueue: w.taskQueue,
      args: [{ ...spec, run }],
      signal: retrainSignal,
      signalArgs: [run],
    });
    expect(((await w.client.workflow.getHandle(started.workflowId, started.signaledRunId).result()) as RunResult).deployed).toEqual({
      alias: 'production',
      version: 1,
    });
    const monitor = w.client.workflow.getHandle(`drift-${calm}`);

    await sendShifted(1, 300, { name: calm, drift: 0, seed: 91 });
    await waitFor('a check of the calm traffic', async () => ((await monitor.query(monitorStatusQuery)).last?.rows === 300 ? true : undefined));
    const checks = (await monitor.query(monitorStatusQuery)).checks;
    await waitFor('three more checks', async () => ((await monitor.query(monitorStatusQuery)).checks >= checks + 3 ? true : undefined));
    expect(await monitor.query(monitorStatusQuery)).toMatchObject({ retrains: 0, last: { datasetDrift: false } });

    // The same kind of inputs, but the outcomes now go the other way: only the labels can tell.
    await sendShifted(1, 300, { name: calm, drift: 0, seed: 92, invertLabels: true });
    await waitFor('a retraining asked for by concept drift', async () => ((await monitor.query(monitorStatusQuery)).retrains === 1 ? true : undefined));
    expect((await monitor.query(monitorStatusQuery)).last?.datasetDrift).toBe(false);
    const drifted = await waitFor('the drift-triggered run', async () => {
      for await (const e of w.client.workflow.list({ query: `WorkflowId = '${ctWorkflowId(calm)}'` })) {
        if (e.runId === started.signaledRunId || e.status.name !== 'COMPLETED') continue;
        const r = (await w.client.workflow.getHandle(ctWorkflowId(calm), e.runId).result()) as RunResult;
        if (r.trigger === 'drift') return r;
      }
      return undefined;
    });
    expect(drifted.dataset?.feedbackRows).toBe(600);
  }, 240_000);
});
