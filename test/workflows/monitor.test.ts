// driftMonitor on the time-skipping test server: hours of checks in milliseconds. Drift asks the model's CT
// workflow for a retraining at most once per cool-down, and the cool-down holds across continue-as-new.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type ActivityResult, type Answers, type Testbed } from './env';
import { type MonitorInput, monitorStatusQuery, workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const MINUTE = 60_000;

const monitor = (model: string, over: Partial<MonitorInput> = {}): MonitorInput => ({
  model,
  interval: 60,
  window: 3600,
  coolDown: 3600,
  minRows: 100,
  correction: 'none',
  ...over,
});

/** A check of `model`'s deployed v1 that finds nothing, with `over` changed. */
const calmCheck = (model: string, over: Partial<ActivityResult<'checkDrift'>> = {}): ActivityResult<'checkDrift'> => ({
  model,
  version: 1,
  rows: 500,
  enough: true,
  datasetDrift: false,
  driftedColumns: [],
  driftedShare: 0,
  reportUri: null,
  concept: null,
  skew: null,
  domain: null,
  estimate: null,
  realised: [],
  spec: { name: model, target: 'churned' },
  ...over,
});

/** A drift check of `model` whose n-th call (1-based) finds dataset drift in `age` when `drifts(n)`. */
function driftAnswers(model: string, drifts: (n: number) => boolean): Answers {
  let n = 0;
  return {
    checkDrift: (): ActivityResult<'checkDrift'> => {
      const drift = drifts(++n);
      return calmCheck(model, {
        datasetDrift: drift,
        driftedColumns: drift ? ['age'] : [],
        driftedShare: drift ? 0.1 : 0,
        reportUri: `s3://reports/${n}.json`,
      });
    },
    requestTraining: (input) => ({ workflowId: input.workflowId, runId: `retrain-${n}` }),
  };
}

describe('driftMonitor', () => {
  it('asks for a retraining on drift at most once per cool-down', async () => {
    const calls = t.answer(driftAnswers('cooling', () => true));
    const handle = await t.env.client.workflow.start(workflows.driftMonitor, {
      taskQueue: t.taskQueue,
      workflowId: 'drift-cooling',
      args: [monitor('cooling', { coolDown: 600 })],
    });
    await t.env.sleep(25 * MINUTE + 30_000);
    const status = await handle.query(monitorStatusQuery);
    await handle.terminate('test done');
    expect(status).toMatchObject({ checks: 25, retrains: 3, last: { datasetDrift: true, driftedColumns: ['age'] } });
    const asked = calls.of('requestTraining');
    const checks = calls.of('checkDrift');
    // Drift on every check, but only the first check and one a cool-down (10 checks) later each time asked.
    expect(asked.map((c) => Math.round((c.at - checks[0]!.at) / MINUTE))).toEqual([0, 10, 20]);
    expect(asked[0]!.input).toMatchObject({
      workflowId: 'ct-cooling',
      request: { trigger: 'drift', reason: 'drift in age', driftedColumns: ['age'], reportUri: 's3://reports/1.json' },
      startInput: { name: 'cooling', target: 'churned', run: { trigger: 'drift', reason: 'drift in age' } },
    });
    expect(asked[0]!.input.request.requestId).not.toBe(asked[1]!.input.request.requestId);
  });

  it('carries the last retraining and the retrain count across continue-as-new, so the cool-down holds', async () => {
    // A run makes 200 checks. Drift on the first check, then from the first check of the next run on; the
    // cool-down (205 checks) only lets the 206th ask again.
    const calls = t.answer(driftAnswers('carried', (n) => n === 1 || n > 200));
    const handle = await t.env.client.workflow.start(workflows.driftMonitor, {
      taskQueue: t.taskQueue,
      workflowId: 'drift-carried',
      args: [monitor('carried', { coolDown: 205 * 60 })],
    });
    await t.env.sleep(210 * MINUTE + 30_000);
    const latest = t.env.client.workflow.getHandle('drift-carried');
    const status = await latest.query(monitorStatusQuery);
    await latest.terminate('test done');
    expect((await t.env.client.workflow.getHandle('drift-carried', handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(status).toMatchObject({ checks: 10, retrains: 2 });
    const checks = calls.of('checkDrift');
    expect(checks).toHaveLength(210);
    expect(calls.of('requestTraining').map((c) => Math.round((c.at - checks[0]!.at) / MINUTE))).toEqual([0, 205]);
  });

  it('alerts on an estimated performance drop (CBPE) and on multivariate drift, and retrains on the estimate when asked', async () => {
    const estimate = {
      id: 1,
      rows: 800,
      estimated: { accuracy: 0.62, f1: 0.5, roc_auc: 0.7 },
      interval: { accuracy: [0.59, 0.65] as [number, number], f1: null, roc_auc: null },
      reference: { accuracy: 0.74, f1: 0.5, roc_auc: 0.76 },
      dropped: ['accuracy' as const],
      maxEstimatedDrop: 0.05,
    };
    const domain = {
      auc: 0.81,
      threshold: 0.54,
      pValue: 0.001,
      drift: true,
      permutations: 999,
      alpha: 0.01,
      referenceRows: 5000,
      currentRows: 800,
      top: [{ name: 'age', share: 0.6 }],
    };
    const calls = t.answer({
      checkDrift: () => calmCheck('estimated', { rows: 800, reportUri: 's3://reports/e.json', domain, estimate }),
      deliverAlert: () => ({ targets: 0, delivered: 0, failed: [] }),
      requestTraining: (input) => ({ workflowId: input.workflowId, runId: 'retrain-estimated' }),
    });
    const handle = await t.env.client.workflow.start(workflows.driftMonitor, {
      taskQueue: t.taskQueue,
      workflowId: 'drift-estimated',
      args: [monitor('estimated', { maxEstimatedDrop: 0.05, onEstimatedDrop: 'retrain' })],
    });
    await t.env.sleep(3 * MINUTE + 30_000);
    const status = await handle.query(monitorStatusQuery);
    await handle.terminate('test done');
    expect(status.last).toMatchObject({ estimate: { rows: 800, dropped: ['accuracy'] }, domain: { auc: 0.81, drift: true, top: ['age'] } });
    // One alert of each kind while the condition holds, not one per check.
    expect(
      calls
        .of('deliverAlert')
        .map((c) => c.input.event)
        .sort(),
    ).toEqual(['domain_drift.detected', 'performance_drop.estimated']);
    const asked = calls.of('requestTraining');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.input.request.reason).toBe('estimated accuracy drop before labels (CBPE)');
  });

  it('says once per stretch that too little traffic leaves drift unjudged, and never without a deployed version', async () => {
    // Checks 1–8 and 11 on have too few predictions; 9 and 10 have enough. A window is 3 checks long.
    const check = (model: string, version: number | null, enough: (n: number) => boolean) => {
      let n = 0;
      return (): ActivityResult<'checkDrift'> => {
        const ok = enough(++n);
        return calmCheck(model, { version, rows: ok ? 500 : 12, enough: ok });
      };
    };
    const quietChecks = check('quiet', 1, (n) => n === 9 || n === 10);
    const undeployedChecks = check('undeployed', null, () => false);
    const calls = t.answer({
      checkDrift: (input) => (input.model === 'quiet' ? quietChecks() : undeployedChecks()),
      deliverAlert: () => ({ targets: 0, delivered: 0, failed: [] }),
    });
    const quiet = await t.env.client.workflow.start(workflows.driftMonitor, {
      taskQueue: t.taskQueue,
      workflowId: 'drift-quiet',
      args: [monitor('quiet', { window: 180, minRows: 50 })],
    });
    const undeployed = await t.env.client.workflow.start(workflows.driftMonitor, {
      taskQueue: t.taskQueue,
      workflowId: 'drift-undeployed',
      args: [monitor('undeployed', { window: 180, minRows: 50 })],
    });
    await t.env.sleep(14 * MINUTE + 30_000);
    await quiet.terminate('test done');
    await undeployed.terminate('test done');
    const checks = calls.of('checkDrift').filter((c) => c.input.model === 'quiet');
    const alerts = calls.of('deliverAlert');
    expect(alerts.map((a) => [a.input.model, a.input.event])).toEqual([
      ['quiet', 'monitor.insufficient_traffic'],
      ['quiet', 'monitor.insufficient_traffic'],
    ]);
    // At the 3rd check of each stretch: checks 3 and 13.
    expect(alerts.map((a) => Math.round((a.at - checks[0]!.at) / MINUTE) + 1)).toEqual([3, 13]);
    expect(alerts[0]!.input).toMatchObject({
      version: 1,
      numbers: { checks: 3, rows: 12, minRows: 50, windowSeconds: 180, intervalSeconds: 60 },
      message: expect.stringMatching(/^quiet: drift cannot be judged: the last 3 checks each found fewer than 50 logged predictions of v1/),
    });
  });
});
