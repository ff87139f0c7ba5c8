// Activities of a rollout (canary, A/B, shadow): put the challenger next to the champion, count each arm's
// outcomes and decide (core/stats/ab), then promote the challenger or roll it back. Every alias move lands
// in the alias history with the test's numbers.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { armOutcomes } from '../core/rollout/outcomes';
import { CHALLENGER } from '../core/rollout/routing';
import { decideAbTest, type AbVerdict } from '../core/stats/ab';
import type { Stores } from '../core/store';
import { AliasConflictError } from '../core/store/registry';
import { abWorkflowId, FailureType, workflows, type RolloutInput } from '../workflows/contracts';
import { waitUntilServed } from './deploy';

export interface RolloutCheck {
  /** False when someone moved the aliases by hand (promote/rollback): the test ends without acting. */
  current: boolean;
  verdict: AbVerdict | null;
}

export function makeRollout(deps: { stores: Stores; client?: Client; taskQueue: string; serveUrl?: string; serveWaitMs?: number }) {
  const { registry, pool } = deps.stores;
  const heartbeat = (): void => Context.current().heartbeat();
  return {
    /** Starts the abTest workflow (ab-<model>); one rollout per model at a time. */
    async startAbTest(input: RolloutInput): Promise<{ workflowId: string; started: boolean }> {
      if (!deps.client) throw new Error('startAbTest needs a Temporal client on this worker');
      const workflowId = abWorkflowId(input.model);
      try {
        await deps.client.workflow.start(workflows.abTest, { workflowId, taskQueue: deps.taskQueue, args: [input] });
        // Model delivery is staged: blessed → staging → canary/A-B (challenger) → production, each move recorded.
        await registry.setAlias({
          model: input.model,
          alias: 'staging',
          version: input.challenger,
          actor: input.requestedBy,
          reason: `blessed; staged for its ${input.strategy} against v${input.champion}`,
          details: { strategy: input.strategy, share: input.share, abTest: workflowId },
        });
        return { workflowId, started: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
        throw err;
      }
    },

    /** Points `challenger` at the new version with its route; returns when the server serves it. */
    async startRollout(input: RolloutInput & { workflowId: string }): Promise<{ startedAt: string }> {
      await registry.setAlias({
        model: input.model,
        alias: CHALLENGER,
        version: input.challenger,
        actor: `abTest:${input.workflowId}`,
        reason: `${input.strategy} of v${input.challenger} against v${input.champion} (share ${input.share})`,
        details: { strategy: input.strategy, share: input.share, champion: input.champion, test: input.test, requestedBy: input.requestedBy },
      });
      await waitUntilServed(deps.serveUrl, deps.stores.schema, input.model, input.challenger, heartbeat, 'challenger', deps.serveWaitMs);
      const move = (await registry.aliasHistory(input.model, CHALLENGER)).at(-1);
      return { startedAt: (move?.at ?? new Date()).toISOString() };
    },

    async checkRollout(input: RolloutInput & { startedAt: string; alwaysValidPValue?: number; atMaximumDuration: boolean }): Promise<RolloutCheck> {
      const [production, challenger] = await Promise.all([registry.getAlias(input.model, 'production'), registry.getAlias(input.model, CHALLENGER)]);
      if (production !== input.champion || challenger !== input.challenger) return { current: false, verdict: null };
      const counts = await armOutcomes(pool, input.model, { champion: input.champion, challenger: input.challenger, since: new Date(input.startedAt) });
      const { alpha, power, minimumDetectableEffect, rule, minSamples } = input.test;
      const verdict = decideAbTest({
        config: { alpha, power, minimumDetectableEffect, rule, minSamples },
        ...counts,
        atMaximumDuration: input.atMaximumDuration,
        ...(input.alwaysValidPValue !== undefined ? { alwaysValidPValue: input.alwaysValidPValue } : {}),
      });
      return { current: true, verdict };
    },

    /** Promote: production → challenger (compare-and-set on the champion), then clear the challenger. Otherwise just clear it. */
    async finishRollout(input: RolloutInput & { workflowId: string; verdict: AbVerdict }): Promise<{ production: number }> {
      const actor = `abTest:${input.workflowId}`;
      const details = {
        decision: input.verdict.decision,
        numbers: input.verdict.numbers,
        strategy: input.strategy,
        share: input.share,
        champion: input.champion,
        challenger: input.challenger,
      };
      if (input.verdict.decision === 'promote') {
        try {
          await registry.setAlias({
            model: input.model,
            alias: 'production',
            version: input.challenger,
            actor,
            reason: input.verdict.reason,
            details,
            expectedFrom: input.champion,
          });
        } catch (err) {
          if (err instanceof AliasConflictError) throw ApplicationFailure.create({ type: FailureType.AliasConflict, message: err.message, nonRetryable: true });
          throw err;
        }
        await waitUntilServed(deps.serveUrl, deps.stores.schema, input.model, input.challenger, heartbeat, 'production', deps.serveWaitMs);
      }
      await registry.setAlias({
        model: input.model,
        alias: CHALLENGER,
        version: null,
        actor,
        reason: input.verdict.reason,
        details,
        expectedFrom: input.challenger,
      });
      return { production: input.verdict.decision === 'promote' ? input.challenger : input.champion };
    },
  };
}
