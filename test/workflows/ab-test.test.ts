// abTest on the time-skipping test server: a challenger promoted, rolled back, kept out at a tie at the
// maximum duration, ended by hand; and a test longer than one run (continue-as-new) keeps its start, its
// check count and its always-valid p-value.
import { Context } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AbDecision, AbVerdict } from '../../core/stats/ab';
import { startTestbed, type Answers, type Testbed } from './env';
import { abStatusQuery, type AbTestInput, type AbTestResult, type RolloutInput, workflows } from '../../workflows/contracts';

let t: Testbed;
beforeAll(async () => {
  t = await startTestbed();
});
afterAll(async () => {
  await t?.teardown();
});

const HOUR = 3600;

function rollout(model: string, test: Partial<RolloutInput['test']> = {}): AbTestInput {
  return {
    model,
    champion: 1,
    challenger: 2,
    strategy: 'ab',
    share: 0.5,
    requestedBy: 'test',
    test: { alpha: 0.05, power: 0.8, minimumDetectableEffect: 0.05, rule: 'sequential', minSamples: 100, interval: HOUR, maxDuration: 7 * 24 * HOUR, ...test },
  };
}

const verdict = (decision: AbDecision, alwaysValidPValue: number): AbVerdict => ({
  decision,
  reason: `${decision} at p=${alwaysValidPValue}`,
  numbers: { controlSuccesses: 50, controlTrials: 100, treatmentSuccesses: 60, treatmentTrials: 100, minSamples: 100, alwaysValidPValue },
});

/** Rollout activities whose n-th check (1-based) answers `decide(n)`; the rollout starts at the server's time. */
function rolloutAnswers(decide: (n: number, input: Parameters<NonNullable<Answers['checkRollout']>>[0]) => AbVerdict | null): Answers {
  let n = 0;
  return {
    startRollout: () => ({ startedAt: new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString() }),
    checkRollout: (input) => {
      const v = decide(++n, input);
      return { current: v !== null, verdict: v };
    },
    finishRollout: (input) => ({ production: input.verdict.decision === 'promote' ? input.challenger : input.champion }),
  };
}

const start = (input: AbTestInput) => t.env.client.workflow.start(workflows.abTest, { taskQueue: t.taskQueue, workflowId: `ab-${input.model}`, args: [input] });

describe('abTest', () => {
  it("promotes the challenger once a check says so, passing each check's always-valid p-value to the next", async () => {
    const calls = t.answer(rolloutAnswers((n) => (n < 3 ? verdict('continue', 1 / n) : verdict('promote', 0.01))));
    const handle = await start(rollout('better'));
    const r = (await handle.result()) as AbTestResult;
    expect(r).toMatchObject({ decision: 'promote', reason: 'promote at p=0.01', production: 2, champion: 1, challenger: 2 });
    const checks = calls.of('checkRollout');
    expect(checks.map((c) => c.input.alwaysValidPValue)).toEqual([undefined, 1, 0.5]);
    // One check per interval from the start.
    expect(calls.of('startRollout')).toHaveLength(1);
    const startedAt = Date.parse(checks[0]!.input.startedAt);
    expect(checks.map((c) => Math.round((c.at - startedAt) / 1000 / HOUR))).toEqual([1, 2, 3]);
    expect(calls.of('finishRollout').map((c) => c.input.verdict.decision)).toEqual(['promote']);
  });

  it('rolls back a worse challenger: the champion stays in production', async () => {
    const calls = t.answer(rolloutAnswers((n) => (n < 2 ? verdict('continue', 0.9) : verdict('rollback', 0.02))));
    const r = (await (await start(rollout('worse'))).result()) as AbTestResult;
    expect(r).toMatchObject({ decision: 'rollback', production: 1 });
    expect(calls.of('finishRollout')).toHaveLength(1);
  });

  it('keeps the champion at a tie at the maximum duration, checking exactly at the deadline', async () => {
    const calls = t.answer(rolloutAnswers((_n, input) => (input.atMaximumDuration ? verdict('keep-champion', 0.6) : verdict('continue', 0.6))));
    const r = (await (await start(rollout('tie', { interval: 6 * HOUR, maxDuration: 20 * HOUR }))).result()) as AbTestResult;
    expect(r).toMatchObject({ decision: 'keep-champion', production: 1 });
    const checks = calls.of('checkRollout');
    const startedAt = Date.parse(checks[0]!.input.startedAt);
    expect(checks.map((c) => Math.round((c.at - startedAt) / 1000 / HOUR))).toEqual([6, 12, 18, 20]);
    expect(checks.map((c) => c.input.atMaximumDuration)).toEqual([false, false, false, true]);
  });

  it('ends without acting when a person moved the aliases by hand', async () => {
    const calls = t.answer(rolloutAnswers((n) => (n < 2 ? verdict('continue', 0.5) : null)));
    const r = (await (await start(rollout('by-hand'))).result()) as AbTestResult;
    expect(r).toMatchObject({ decision: 'ended-by-hand', production: 1, verdict: { decision: 'continue' } });
    expect(calls.of('finishRollout')).toHaveLength(0);
  });

  it('carries its start, check count and always-valid p-value across continue-as-new', async () => {
    // A run makes 500 checks, then continues as new; the test decides on the 502nd.
    const calls = t.answer(rolloutAnswers((n) => (n < 502 ? verdict('continue', 1 / n) : verdict('promote', 0.001))));
    const handle = await start(rollout('long', { interval: 60, maxDuration: 30 * 24 * HOUR }));
    const r = (await handle.result()) as AbTestResult;
    expect(r.decision).toBe('promote');
    expect((await t.env.client.workflow.getHandle('ab-long', handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(calls.of('startRollout')).toHaveLength(1);
    const checks = calls.of('checkRollout');
    expect(checks).toHaveLength(502);
    expect(new Set(checks.map((c) => c.input.startedAt)).size).toBe(1);
    expect(checks[500]!.input.alwaysValidPValue).toBe(1 / 500);
    const latest = t.env.client.workflow.getHandle('ab-long');
    expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect(await latest.query(abStatusQuery)).toMatchObject({ checks: 502, startedAt: checks[0]!.input.startedAt });
  });
});
