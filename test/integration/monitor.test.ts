// The drift loop on real services: a deploy starts the model's drift monitor; shifted traffic in the
// prediction log makes it ask for a retraining (trigger drift); the new version is deployed and the monitor
// follows it; the cool-down holds while the drift continues.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthCsv } from '../../core/data/synth';
import { ctWorkflowId, retrainSignal } from '../../workflows/messages';
import { monitorStatusQuery } from '../../workflows/monitor';
import type { RunResult } from '../../workflows/run';
import { isolatedStores } from '../support/isolated-stores';
import { logSynthTraffic } from '../support/synth-traffic';
import { startTestWorker, type TestWorker } from '../support/worker';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-monitor-'));
const data = path.join(dir, 'churn.csv');
const model = `mon-${randomBytes(3).toString('hex')}`;

async function logShifted(version: number, rows: number): Promise<void> {
  const file = path.join(dir, `traffic-${version}.csv`);
  await writeSynthCsv(file, { rows, seed: 70 + version, drift: 2 });
  await logSynthTraffic(s.pool, model, version, file);
}

const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

beforeAll(async () => {
  s = await isolatedStores('monitor');
  w = await startTestWorker(s, 'monitor');
  await writeSynthCsv(data, { rows: 3000, seed: 61 });
}, 120_000);

afterAll(async () => {
  await w.client.workflow.getHandle(`drift-${model}`).terminate('test done').catch(() => undefined);
  await w?.stop();
  await s.drop();
});

describe('drift monitor', () => {
  it('retrains on drift in production traffic, follows the new version, and holds the cool-down', async () => {
    const run = { trigger: 'manual' as const, requestId: randomUUID() };
    const spec = { name: model, data: { uri: data }, target: 'churned', features: { exclude: ['customer_id'] }, monitor: { interval: 1, window: 3600, coolDown: 3600, minRows: 100 } };
    const started = await w.client.workflow.signalWithStart('continuousTrainingPipeline', { workflowId: ctWorkflowId(model), taskQueue: w.taskQueue, args: [{ ...spec, run }], signal: retrainSignal, signalArgs: [run] });
    const first = (await w.client.workflow.getHandle(started.workflowId, started.signaledRunId).result()) as RunResult;
    expect(first.deployed).toEqual({ alias: 'production', version: 1 });
    const monitor = w.client.workflow.getHandle(`drift-${model}`);
    expect((await monitor.describe()).status.name).toBe('RUNNING');
    await waitFor('a first check', async () => ((await monitor.query(monitorStatusQuery)).checks > 0 ? true : undefined));
    expect((await monitor.query(monitorStatusQuery)).retrains).toBe(0); // no traffic, no verdict

    // New data arrives at data.uri and production traffic shifts the same way.
    await writeSynthCsv(data, { rows: 3000, seed: 62, drift: 2 });
    await logShifted(1, 300);
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
    const report = await s.pool.query(`SELECT version, columns FROM drift_reports WHERE model = $1 AND dataset_drift ORDER BY id LIMIT 1`, [model]);
    expect(report.rows[0].version).toBe(1);
    expect((report.rows[0].columns as { name: string; drifted: boolean }[]).filter((c) => c.drifted).map((c) => c.name)).toEqual(expect.arrayContaining(['age']));

    // The monitor follows v2; v2's traffic still drifts against v2's reference, but the cool-down holds.
    await logShifted(2, 300);
    await waitFor('a check of v2', async () => ((await monitor.query(monitorStatusQuery)).last?.version === 2 ? true : undefined));
    const checks = (await monitor.query(monitorStatusQuery)).checks;
    await waitFor('three more checks', async () => ((await monitor.query(monitorStatusQuery)).checks >= checks + 3 ? true : undefined));
    expect((await monitor.query(monitorStatusQuery)).retrains).toBe(1);
  }, 240_000);
});
