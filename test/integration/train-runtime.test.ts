// The train stage at run time, on a real worker: a long GBDT fit keeps the activity heartbeating (the fit runs
// in a thread of its own), its progress shows in the pending activity's heartbeat details, and the result
// records how the final model was obtained (training.refit) and how long each part took.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixedTableFile } from '../../bench/mixed-table';
import { writeSynthCsv } from '../../core/data/synth';
import type { TrainStatus } from '../../core/ml/train';
import { parseSpec } from '../../core/spec';
import type { continuousTrainingPipeline } from '../../workflows/continuous-training';
import { mlopsAsync } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { startTestWorker, type TestWorker } from '../support/worker';
import type { trainStages } from '../support/workflows/train-stages';
import { ctWorkflowId, type RunResult } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mlops-train-runtime-'));
const churn = path.join(dir, 'churn.csv');
/** Every heartbeat of every train activity, with the time this thread got to send it. */
const beats: { at: number; details: unknown }[] = [];
const activityTimes: { start: number; end: number }[] = [];

beforeAll(async () => {
  s = await isolatedStores('trainrt');
  w = await startTestWorker(s, 'trainrt', {
    // Records when the activity's thread actually heartbeats: a blocked event loop shows as a long gap.
    wrap: (acts) => ({
      ...acts,
      trainModel: async (input) => {
        const ctx = Context.current();
        const send = ctx.heartbeat;
        Object.assign(ctx, { heartbeat: (details?: unknown) => (beats.push({ at: Date.now(), details }), send(details)) });
        const start = Date.now();
        try {
          return await acts.trainModel(input);
        } finally {
          activityTimes.push({ start, end: Date.now() });
        }
      },
    }),
  });
  await writeSynthCsv(churn, { rows: 4000, seed: 3 });
}, 180_000);

afterAll(async () => {
  await w?.stop();
  await s?.drop();
});

const start = (raw: Record<string, unknown>) =>
  w.client.workflow.start<typeof trainStages>('trainStages', {
    taskQueue: w.taskQueue,
    workflowId: `trainrt-${randomBytes(4).toString('hex')}`,
    args: [parseSpec(raw)],
  });

describe('train stage run time', () => {
  it('heartbeats at least every 2 s through a long GBDT fit; its progress shows in the pending activity and in `mlops run --wait`', async () => {
    const data = await mixedTableFile(300_000, 7);
    const specFile = path.join(dir, 'mixed.json');
    writeFileSync(
      specFile,
      JSON.stringify({
        data: { uri: data },
        target: 'y',
        training: { algorithms: ['gbdt'], trials: 2, gbdt: { maxIter: 40, learningRate: [0.1, 0.2] }, seed: 5 },
        // Rejected at the gate: the run ends before deploy (no model server here).
        gates: { min: { roc_auc: 0.9999 } },
      }),
    );
    const name = `mixed-hb-${randomBytes(3).toString('hex')}`;
    const cli = mlopsAsync(['run', 'ct', '--spec', specFile, '--name', name, '--wait'], { MLOPS_TASK_QUEUE: w.taskQueue }, 280_000);
    const handle = w.client.workflow.getHandle<typeof continuousTrainingPipeline>(ctWorkflowId(name));
    // What the server (and the Temporal UI) shows of the running train activity.
    const seen: TrainStatus[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        const desc = await handle.describe().catch(() => undefined);
        for (const a of desc?.raw.pendingActivities ?? []) {
          const p = a.heartbeatDetails?.payloads?.[0];
          const d = p
            ? defaultPayloadConverter.fromPayload<{ status?: TrainStatus }>(p as Parameters<typeof defaultPayloadConverter.fromPayload>[0])
            : undefined;
          if (a.activityType?.name === 'trainModel' && d?.status) seen.push(d.status);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const printed = await cli.finally(() => (done = true));
    await watching;
    expect(printed.code, printed.stderr).toBe(0);
    const r = (await handle.result()) as RunResult;
    // Live progress, one plain line per change (stderr is not a terminal here), then the result.
    expect(printed.stderr).toMatch(/^ingest: done in \d+\.\d s$/m);
    expect(printed.stderr).toMatch(/^train: search · trial [12]\/2 · iteration \d+\/40/m);
    expect(printed.stderr).toMatch(/^train: done in \d+\.\d s$/m);
    expect(printed.stdout).toMatch(/status: rejected/);

    const run = activityTimes.at(-1)!;
    const times = [run.start, ...beats.filter((b) => b.at >= run.start && b.at <= run.end).map((b) => b.at), run.end];
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // A long activity, so the gaps say something about the fit.
    expect(run.end - run.start).toBeGreaterThan(3_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2_000);

    expect(seen.some((x) => x.phase === 'search' && x.trial === 1 && x.trials === 2 && (x.iteration ?? 0) >= 10 && x.maxIter === 40)).toBe(true);
    expect(seen.some((x) => x.phase === 'search' && x.trial === 2 && x.best?.metric === 'roc_auc' && x.best.score > 0.6)).toBe(true);

    // The run result: how the final model was obtained, and the train stage's parts.
    expect(r.model?.refit).toEqual({
      requested: 'auto',
      mode: 'reuse',
      reusedSearchModel: true,
      rows: expect.any(Number),
      iterations: r.model?.params.bestIteration,
    });
    const detail = r.timingsMs.trainDetail!;
    expect(Object.keys(detail).sort()).toEqual(['export', 'importance', 'latency', 'prepare', 'refit', 'register', 'score', 'search', 'verify']);
    expect(detail.search).toBeGreaterThan(detail.refit);
    expect(Object.values(detail).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(r.timingsMs.train!);
  }, 300_000);

  it('refits on train + validation at the early-stopped iteration count when training.refit is "full"', async () => {
    const spec = { name: 'churn-full', data: { uri: churn, keys: ['customer_id'] }, target: 'churned', features: { exclude: ['customer_id'] } };
    const full = await (await start({ ...spec, training: { algorithms: ['gbdt'], trials: 1, gbdt: { maxIter: 200 }, refit: 'full', seed: 3 } })).result();
    const t = full.trained;
    expect(t.trials[0]!.iterations).toBeGreaterThan(0);
    expect(t.trials[0]!.iterations).toBeLessThan(200);
    expect(t.refit).toEqual({
      requested: 'full',
      mode: 'full',
      reusedSearchModel: false,
      rows: t.rows.train + t.rows.validation,
      iterations: t.trials[0]!.iterations,
    });
    expect(t.params.bestIteration).toBe(t.trials[0]!.iterations);
    expect(t.permutationRows).toBe(t.rows.test);

    // After a k-fold search there is no model on all the rows: "auto" refits them all.
    const kfold = await (await start({ ...spec, name: 'churn-kfold', training: { l2: [1], validation: { strategy: 'kfold', folds: 3 }, seed: 3 } })).result();
    expect(kfold.trained.refit).toEqual({
      requested: 'auto',
      mode: 'full',
      reusedSearchModel: false,
      rows: kfold.trained.rows.train + kfold.trained.rows.validation,
    });

    // After a holdout search "auto" keeps the search's model: no second fit.
    const holdout = await (await start({ ...spec, name: 'churn-reuse', training: { l2: [0.1, 1], seed: 3 } })).result();
    expect(holdout.trained.refit).toEqual({ requested: 'auto', mode: 'reuse', reusedSearchModel: true, rows: holdout.trained.rows.train });
  }, 300_000);
});
