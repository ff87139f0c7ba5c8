// Level 2 activities: build a version of the pipeline code (a git commit) in its own worktree, run its unit
// tests, replay recorded and recent workflow histories against its workflow code, run a CT pipeline on
// sample data pinned to it (its own versioned worker), then promote it: current version of the Worker
// Deployment, recorded in Postgres, and a CT run for every production model. Results are outcomes: a
// rejected version is recorded with its reasons, never promoted.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client, HistoryAndWorkflowId, WorkflowExecutionInfo } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { Config } from '../core/config';
import type { Stores } from '../core/store';
import type { PipelineVersion } from '../core/store/pipelines';
import { BuildError, buildWorktree, pipelineRepo, resolveRef, runUnitTests, worktreeDir, type UnitTestReport } from '../infra/pipeline-build';
import { startVersionWorker } from '../infra/stack';
import { setCurrentVersion } from '../infra/versions';
import {
  ctWorkflowId,
  REPLAYED_WORKFLOW_TYPES,
  retrainSignal,
  workflows,
  type IntegrationReport,
  type ReplayReport,
  type RunResult,
  type TrainingRequest,
} from '../workflows/contracts';

const RECENT_PER_TYPE = 10;

export function makeCicd(deps: { stores: Stores; config?: Config; client?: Client; taskQueue: string }) {
  const need = (): { config: Config; client: Client } => {
    if (!deps.config || !deps.client) throw new Error('level 2 activities need the worker config and a Temporal client');
    return { config: { ...deps.config, taskQueue: deps.taskQueue }, client: deps.client };
  };
  const progress = (message: string): void => {
    Context.current().heartbeat({ message });
    Context.current().log.info(message);
  };
  // A candidate's worker talks to the same stores and task queue as this worker.
  const workerEnv = (config: Config): NodeJS.ProcessEnv => ({
    ...process.env,
    MLOPS_DB_SCHEMA: deps.stores.schema,
    MLOPS_S3_PREFIX: deps.stores.artifacts.prefix,
    MLOPS_PIPELINE_REPO: pipelineRepo(config.pipelineRepo),
    // Once promoted, the candidate's worker runs the next CI/CD runs: it gates them with the same tests.
    MLOPS_PIPELINE_UNIT_TESTS: config.pipelineUnitTests.join(' '),
  });
  const { pipelines } = deps.stores;

  return {
    /** Resolves the ref, checks it out and builds it; a build that fails is an outcome (rejected). */
    async buildPipeline(input: {
      ref: string;
      cicdRun: string;
    }): Promise<{ buildId: string; ok: boolean; reused: boolean; ms: number; seededFrom?: string | null; error?: string }> {
      const { config } = need();
      const repo = pipelineRepo(config.pipelineRepo);
      let buildId: string;
      try {
        buildId = await resolveRef(repo, input.ref);
      } catch (err) {
        if (err instanceof BuildError) return { buildId: '', ok: false, reused: false, ms: 0, error: err.message };
        throw err;
      }
      await pipelines.begin({ buildId, ref: input.ref, cicdRun: input.cicdRun });
      try {
        const built = await buildWorktree(repo, config.home, buildId, progress);
        return { buildId, ok: true, reused: built.reused, ms: built.ms, seededFrom: built.seededFrom };
      } catch (err) {
        if (!(err instanceof BuildError)) throw err;
        return { buildId, ok: false, reused: false, ms: 0, error: err.message };
      }
    },

    async testPipeline(input: { buildId: string }): Promise<UnitTestReport> {
      const { config } = need();
      const report = await runUnitTests(worktreeDir(config.home, input.buildId), config.pipelineUnitTests, progress);
      await pipelines.update(input.buildId, { unitPassed: report.passed, unitFailed: report.failed });
      return report;
    },

    /** Replays the candidate's recorded histories and the latest runs on this task queue against its workflow code. */
    async replayPipeline(input: { buildId: string }): Promise<ReplayReport> {
      const { config, client } = need();
      const dir = worktreeDir(config.home, input.buildId);
      const histories: (HistoryAndWorkflowId & { type: string })[] = [];
      const failures: ReplayReport['failures'] = [];
      let unreadable = 0;
      const recorded = path.join(dir, 'test', 'histories');
      if (existsSync(recorded)) {
        for (const f of readdirSync(recorded)
          .filter((x) => x.endsWith('.json'))
          .sort()) {
          try {
            const h = JSON.parse(readFileSync(path.join(recorded, f), 'utf8')) as {
              workflowId?: string;
              events: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[];
            };
            const type = h.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
            histories.push({ workflowId: h.workflowId ?? f, type, history: historyFromJSON(h) });
          } catch (err) {
            unreadable++;
            failures.push({ workflowId: f, type: '?', message: `test/histories/${f} is not a workflow history: ${(err as Error).message.slice(0, 300)}` });
          }
        }
      }
      for (const type of REPLAYED_WORKFLOW_TYPES) {
        let n = 0;
        const query = `WorkflowType = '${type}' AND TaskQueue = '${config.taskQueue.replace(/'/g, '')}'`;
        for await (const e of client.workflow.list({ query }) as AsyncIterable<WorkflowExecutionInfo>) {
          if (n++ >= RECENT_PER_TYPE) break;
          const history = await client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
          histories.push({ workflowId: e.workflowId, type, history });
        }
      }
      progress(`replaying ${histories.length} histories against ${input.buildId.slice(0, 12)}`);
      // One replay worker (one bundle of the candidate's workflow code) replays them in order, one at a time.
      const workflowsPath = path.join(dir, 'dist', 'workflows', 'index.js');
      let i = 0;
      for await (const r of Worker.runReplayHistories({ workflowsPath, replayName: `replay-${input.buildId.slice(0, 12)}` }, histories)) {
        const { type } = histories[i++]!;
        if (r.error) failures.push({ workflowId: r.workflowId, type, message: r.error.message.split('\n').slice(0, 4).join(' ').slice(0, 600) });
        Context.current().heartbeat({ message: `replayed ${i} of ${histories.length}: ${r.workflowId}` });
      }
      const report = { replayed: histories.length + unreadable, failures };
      await pipelines.update(input.buildId, { replay: report });
      return report;
    },

    /** Starts the candidate's versioned worker and runs a CT pipeline pinned to it on sample data. */
    async integrationRunPipeline(input: { buildId: string; sample: { uri?: string; target?: string } }): Promise<IntegrationReport> {
      const { config, client } = need();
      const dir = worktreeDir(config.home, input.buildId);
      progress(`starting the worker of ${input.buildId.slice(0, 12)}`);
      await startVersionWorker(config, input.buildId, dir, workerEnv(config));
      // The integration run trains a model of its own, named after the version under test.
      const model = `cicd-${input.buildId.slice(0, 12)}`;
      const spec = {
        name: model,
        data: { uri: input.sample.uri ?? path.join(dir, 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv') },
        target: input.sample.target ?? 'weather',
        training: { algorithms: ['logistic'] },
        deploy: { alias: 'staging' },
        monitor: { enabled: false },
        run: { trigger: 'cicd' as const, reason: `integration run of pipeline ${input.buildId.slice(0, 12)}` },
      };
      const workflowId = ctWorkflowId(model);
      const handle = await client.workflow
        .start(workflows.continuousTrainingPipeline, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [spec],
          versioningOverride: { pinnedTo: { deploymentName: config.deployment, buildId: input.buildId } },
        })
        .catch(async (err: Error) => {
          if (err.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
          return client.workflow.getHandle(workflowId);
        });
      const tick = setInterval(() => Context.current().heartbeat({ message: `waiting for ${workflowId}` }), 5_000);
      try {
        const result = (await handle.result()) as RunResult;
        const report: IntegrationReport = {
          workflowId,
          runId: result.runId,
          status: result.status,
          blessed: result.blessed,
          model,
          version: result.model?.version ?? null,
          reasons: result.reasons,
        };
        await pipelines.update(input.buildId, { integrationRun: `${workflowId}/${result.runId}` });
        return report;
      } catch (err) {
        return { workflowId, runId: '', status: 'failed', blessed: false, model, version: null, reasons: [(err as Error).message] };
      } finally {
        clearInterval(tick);
      }
    },

    async rejectPipeline(input: { buildId: string; reasons: string[] }): Promise<void> {
      if (input.buildId) await pipelines.update(input.buildId, { status: 'rejected', reasons: input.reasons });
    },

    /** Makes the version current (new runs start on it; pinned runs finish where they started) and records it. */
    async promotePipeline(input: { buildId: string; actor: string; reason: string; reasons?: string[] }): Promise<{ previous: string | null }> {
      const { config, client } = need();
      const dir = worktreeDir(config.home, input.buildId);
      // Its worker must be up before new runs are sent to it (after a restart, or a rollback to an old version).
      await startVersionWorker(config, input.buildId, dir, workerEnv(config));
      const previous = await pipelines.current();
      if (input.reasons) await pipelines.update(input.buildId, { status: 'passed', reasons: input.reasons });
      await setCurrentVersion(client, config, input.buildId, input.actor);
      await pipelines.promote(input.buildId, input.actor, input.reason);
      return { previous };
    },

    /** A CT run on production data for every model in production, on the version now current. */
    async retrainProduction(input: { buildId: string }): Promise<{ models: string[] }> {
      const { client } = need();
      const models: string[] = [];
      for (const m of await deps.stores.registry.listModels()) {
        const version = m.aliases.production;
        if (version === undefined) continue;
        const spec = ((await deps.stores.registry.getVersion(m.name, version))?.properties as { spec?: Record<string, unknown> } | undefined)?.spec;
        if (!spec) continue;
        const request: TrainingRequest = {
          requestId: `cicd-${input.buildId}-${m.name}`,
          trigger: 'cicd',
          reason: `pipeline ${input.buildId.slice(0, 12)} promoted`,
        };
        await client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
          workflowId: ctWorkflowId(m.name),
          taskQueue: deps.taskQueue,
          args: [{ ...spec, run: request }],
          signal: retrainSignal,
          signalArgs: [request],
        });
        models.push(m.name);
      }
      return { models };
    },

    async pipelineVersion(input: { buildId: string }): Promise<PipelineVersion | null> {
      return (await pipelines.get(input.buildId)) ?? null;
    },
  };
}
