// CLI commands of level 2: run cicd, pipeline versions, pipeline rollback.
import os from 'node:os';
import { loadConfig, requireCredentials, type Config } from '../core/config';
import { openStores } from '../core/store';
import { BuildError, buildWorktree, pipelineRepo, resolveRef } from '../infra/pipeline-build';
import { startVersionWorker } from '../infra/stack';
import { deploymentState, setCurrentVersion } from '../infra/versions';
import { withClient } from './pipeline-commands';
import { UsageError } from './usage-error';
import { cicdWorkflowId, workflows, type CicdResult } from '../workflows/contracts';

async function commitOf(config: Config, ref: string): Promise<string> {
  try {
    return await resolveRef(pipelineRepo(config.pipelineRepo), ref);
  } catch (err) {
    if (err instanceof BuildError) throw new UsageError(err.message);
    throw err;
  }
}

function printCicd(r: CicdResult): void {
  console.log(`${r.status.toUpperCase()}  ${r.ref} (${r.buildId?.slice(0, 12) ?? 'unresolved'})`);
  if (r.unit) console.log(`  unit tests   ${r.unit.passed} passed, ${r.unit.failed} failed${r.unit.filters ? ` (${r.unit.filters.join(' ')})` : ''}`);
  if (r.replay) console.log(`  replay       ${r.replay.replayed} histories, ${r.replay.failures.length} not deterministic`);
  if (r.integration)
    console.log(`  integration  ${r.integration.workflowId}: ${r.integration.status}${r.integration.blessed ? `, blessed v${r.integration.version}` : ''}`);
  if (r.status === 'promoted')
    console.log(
      `  promoted     current version (was ${r.previous?.slice(0, 12) ?? 'unversioned'}); retraining ${r.retrained.join(', ') || 'no production models'}`,
    );
  for (const reason of r.reasons) console.log(`  - ${reason}`);
}

export async function runCicdCommand(values: Record<string, unknown>): Promise<number> {
  const ref = values.ref as string | undefined;
  if (!ref) throw new UsageError('missing --ref; usage: mlops run cicd --ref REF [--wait] [--json]');
  const config = loadConfig();
  const sha = await commitOf(config, ref);
  return withClient(async (client) => {
    const workflowId = cicdWorkflowId(sha);
    const handle = await client.workflow
      .start(workflows.cicdPipeline, {
        workflowId,
        taskQueue: config.taskQueue,
        args: [{ ref: sha, requestedBy: `${os.userInfo().username} (mlops run cicd ${ref})` }],
      })
      .catch((err: Error) => {
        if (err.name === 'WorkflowExecutionAlreadyStartedError') throw new UsageError(`a CI/CD run of ${sha.slice(0, 12)} is already running: ${workflowId}`);
        throw err;
      });
    if (!values.json) console.log(`started cicdPipeline ${workflowId} for ${ref} (${sha.slice(0, 12)})`);
    if (!values.wait) {
      if (values.json) console.log(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId }));
      return 0;
    }
    const result = (await handle.result()) as CicdResult;
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else printCicd(result);
    return 0;
  }, config);
}

export async function pipelineVersionsCommand(values: Record<string, unknown>): Promise<number> {
  const config = loadConfig();
  requireCredentials(config);
  const stores = openStores(config);
  try {
    const versions = await stores.pipelines.list();
    const state = await withClient((client) => deploymentState(client.workflowService, config), config).catch(() => null);
    if (values.json) {
      console.log(JSON.stringify({ deployment: config.deployment, temporal: state, versions }, null, 2));
      return 0;
    }
    if (versions.length === 0) {
      console.log('no pipeline versions yet: `mlops run cicd --ref REF` builds, tests and promotes one');
      return 0;
    }
    for (const v of versions) {
      const unit = v.unitPassed === null ? '-' : `${v.unitPassed}/${(v.unitPassed ?? 0) + (v.unitFailed ?? 0)}`;
      const replay = v.replay ? `${v.replay.replayed - v.replay.failures.length}/${v.replay.replayed}` : '-';
      const temporal = state?.versions.find((x) => x.buildId === v.buildId);
      console.log(
        `${v.current ? '*' : ' '} ${v.buildId.slice(0, 12)}  ${v.status.padEnd(8)}  ${v.ref.slice(0, 24).padEnd(24)}  unit ${unit.padEnd(9)} replay ${replay.padEnd(7)} ` +
          `${v.integrationRun ?? '-'}  ${v.promotedAt ? `promoted ${v.promotedAt.toISOString()} by ${v.promotedBy}` : ''}${temporal ? `  [${temporal.status.toLowerCase()}]` : ''}`,
      );
      if (v.status === 'rejected') for (const r of v.reasons) console.log(`      ${r}`);
    }
    return 0;
  } finally {
    await stores.close();
  }
}

/** Makes the previous promoted version (or --to SHA) current again; its worker is rebuilt and started if needed. */
export async function pipelineRollbackCommand(values: Record<string, unknown>): Promise<number> {
  const reason = values.reason as string | undefined;
  if (!reason || reason.trim() === '')
    throw new UsageError('mlops pipeline rollback needs --reason (it goes into the promotion history); usage: mlops pipeline rollback --reason R [--to REF]');
  const config = loadConfig();
  requireCredentials(config);
  const stores = openStores(config);
  try {
    const current = await stores.pipelines.current();
    if (current === null) throw new UsageError('no pipeline version was ever promoted: nothing to roll back');
    let target: string;
    if (values.to) target = await commitOf(config, values.to as string);
    else {
      const promotion = (await stores.pipelines.promotions()).filter((p) => p.buildId === current).at(-1);
      if (!promotion?.previous) throw new UsageError(`pipeline ${current.slice(0, 12)} has no earlier promoted version; use --to REF`);
      target = promotion.previous;
    }
    if (target === current) {
      console.log(`pipeline ${target.slice(0, 12)} is already current`);
      return 0;
    }
    const version = await stores.pipelines.get(target);
    if (!version || (version.status !== 'promoted' && version.status !== 'passed'))
      throw new UsageError(`pipeline ${target.slice(0, 12)} never passed CI/CD; only a tested version can be made current`);
    const { dir } = await buildWorktree(pipelineRepo(config.pipelineRepo), config.home, target, (m) => console.error(`pipeline ${target.slice(0, 12)}: ${m}`));
    await startVersionWorker(config, target, dir);
    const actor = `${os.userInfo().username} (mlops pipeline rollback)`;
    await withClient((client) => setCurrentVersion(client, config, target, actor), config);
    await stores.pipelines.promote(target, actor, reason.trim());
    console.log(`pipeline ${current.slice(0, 12)} → ${target.slice(0, 12)} (rolled back): new runs start on ${target.slice(0, 12)}`);
    return 0;
  } finally {
    await stores.close();
  }
}
