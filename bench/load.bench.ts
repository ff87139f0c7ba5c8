// Load: 50 level-1 pipelines on small data started at once against ONE worker (the real `mlops worker`,
// in its own process, on a task queue, Postgres schema and bucket prefix of its own on the local stack).
// The figure is completed runs per minute; the orchestration overhead per stage is printed with it.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { loadConfig } from '../core/config';
import { openStores } from '../core/store';
import { migrate } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import { workerPollers } from '../infra/stack';
import { median, type Benchmark } from './harness';
import { ctWorkflowId, retrainSignal, workflows, type RunResult, type Stage, STAGES } from '../workflows/contracts';

const RUNS = Number(process.env.LOAD_RUNS ?? 50);
const DATA = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');

/** The activity that does each stage's work (a spec without feature sets, deploy strategy `replace`). */
const ACTIVITY: Record<Stage, string> = {
  ingest: 'ingestDataset',
  validate: 'validateData',
  govern: 'governData',
  features: 'buildFeatures',
  select: 'selectFeatures',
  train: 'trainModel',
  evaluate: 'evaluateModel',
  deploy: 'deployModel',
};

interface StageTimes {
  /** The stage's wall time in the run result (workflow time around the activity call). */
  wall: number;
  /** ActivityTaskScheduled → ActivityTaskStarted: waiting for a free activity slot on the worker. */
  queue: number;
  /** ActivityTaskStarted → ActivityTaskCompleted: the activity's own execution. */
  activity: number;
}

/** Per stage of one run: the result's wall time against the activity's events in the history. */
async function stageTimes(handle: WorkflowHandle, result: RunResult): Promise<Partial<Record<Stage, StageTimes>>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const byId = new Map<string, { name: string; scheduled: number; started?: number; closed?: number }>();
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) byId.set(String(e.eventId), { name: s.activityType?.name ?? '', scheduled: ms(e.eventTime) });
    if (e.activityTaskStartedEventAttributes) byId.get(String(e.activityTaskStartedEventAttributes.scheduledEventId))!.started = ms(e.eventTime);
    if (e.activityTaskCompletedEventAttributes) byId.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId))!.closed = ms(e.eventTime);
  }
  const out: Partial<Record<Stage, StageTimes>> = {};
  for (const stage of STAGES) {
    const a = [...byId.values()].find((x) => x.name === ACTIVITY[stage]);
    const wall = result.timingsMs[stage];
    if (!a?.started || !a.closed || wall === undefined) continue;
    out[stage] = { wall, queue: a.started - a.scheduled, activity: a.closed - a.started };
  }
  return out;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}

/** One line per stage: medians (p95) of wall, activity, overhead = wall − activity, and its queue share. */
function report(title: string, runs: Partial<Record<Stage, StageTimes>>[]): string {
  const f = (xs: number[]): string => `${median(xs).toFixed(0)} (${p95(xs).toFixed(0)})`;
  const lines = [
    `${title} — ms, median (p95) over ${runs.length} run(s)`,
    '| stage | wall | activity | overhead = wall − activity | of which queue wait | rest |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const stage of STAGES) {
    const t = runs.map((r) => r[stage]).filter((x): x is StageTimes => x !== undefined);
    if (t.length === 0) continue;
    lines.push(
      `| ${stage} | ${f(t.map((x) => x.wall))} | ${f(t.map((x) => x.activity))} | ${f(t.map((x) => x.wall - x.activity))} | ${f(t.map((x) => x.queue))} | ${f(t.map((x) => x.wall - x.activity - x.queue))} |`,
    );
  }
  return lines.join('\n');
}

export const load50: Benchmark = {
  name: 'load-50-pipelines',
  what:
    `${RUNS} level-1 pipelines on seattle-weather (1,461 rows, a model name each, linear training, no drift monitor) started at once ` +
    'against one worker (`mlops worker`: one activity slot per core) on a task queue, schema and bucket prefix of their own: ' +
    'completed runs per minute from the first start to the last result. The run prints the orchestration overhead per stage ' +
    "(stage wall time in the run result minus the activity's execution time from the workflow history), alone and under load.",
  unit: 'runs/min',
  target: 10,
  better: 'higher',
  runs: Number(process.env.BENCH_RUNS ?? 1),
  run: async () => {
    const config = loadConfig();
    const id = randomBytes(4).toString('hex');
    const taskQueue = `bench-load-${id}`;
    const stores = openStores(config, { schema: `bench_load_${id}`, prefix: `bench/load-${id}` });
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
      const start = async (model: string): Promise<WorkflowHandle> => {
        const run = { trigger: 'manual' as const, requestId: randomUUID() };
        const h = await client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
          workflowId: ctWorkflowId(model),
          taskQueue,
          signal: retrainSignal,
          signalArgs: [run],
          args: [{ name: model, data: { uri: DATA }, target: 'weather', monitor: { enabled: false }, run }],
        });
        return client.workflow.getHandle(h.workflowId, h.signaledRunId);
      };
      const finish = async (h: WorkflowHandle): Promise<{ h: WorkflowHandle; r: RunResult }> => {
        const r = (await h.result()) as RunResult;
        if (r.status !== 'deployed' || r.model?.version !== 1) throw new Error(`${h.workflowId}: ${r.status} ${r.reasons.join('; ')}`);
        return { h, r };
      };

      // Alone first (also warms the worker's caches): the overhead with nothing else running.
      const alone = await finish(await start(`load-alone-${id}`));
      say(report('one run alone', [await stageTimes(alone.h, alone.r)]));

      const t0 = Date.now();
      const handles = await Promise.all(Array.from({ length: RUNS }, (_, i) => start(`load-${id}-${i}`)));
      const done = await Promise.all(handles.map(finish));
      const seconds = (Date.now() - t0) / 1000;
      const perMin = RUNS / (seconds / 60);
      say(
        `${RUNS} runs at once: all deployed in ${seconds.toFixed(1)} s = ${perMin.toFixed(1)} runs/min; ` +
          `run total median ${median(done.map((d) => d.r.timingsMs.total ?? 0)).toFixed(0)} ms, max ${Math.max(...done.map((d) => d.r.timingsMs.total ?? 0)).toFixed(0)} ms`,
      );
      say(report(`${RUNS} runs at once`, await Promise.all(done.map((d) => stageTimes(d.h, d.r)))));
      return perMin;
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => (worker.exitCode !== null ? r(undefined) : worker.once('exit', r)));
      await connection.close();
      for (const o of await stores.artifacts.list()) await stores.artifacts.remove(o.key);
      await stores.pool.query(`DROP SCHEMA ${stores.schema} CASCADE`);
      await stores.close();
    }
  },
};
