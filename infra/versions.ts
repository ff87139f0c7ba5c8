// Worker Versioning of the pipeline code (level 2): every pipeline version is a build id (its git commit)
// of one Worker Deployment (MLOPS_DEPLOYMENT). New runs start on the current version; PINNED runs finish
// on the version they started on, so an old version's worker runs until its runs drain.
import type { Client, Connection } from '@temporalio/client';
import type { Config } from '../core/config';

type WorkflowService = Connection['workflowService'];

export interface DeploymentState {
  current: string | null;
  /** Versions with pinned runs still open. */
  draining: string[];
  versions: { buildId: string; status: string; drainage: string | null }[];
}

const STATUS = ['UNSPECIFIED', 'INACTIVE', 'CURRENT', 'RAMPING', 'DRAINING', 'DRAINED'];
const DRAINAGE = ['UNSPECIFIED', 'DRAINING', 'DRAINED'];

/** The deployment's current version and its versions; null when no versioned worker ever polled. */
export async function deploymentState(service: WorkflowService, config: Config): Promise<DeploymentState | null> {
  try {
    const res = await service.describeWorkerDeployment({ namespace: config.temporal.namespace, deploymentName: config.deployment });
    const info = res.workerDeploymentInfo;
    const versions = (info?.versionSummaries ?? []).map((v) => ({
      buildId: v.deploymentVersion?.buildId ?? '',
      status: STATUS[Number(v.status ?? 0)] ?? String(v.status),
      drainage: v.drainageStatus ? (DRAINAGE[Number(v.drainageStatus)] ?? String(v.drainageStatus)) : null,
    }));
    return {
      current: info?.routingConfig?.currentDeploymentVersion?.buildId || null,
      draining: versions.filter((v) => v.drainage === 'DRAINING' || v.status === 'DRAINING').map((v) => v.buildId),
      versions,
    };
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return null;
    throw err;
  }
}

/** True once a worker of `buildId` has polled (the version exists in the deployment). */
export async function versionRegistered(service: WorkflowService, config: Config, buildId: string): Promise<boolean> {
  const state = await deploymentState(service, config).catch(() => null);
  return state?.versions.some((v) => v.buildId === buildId) ?? false;
}

/**
 * Makes `buildId` the current version. The server learns of a version from its worker's first polls, so
 * "not found" is retried for a while.
 */
export async function setCurrentVersion(
  client: Client,
  config: Config,
  buildId: string,
  identity: string,
  timeoutMs = 60_000,
): Promise<{ previous: string | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: config.temporal.namespace,
        deploymentName: config.deployment,
        buildId,
        identity,
      });
      return { previous: res.previousDeploymentVersion?.buildId || null };
    } catch (err) {
      const code = (err as { code?: number }).code;
      if ((code !== 5 && code !== 9) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Which build a workflow execution ran on (null: unversioned). */
export async function executionBuildId(client: Client, config: Config, workflowId: string, runId?: string): Promise<string | null> {
  const res = await client.workflowService.describeWorkflowExecution({
    namespace: config.temporal.namespace,
    execution: { workflowId, ...(runId ? { runId } : {}) },
  });
  return res.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId || null;
}
