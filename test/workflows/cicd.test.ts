// cicdPipeline on the time-skipping test server: each gate that rejects a version of the pipeline code —
// build, unit tests, replay, the integration run — stops the run there, records why, and promotes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Answers, type Testbed } from './env';
import { type CicdInput, type CicdResult, workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

/** Every gate passes unless `over` says otherwise. */
function gates(over: Answers = {}): Answers {
  return {
    buildPipeline: (input) => ({ buildId: `build-${input.ref}`, ok: true, reused: false, ms: 1 }),
    testPipeline: () => ({ passed: 120, failed: 0, failures: [], filters: ['test/unit/spec.test.ts', 'test/unit/stats'], ms: 1 }),
    replayPipeline: () => ({ replayed: 11, failures: [] }),
    integrationRunPipeline: () => ({ workflowId: 'ct-sample', runId: 'r1', status: 'deployed', blessed: true, model: 'sample', version: 1, reasons: [] }),
    promotePipeline: () => ({ previous: 'build-old' }),
    retrainProduction: () => ({ models: ['churn', 'weather'] }),
    rejectPipeline: () => undefined,
    ...over,
  };
}

let runs = 0;
const cicd = (input: CicdInput) =>
  t.env.client.workflow.execute(workflows.cicdPipeline, { taskQueue: t.taskQueue, workflowId: `cicd-${++runs}`, args: [input] }) as Promise<CicdResult>;

describe('cicdPipeline', () => {
  it('rejects a ref that does not build, with the build error, and runs nothing else', async () => {
    const calls = t.answer(gates({ buildPipeline: () => ({ buildId: '', ok: false, reused: false, ms: 1, error: 'unknown ref nope' }) }));
    const r = await cicd({ ref: 'nope' });
    expect(r).toMatchObject({ status: 'rejected', buildId: null, reasons: ['build failed: unknown ref nope'], unit: null });
    expect(calls.names()).toEqual(['buildPipeline', 'rejectPipeline']);
    expect(calls.of('rejectPipeline')[0]!.input).toEqual({ buildId: '', reasons: ['build failed: unknown ref nope'] });
  });

  it('rejects a version whose unit tests fail, naming at most five of them', async () => {
    const failures = ['a.test.ts › 1', 'a.test.ts › 2', 'b.test.ts › 3', 'b.test.ts › 4', 'c.test.ts › 5', 'c.test.ts › 6'];
    const calls = t.answer(gates({ testPipeline: () => ({ passed: 100, failed: 6, failures, ms: 1 }) }));
    const r = await cicd({ ref: 'bad-unit' });
    expect(r).toMatchObject({ status: 'rejected', buildId: 'build-bad-unit', replay: null });
    expect(r.reasons).toEqual([`6 unit test(s) failed: ${failures.slice(0, 5).join('; ')}`]);
    expect(calls.names()).toEqual(['buildPipeline', 'testPipeline', 'rejectPipeline']);
    expect(calls.of('rejectPipeline')[0]!.input.buildId).toBe('build-bad-unit');
  });

  it('rejects a version that cannot replay the recorded histories', async () => {
    const calls = t.answer(
      gates({
        replayPipeline: () => ({ replayed: 11, failures: [{ workflowId: 'ct-churn', type: 'DeterminismViolationError', message: 'activity type mismatch' }] }),
      }),
    );
    const r = await cicd({ ref: 'non-deterministic' });
    expect(r.status).toBe('rejected');
    expect(r.reasons).toEqual(['not deterministic: 1 of 11 histories fail to replay; first DeterminismViolationError ct-churn: activity type mismatch']);
    expect(calls.of('integrationRunPipeline')).toHaveLength(0);
  });

  it('rejects a version whose integration run blesses no model', async () => {
    const calls = t.answer(
      gates({
        integrationRunPipeline: () => ({
          workflowId: 'ct-sample',
          runId: 'r2',
          status: 'rejected',
          blessed: false,
          model: 'sample',
          version: 3,
          reasons: ['gates.min.accuracy: 0.41 < 0.6'],
        }),
      }),
    );
    const r = await cicd({ ref: 'worse-model', sample: { uri: 'sample.csv', target: 'y' } });
    expect(r.reasons).toEqual(['the integration run ct-sample did not bless a model (rejected): gates.min.accuracy: 0.41 < 0.6']);
    expect(calls.of('integrationRunPipeline')[0]!.input).toEqual({ buildId: 'build-worse-model', sample: { uri: 'sample.csv', target: 'y' } });
    expect(calls.of('promotePipeline')).toHaveLength(0);
    expect(calls.of('retrainProduction')).toHaveLength(0);
  });

  it('passes without promoting when asked to test only, and promotes (naming the unit tests that gated it) and retrains production otherwise', async () => {
    const tested = t.answer(gates());
    expect(await cicd({ ref: 'good', promote: false })).toMatchObject({ status: 'passed', previous: null, retrained: [] });
    expect(tested.names()).toEqual(['buildPipeline', 'testPipeline', 'replayPipeline', 'integrationRunPipeline']);

    const calls = t.answer(gates());
    const r = await cicd({ ref: 'good', requestedBy: 'alice' });
    expect(r).toMatchObject({ status: 'promoted', previous: 'build-old', retrained: ['churn', 'weather'] });
    expect(r.reasons).toEqual([
      '120 unit tests passed (test/unit/spec.test.ts test/unit/stats); 11 histories replayed; integration run ct-sample blessed sample v1',
    ]);
    expect(calls.of('promotePipeline')[0]!.input).toMatchObject({ buildId: 'build-good', actor: 'alice', reason: 'good passed CI/CD' });
    expect(calls.of('rejectPipeline')).toHaveLength(0);
  });
});
