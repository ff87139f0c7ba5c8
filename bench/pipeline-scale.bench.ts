// The continuous-training pipeline at scale: one CT run, ingest → deploy, on the seeded mixed table (bench/mixed-table.ts)
// at 1M or 10M rows, against a real `mlops worker` in its own process (task queue, schema and bucket prefix of its
// own on the local stack). The figure is the run's wall time; the run fails if any activity needed a second attempt.
// Printed with it: each stage's time and peak RSS (as the stage recorded it in lineage: activities/stage-memory.ts) and
// the worker's peak RSS (VmHWM: the whole process, DuckDB and threads included).
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { loadConfig } from '../core/config';
import { openStores } from '../core/store';
import { migrate } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import { workerPollers } from '../infra/stack';
import type { Benchmark } from './harness';
import { MIXED_TARGET, mixedTableFile } from './mixed-table';
import { ctWorkflowId, retrainSignal, workflows, type RunResult } from '../workflows/contracts';

/** Peak resident set of a process, MB (Linux). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Each stage's peak RSS as its activity recorded it in lineage (the one run in this schema). */
async function stagePeakRss(pool: Pool, schema: string): Promise<Record<string, number>> {
  const res = await pool.query<{ stage: string; mb: string | null }>(
    `SELECT stage, params->>'peakRssMb' AS mb FROM ${schema}.executions WHERE status = 'complete' ORDER BY id`,
  );
  return Object.fromEntries(res.rows.filter((r) => r.mb !== null).map((r) => [r.stage, Number(r.mb)]));
}

function ctAtScale(name: string, rows: number, training: Record<string, unknown>, target: number, what: string): Benchmark {
  return {
    name,
    what:
      `One continuousTrainingPipeline run (ingest → validate → govern → features → select → train → evaluate → deploy) on the ` +
      `seeded ${rows.toLocaleString('en-US')}-row mixed table (10 numeric, 10 categorical columns of 10–46 categories, 1% missing; ` +
      `binary label), ${what}, against one \`mlops worker\` process: wall seconds from start to result. The run fails if any ` +
      "activity needed a second attempt. Measured in the same run: the worker's peak RSS, and each stage's time and peak RSS " +
      '(as the stage recorded it in lineage: the process high-water mark when it rose during the stage, else the largest 100 ms sample).',
    unit: 's',
    target,
    better: 'lower',
    runs: Number(process.env.BENCH_RUNS ?? 1),
    run: async () => {
      const data = await mixedTableFile(rows);
      const config = loadConfig();
      const id = randomBytes(4).toString('hex');
      const taskQueue = `bench-scale-${id}`;
      const stores = openStores(config, { schema: `bench_scale_${id}`, prefix: `bench/scale-${id}` });
      await migrate(stores.pool, stores.schema);
      const worker = spawn(process.execPath, [path.join(projectRoot(), 'bin', 'mlops.js'), 'worker', '--task-queue', taskQueue], {
        env: { ...process.env, MLOPS_DB_SCHEMA: stores.schema, MLOPS_S3_PREFIX: stores.artifacts.prefix },
        stdio: 'ignore',
      });
      const connection = await Connection.connect({ address: config.temporal.address });
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const say = (line: string): void => void process.stderr.write(`${line}\n`);
      try {
        const deadline = Date.now() + 120_000;
        while ((await workerPollers(config, taskQueue)) === 0) {
          if (Date.now() > deadline || worker.exitCode !== null) throw new Error('the worker did not start polling');
          await new Promise((r) => setTimeout(r, 250));
        }
        const model = `scale-${id}`;
        const run = { trigger: 'manual' as const, requestId: randomUUID() };
        const started = Date.now();
        const h = await client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
          workflowId: ctWorkflowId(model),
          taskQueue,
          signal: retrainSignal,
          signalArgs: [run],
          args: [{ name: model, data: { uri: data }, target: MIXED_TARGET, training, monitor: { enabled: false }, run }],
        });
        const handle = client.workflow.getHandle(h.workflowId, h.signaledRunId);
        const r = (await handle.result()) as RunResult;
        const seconds = (Date.now() - started) / 1000;
        const rss = peakRssMb(worker.pid!);
        const events = (await handle.fetchHistory()).events ?? [];
        const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
        say(
          `  ${r.status} v${r.model?.version ?? '-'} ${r.model?.algorithm ?? ''} AUC ${r.model?.metrics.roc_auc ?? '-'}; ${seconds.toFixed(1)} s; worker peak RSS ${rss.toFixed(0)} MB; activities retried: ${retried}`,
        );
        say(`  stages (ms): ${JSON.stringify(r.timingsMs)}`);
        const stageRss = await stagePeakRss(stores.pool, stores.schema);
        say(`  stages (peak RSS, MB): ${JSON.stringify(stageRss)}`);
        if (retried > 0) throw new Error(`${retried} activities needed more than one attempt`);
        if (!r.model) throw new Error(`no model: ${r.status} ${r.reasons.join('; ')}`);
        return {
          figure: seconds,
          details: {
            'worker peak RSS (MB)': rss,
            'activities retried': retried,
            ...Object.fromEntries(Object.entries(r.timingsMs).flatMap(([stage, ms]) => (typeof ms === 'number' ? [[`${stage} s`, ms / 1000]] : []))),
            ...Object.fromEntries(Object.entries(stageRss).map(([stage, mb]) => [`${stage} peak RSS (MB)`, mb])),
          },
        };
      } finally {
        worker.kill('SIGTERM');
        await new Promise((res) => (worker.exitCode !== null ? res(undefined) : worker.once('exit', res)));
        await connection.close();
        for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
        await stores.pool.query(`DROP SCHEMA ${stores.schema} CASCADE`);
        await stores.close();
      }
    },
  };
}

export const ctGbdt1m = ctAtScale('ct-gbdt-mixed-1m', 1_000_000, { algorithms: ['gbdt'] }, 60, 'training.algorithms ["gbdt"] (native categorical splits)');
export const ctDefault1m = ctAtScale('ct-default-mixed-1m', 1_000_000, {}, 30, 'the default spec (logistic regression over its l2 grid)');
export const ctDefault10m = ctAtScale('ct-default-mixed-10m', 10_000_000, {}, 300, 'the default spec (logistic regression over its l2 grid)');
export const ctGbdt10m = ctAtScale('ct-gbdt-mixed-10m', 10_000_000, { algorithms: ['gbdt'] }, 600, 'training.algorithms ["gbdt"] (native categorical splits)');
