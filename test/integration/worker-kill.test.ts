// A worker killed with SIGKILL during training: another worker takes the run over when the activity's
// heartbeat times out, and the run completes with exactly one model version.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config';
import { writeSynthCsv } from '../../core/data/synth';
import { isolatedStores } from '../support/isolated-stores';
import { ctWorkflowId, retrainSignal, type RunResult, statusQuery, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let client: Client;
let connection: Connection;
const workers: ChildProcess[] = [];
const taskQueue = `test-kill-${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-kill-'));
const data = path.join(dir, 'churn.csv');
const bin = path.join(__dirname, '..', '..', 'bin', 'mlops.js');

function startWorker(): ChildProcess {
  // The real `mlops worker`, on this file's task queue, schema and prefix.
  const child = spawn(process.execPath, [bin, 'worker', '--task-queue', taskQueue], {
    env: { ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix },
    stdio: 'ignore',
  });
  workers.push(child);
  return child;
}

beforeAll(async () => {
  s = await isolatedStores('kill');
  await writeSynthCsv(data, { rows: 400_000, seed: 31 });
  connection = await Connection.connect({ address: loadConfig().temporal.address });
  client = new Client({ connection });
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await connection?.close();
  await s.drop();
});

describe('worker killed during training', () => {
  it('is replaced and the run completes with exactly one model version', async () => {
    const first = startWorker();
    const model = `kill-${randomBytes(3).toString('hex')}`;
    const run = { trigger: 'manual' as const, requestId: randomUUID() };
    const handle = await client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
      workflowId: ctWorkflowId(model),
      taskQueue,
      signal: retrainSignal,
      signalArgs: [run],
      args: [
        {
          name: model,
          data: { uri: data },
          target: 'churned',
          features: { exclude: ['customer_id'] },
          training: { algorithms: ['gbdt'], gbdt: { maxIter: 400, learningRate: [0.05] } },
          run,
        },
      ],
    });
    const h = client.workflow.getHandle(handle.workflowId, handle.signaledRunId);
    const deadline = Date.now() + 120_000;
    while ((await h.query(statusQuery).catch(() => undefined))?.stage !== 'train' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await h.query(statusQuery)).stage).toBe('train');
    await new Promise((r) => setTimeout(r, 1500));
    first.kill('SIGKILL');
    startWorker();
    const result = (await h.result()) as RunResult;
    expect(result.status).toBe('deployed');
    expect((await s.registry.listVersions(model)).map((v) => v.version)).toEqual([1]);
    const trains = await s.pool.query(`SELECT count(*)::int AS n FROM executions WHERE stage = 'train' AND status = 'complete'`);
    expect(trains.rows[0].n).toBe(1);
  }, 300_000);
});
