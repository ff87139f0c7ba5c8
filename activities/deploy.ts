// The deploy stage as an activity: move the alias to the blessed version — compare-and-set against the
// version the run evaluated against, so two runs can never race for the alias.
import { ApplicationFailure } from '@temporalio/activity';
import type { LineageStore } from '../core/store/lineage';
import { AliasConflictError, type ModelRegistry } from '../core/store/registry';
import { FailureType } from '../workflows/contracts';
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

/**
 * Waits until the model server that follows this registry serves `version` (the deploy completes only
 * then). No server running, or one following another registry, means there is nothing to wait for.
 */
/**
 * How long a deploy waits for the model server to load a version. The activities that wait have a start-to-close
 * timeout well above it (workflows/stages.ts, serving options), so this wait's own message is what the user sees.
 */
export const SERVE_WAIT_MS = 60_000;

export async function waitUntilServed(
  serveUrl: string | undefined,
  registrySchema: string,
  model: string,
  version: number,
  heartbeat: () => void,
  which: 'production' | 'challenger' = 'production',
  waitMs = SERVE_WAIT_MS,
): Promise<boolean> {
  if (!serveUrl) return false;
  const get = async (path: string): Promise<Response | undefined> => fetch(`${serveUrl}${path}`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
  const info = await get('/v1/models');
  if (!info?.ok || ((await info.json()) as { registry?: string }).registry !== registrySchema) return false;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const res = await get(`/v1/models/${model}`);
    const body = res?.ok ? ((await res.json()) as { version?: number; challenger?: { version?: number } }) : undefined;
    if ((which === 'production' ? body?.version : body?.challenger?.version) === version) return true;
    heartbeat();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `the model server at ${serveUrl} did not report ${model} v${version} ready${which === 'challenger' ? ' as the challenger' : ''} within ${waitMs / 1000} s`,
  );
}

export function makeDeploy(deps: { lineage: LineageStore; registry: ModelRegistry; serveUrl?: string; registrySchema: string; serveWaitMs?: number }) {
  return async function deployModel(input: DeployInput): Promise<{ alias: string; version: number; from: number | null; served: boolean }> {
    return runStage(deps.lineage, 'deploy', input.model, async (progress) => {
      try {
        await deps.registry.setAlias({
          model: input.model,
          alias: input.alias,
          version: input.version,
          actor: input.actor,
          reason: input.reason,
          details: input.details,
          expectedFrom: input.expectedFrom,
        });
      } catch (err) {
        if (err instanceof AliasConflictError) throw ApplicationFailure.create({ type: FailureType.AliasConflict, message: err.message, nonRetryable: true });
        throw err;
      }
      const served =
        input.alias === 'production' &&
        (await waitUntilServed(
          deps.serveUrl,
          deps.registrySchema,
          input.model,
          input.version,
          () => progress('waiting for the model server'),
          'production',
          deps.serveWaitMs,
        ));
      const mv = await deps.registry.getVersion(input.model, input.version);
      return {
        result: { alias: input.alias, version: input.version, from: input.expectedFrom, served },
        params: { alias: input.alias, version: input.version, from: input.expectedFrom, actor: input.actor, reason: input.reason, served },
        ...(mv ? { inputs: [{ uri: mv.uri, sha256: mv.sha256, type: 'Model' }] } : {}),
      };
    });
  };
}
