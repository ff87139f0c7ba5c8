// Level 1 (continuousTrainingPipeline) on the time-skipping test server: retrain requests that arrive during
// a run are coalesced into exactly one follow-up run (continue-as-new) that carries all of them; a run
// started under another id is forwarded to the model's CT workflow; a run on production's data is skipped.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from './env';
import { recordedPipeline, recordedSpec } from './fixtures';
import { ctWorkflowId, type ForwardedResult, retrainSignal, type RunResult, statusQuery, type TrainingRequest, workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const spec = recordedSpec();

/** How every trigger reaches a model's CT workflow: signal-with-start, the request being the run's own. */
function trigger(model: string, request: TrainingRequest, input: Record<string, unknown> = spec) {
  const { spec: _spec, ...run } = request;
  void _spec;
  return t.env.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
    workflowId: ctWorkflowId(model),
    taskQueue: t.taskQueue,
    args: [{ ...input, name: model, run }],
    signal: retrainSignal,
    signalArgs: [request],
  });
}

async function until(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('continuousTrainingPipeline', () => {
  it('coalesces N retrain signals that arrive during a run into exactly one follow-up run carrying every reason', async () => {
    let release!: () => void;
    const ingestHeld = new Promise<void>((r) => (release = r));
    const answers = recordedPipeline();
    const calls = t.answer({
      ...answers,
      // The first run's ingest waits for the test, so the signals surely arrive during that run.
      ingestDataset: async (input) => {
        if (calls.of('ingestDataset').length === 1) await ingestHeld;
        return answers.ingestDataset!(input);
      },
    });
    const model = 'coalesced';
    const first = await trigger(model, { requestId: randomUUID(), trigger: 'drift' }, { ...spec, monitor: { onDrift: 'drop-drifted' } });
    const handle = t.env.client.workflow.getHandle(first.workflowId, first.signaledRunId);
    await until('the first run to ingest', () => calls.of('ingestDataset').length === 1);
    const requests: TrainingRequest[] = [
      { requestId: randomUUID(), trigger: 'drift', reason: 'drift in precipitation', driftedColumns: ['precipitation'] },
      { requestId: randomUUID(), trigger: 'data', reason: 'new data' },
      {
        requestId: randomUUID(),
        trigger: 'drift',
        reason: 'drift in wind',
        driftedColumns: ['wind', 'precipitation'],
        spec: { ...spec, name: model, monitor: { onDrift: 'drop-drifted' }, training: { l2: [3] } },
      },
    ];
    for (const r of requests) await trigger(model, r);
    expect((await handle.query(statusQuery)).pendingRequests).toBe(3);
    release();

    // The first run's handle follows the continue-as-new chain to the follow-up's result.
    const follow = (await handle.result()) as RunResult;
    expect(follow.runId).not.toBe(first.signaledRunId);
    expect((await handle.describe()).status.name).toBe('CONTINUED_AS_NEW');
    const latest = await t.env.client.workflow.getHandle(ctWorkflowId(model)).describe();
    expect(latest).toMatchObject({ runId: follow.runId, status: { name: 'COMPLETED' } });
    // Two runs, no more: each ingested and deployed once.
    expect(calls.of('ingestDataset')).toHaveLength(2);
    expect(calls.of('deployModel').map((c) => c.input.reason)).toEqual(['drift', 'drift: drift in precipitation; new data; drift in wind']);
    expect(follow).toMatchObject({ status: 'deployed', trigger: 'drift' });
    // The latest request's spec, with every drifted column left out (monitor.onDrift drop-drifted).
    const trained = calls.of('trainModel').at(-1)!.input.spec;
    expect(trained.training.l2).toEqual([3]);
    expect(trained.features.exclude).toEqual(['precipitation', 'wind']);
    expect(follow.reasons).toContain('monitor.onDrift drop-drifted: trained without precipitation, wind');
  });

  it('a run with no request during it ends without a follow-up', async () => {
    const calls = t.answer(recordedPipeline());
    const started = await trigger('single', { requestId: randomUUID(), trigger: 'manual' });
    const r = (await t.env.client.workflow.getHandle(started.workflowId, started.signaledRunId).result()) as RunResult;
    expect(r).toMatchObject({ status: 'deployed', runId: started.signaledRunId, trigger: 'manual' });
    expect(calls.of('ingestDataset')).toHaveLength(1);
  });

  it("forwards a run started under another id to the model's CT workflow", async () => {
    const calls = t.answer({ requestTraining: (input) => ({ workflowId: input.workflowId, runId: 'the-ct-run' }) });
    const r = (await t.env.client.workflow.execute(workflows.continuousTrainingPipeline, {
      taskQueue: t.taskQueue,
      workflowId: 'schedule-forwarded-2026-01-01',
      args: [{ ...spec, name: 'forwarded', run: { trigger: 'schedule', reason: 'nightly' } }],
    })) as ForwardedResult;
    expect(r).toEqual({ status: 'forwarded', workflowId: 'ct-forwarded', runId: 'the-ct-run', reasons: ['coalesced into ct-forwarded'] });
    const [call] = calls.of('requestTraining');
    expect(call!.input).toMatchObject({
      workflowId: 'ct-forwarded',
      request: { trigger: 'schedule', reason: 'nightly' },
      startInput: { name: 'forwarded', run: { trigger: 'schedule', reason: 'nightly' } },
    });
    expect(call!.input.startInput.run).toMatchObject({ requestId: call!.input.request.requestId });
    expect(calls.names()).toEqual(['requestTraining']);
  });

  it('skips a run on the same data, spec and code as production, before validating anything', async () => {
    const calls = t.answer({
      ...recordedPipeline(),
      productionInfo: () => ({ version: 4, datasetSha256: 'd', specSha256: 's', codeVersion: 'c' }),
      sameAsProduction: () => true,
    });
    const started = await trigger('unchanged', { requestId: randomUUID(), trigger: 'schedule' });
    const r = (await t.env.client.workflow.getHandle(started.workflowId, started.signaledRunId).result()) as RunResult;
    expect(r.status).toBe('skipped');
    expect(r.reasons).toEqual([expect.stringMatching(/^production unchanged v4 was trained on the same data \(\w{12}\), spec and code$/)]);
    expect(calls.names()).toEqual(['ingestDataset', 'productionInfo', 'sameAsProduction']);
  });

  it('deploys to the edge and browser targets after the server only when deploy.targets names them', async () => {
    const sizes = {
      modelBytes: 3_456,
      loadMs: 4,
      runtime: 'x',
      via: 'mock',
      singleRow: { calls: 300, p50Ms: 0.1, p99Ms: 0.3 },
      throughput: { rowsPerSecond: 50_000, batchRows: 1000, seconds: 1 },
    };
    const calls = t.answer({
      ...recordedPipeline(),
      deployToTargets: (input) =>
        input.targets.map((target) => ({
          target,
          bundle: target === 'server' ? null : { uri: `s3://mlops/bundles/${target}.json`, sha256: 'a'.repeat(64) },
          costs: { target, bundleBytes: target === 'server' ? null : target === 'edge' ? 22_000 : 14_300_000, ...sizes },
          blessed: target !== 'browser',
          reasons: target === 'browser' ? ['browser bundle is 14300000 bytes, over gates.maxBundleBytes 1000000'] : [],
          alias: target === 'edge' ? 'edge' : null,
        })),
    });
    const withTargets = { ...spec, deploy: { targets: ['server', 'edge', 'browser'] }, gates: { maxBundleBytes: { browser: 1_000_000 } } };
    const started = await trigger('targets', { requestId: randomUUID(), trigger: 'manual' }, withTargets);
    const r = (await t.env.client.workflow.getHandle(started.workflowId, started.signaledRunId).result()) as RunResult;
    expect(r.status).toBe('deployed');
    expect(calls.of('deployToTargets').map((c) => c.input)).toEqual([
      expect.objectContaining({
        model: 'targets',
        version: 1,
        targets: ['server', 'edge', 'browser'],
        gates: { maxBundleBytes: { browser: 1_000_000 }, maxEdgeP99Ms: null },
      }),
    ]);
    expect(r.targets?.map((x) => [x.target, x.blessed, x.alias])).toEqual([
      ['server', true, null],
      ['edge', true, 'edge'],
      ['browser', false, null],
    ]);
    expect(r.reasons).toContain('not blessed for browser: browser bundle is 14300000 bytes, over gates.maxBundleBytes 1000000');
    // The default (server only) issues no targets activity: runs recorded before targets replay unchanged.
    const plain = t.answer(recordedPipeline());
    const again = await trigger('server-only', { requestId: randomUUID(), trigger: 'manual' });
    expect(((await t.env.client.workflow.getHandle(again.workflowId, again.signaledRunId).result()) as RunResult).targets).toBeUndefined();
    expect(plain.of('deployToTargets')).toHaveLength(0);
  });
});
