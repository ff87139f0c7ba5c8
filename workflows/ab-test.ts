// abTest (id ab-<model>): a blessed challenger serves a sticky share of the traffic (canary, ab) or a
// mirror of it (shadow) next to the champion; every interval the arms' feedback outcomes are tested, and
// the challenger is promoted, rolled back, or — undecided at the maximum duration — removed while the
// champion keeps serving. A person may promote or roll back by hand at any time; the test then ends.
import { continueAsNew, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { raiseAlert } from './alerts';
import { abStatusQuery, MlopsLevel, MlopsModel, MlopsTrigger, type AbTestInput, type AbTestResult, type AbTestStatus, type RolloutInput } from './contracts';
import { activitiesFor } from './stages';

const { startRollout, checkRollout, finishRollout } = activitiesFor('startRollout', 'checkRollout', 'finishRollout');

const CHECKS_PER_RUN = 500;

export async function abTest(input: AbTestInput): Promise<AbTestResult> {
  upsertSearchAttributes([
    { key: MlopsModel, value: input.model },
    { key: MlopsLevel, value: 1 },
    { key: MlopsTrigger, value: input.strategy },
  ]);
  const { workflowId } = workflowInfo();
  const status: AbTestStatus = {
    model: input.model,
    champion: input.champion,
    challenger: input.challenger,
    strategy: input.strategy,
    share: input.share,
    startedAt: input.startedAt ?? null,
    checks: input.checks ?? 0,
    last: null,
  };
  setHandler(abStatusQuery, () => status);
  const rollout: RolloutInput = {
    model: input.model,
    champion: input.champion,
    challenger: input.challenger,
    strategy: input.strategy,
    share: input.share,
    test: input.test,
    requestedBy: input.requestedBy,
  };
  const startedAt = input.startedAt ?? (await startRollout({ ...rollout, workflowId })).startedAt;
  status.startedAt = startedAt;
  const deadline = new Date(startedAt).getTime() + input.test.maxDuration * 1000;
  let alwaysValidPValue = input.alwaysValidPValue;
  for (let i = 0; i < CHECKS_PER_RUN; i++) {
    await sleep(Math.max(0, Math.min(input.test.interval * 1000, deadline - Date.now())));
    const check = await checkRollout({
      ...rollout,
      startedAt,
      atMaximumDuration: Date.now() >= deadline,
      ...(alwaysValidPValue !== undefined ? { alwaysValidPValue } : {}),
    });
    status.checks++;
    if (!check.current || !check.verdict) {
      return {
        ...base(input),
        decision: 'ended-by-hand',
        reason: 'the production or challenger alias was moved by hand',
        production: input.champion,
        verdict: status.last,
      };
    }
    status.last = check.verdict;
    alwaysValidPValue = check.verdict.numbers.alwaysValidPValue;
    if (check.verdict.decision !== 'continue') {
      const done = await finishRollout({ ...rollout, workflowId, verdict: check.verdict });
      await raiseAlert({
        event: 'abtest.decided',
        model: input.model,
        version: input.challenger,
        message: `${input.model}: ${input.strategy} of v${input.challenger} against v${input.champion} decided ${check.verdict.decision}: ${check.verdict.reason}; production is v${done.production}`,
        numbers: {
          decision: check.verdict.decision,
          champion: input.champion,
          challenger: input.challenger,
          production: done.production,
          strategy: input.strategy,
          ...check.verdict.numbers,
        },
      });
      return { ...base(input), decision: check.verdict.decision, reason: check.verdict.reason, production: done.production, verdict: check.verdict };
    }
  }
  return continueAsNew<typeof abTest>({ ...input, startedAt, checks: status.checks, ...(alwaysValidPValue !== undefined ? { alwaysValidPValue } : {}) });
}

function base(input: AbTestInput): Pick<AbTestResult, 'model' | 'champion' | 'challenger'> {
  return { model: input.model, champion: input.champion, challenger: input.challenger };
}
