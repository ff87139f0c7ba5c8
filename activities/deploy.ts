// The deploy stage as an activity: move the alias to the blessed version — compare-and-set against the
// version the run evaluated against, so two runs can never race for the alias.
import { ApplicationFailure } from '@temporalio/activity';
import type { LineageStore } from '../core/store/lineage';
import { AliasConflictError, type ModelRegistry } from '../core/store/registry';
import { runStage } from './stage';

export interface DeployInput {
  model: string;
  version: number;
  alias: string;
  /** The version the alias pointed to when the run evaluated (null: none). */
  expectedFrom: number | null;
  actor: string;
  reason: string;
  details?: Record<string, unknown>;
}

export function makeDeploy(deps: { lineage: LineageStore; registry: ModelRegistry }) {
  return async function deployModel(input: DeployInput): Promise<{ alias: string; version: number; from: number | null }> {
    return runStage(deps.lineage, 'deploy', input.model, async () => {
      try {
        await deps.registry.setAlias({ model: input.model, alias: input.alias, version: input.version, actor: input.actor, reason: input.reason, details: input.details, expectedFrom: input.expectedFrom });
      } catch (err) {
        if (err instanceof AliasConflictError) throw ApplicationFailure.create({ type: 'AliasConflict', message: err.message, nonRetryable: true });
        throw err;
      }
      const mv = await deps.registry.getVersion(input.model, input.version);
      return {
        result: { alias: input.alias, version: input.version, from: input.expectedFrom },
        params: { alias: input.alias, version: input.version, from: input.expectedFrom, actor: input.actor, reason: input.reason },
        ...(mv ? { inputs: [{ uri: mv.uri, sha256: mv.sha256, type: 'Model' }] } : {}),
      };
    });
  };
}
