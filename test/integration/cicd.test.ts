// Level 2 on real services: versions of this repository's code (commits on a scratch clone) go through
// cicdPipeline — build, unit tests, replay, an integration run pinned to the candidate's own versioned
// worker — and only a good one is promoted. A pinned in-flight run finishes on its old version; new runs
// start on the current one; a rollback restores the previous version.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, defaultPayloadConverter } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../core/config';
import { stopVersionWorker } from '../../infra/stack';
import { projectRoot } from '../../infra/paths';
import { executionBuildId } from '../../infra/versions';
import { mlopsAsync } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { waitFor } from '../support/wait';
import { startTestWorker, type TestWorker } from '../support/worker';
import { advanceUpdate, type CicdResult, type RunResult, STAGES, statusQuery, workflows } from '../../workflows/contracts';

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let config: Config;
let client: Client;
const id = randomBytes(3).toString('hex');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'mlops-cicd-'));
const repo = path.join(scratch, 'repo');
const weather = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
const builds: string[] = [];
// The gate runs a few fast unit files, not the whole suite (minutes, four times over): the broken test the
// bad-unit branch adds must be one of them.
const unitTests = ['test/unit/zz-broken.test.ts', 'test/unit/config.test.ts', 'test/unit/spec.test.ts'];
const env = (): NodeJS.ProcessEnv => ({
  MLOPS_DB_SCHEMA: s.schema,
  MLOPS_S3_PREFIX: s.artifacts.prefix,
  MLOPS_TASK_QUEUE: w.taskQueue,
  MLOPS_DEPLOYMENT: config.deployment,
  MLOPS_PIPELINE_REPO: repo,
  MLOPS_PIPELINE_UNIT_TESTS: unitTests.join(' '),
});

const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

/** A branch off `from` with `edit` applied to the checkout, committed. */
function branch(name: string, from: string, edit: () => void): string {
  git('checkout', '-q', '-b', name, from);
  edit();
  git('add', '-A');
  git('commit', '-q', '-m', name);
  return git('rev-parse', 'HEAD');
}

function replaceIn(file: string, from: string, to: string): void {
  const p = path.join(repo, file);
  const text = readFileSync(p, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}: update this test`);
  writeFileSync(p, text.replace(from, to));
}

async function cicd(ref: string, expected: CicdResult['status']): Promise<CicdResult> {
  const result = (await w.client.workflow.execute(workflows.cicdPipeline, {
    workflowId: `cicd-${id}-${ref}`,
    taskQueue: w.taskQueue,
    args: [{ ref, sample: { uri: weather, target: 'weather' } }],
  })) as CicdResult;
  // On an unexpected outcome, say why before the field-by-field checks.
  expect(result.status, `${ref}: ${result.reasons.join(' | ')}`).toBe(expected);
  if (result.unit) expect(result.unit.failures, `${ref}: unit tests that failed`).toEqual(ref === 'bad-unit' ? ['test/unit/zz-broken.test.ts › adds up'] : []);
  return result;
}

/** The buildPipeline activity's result in a cicd run's history. */
async function buildOf(ref: string): Promise<{ ms: number; seededFrom?: string | null }> {
  const events = (await w.client.workflow.getHandle(`cicd-${id}-${ref}`).fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'buildPipeline')!;
  const done = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(scheduled.eventId))!;
  return defaultPayloadConverter.fromPayload(done.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
}

const ctSpec = (name: string) => ({
  name: `${name}-${id}`,
  data: { uri: weather },
  target: 'weather',
  training: { algorithms: ['logistic'] },
  monitor: { enabled: false },
});

beforeAll(async () => {
  s = await isolatedStores('cicd');
  execFileSync('git', ['clone', '-q', '--no-local', projectRoot(), repo]);
  git('config', 'user.email', 'cicd-test@localhost');
  git('config', 'user.name', 'cicd test');
  const deployment = `mlops-test-${id}`;
  config = loadConfig({
    ...process.env,
    MLOPS_DB_SCHEMA: s.schema,
    MLOPS_S3_PREFIX: s.artifacts.prefix,
    MLOPS_DEPLOYMENT: deployment,
    MLOPS_PIPELINE_REPO: repo,
    MLOPS_PIPELINE_UNIT_TESTS: unitTests.join(','),
  });
  w = await startTestWorker(s, 'cicd', { config });
  client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
}, 120_000);

afterAll(async () => {
  // Nothing of this test may keep running once its versions' workers are gone.
  if (w) {
    for await (const e of w.client.workflow.list({ query: `TaskQueue = '${w.taskQueue}' AND ExecutionStatus = 'Running'` })) {
      await w.client.workflow
        .getHandle(e.workflowId, e.runId)
        .terminate('test done')
        .catch(() => undefined);
    }
  }
  for (const b of builds) await stopVersionWorker(config, b).catch(() => undefined);
  for (const b of builds) {
    try {
      git('worktree', 'remove', '--force', path.join(config.home, 'pipelines', b));
    } catch {
      /* never built */
    }
  }
  await w?.stop();
  await client?.connection.close();
  await s.drop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('cicdPipeline', () => {
  it('promotes a good change, rejects a failing unit test and a non-deterministic change, keeps pinned runs on their version, and rolls back', async () => {
    const base = git('rev-parse', 'HEAD');
    const goodA = branch('good-a', base, () => writeFileSync(path.join(repo, 'CHANGES.md'), 'A: a documentation change\n'));
    const failing = branch('bad-unit', base, () =>
      writeFileSync(
        path.join(repo, 'test', 'unit', 'zz-broken.test.ts'),
        "import { expect, it } from 'vitest';\nit('adds up', () => expect(1 + 1).toBe(3));\n",
      ),
    );
    // Reorders activities in every pipeline run, and "fixes" the replay test by deleting the histories it broke:
    // only the recent production histories can catch it.
    const reordered = branch('bad-replay', base, () => {
      replaceIn(
        'workflows/run.ts',
        "  const dataset = await stage('ingest',",
        "  await productionInfo({ model, alias: spec.deploy.alias });\n  const dataset = await stage('ingest',",
      );
      for (const f of [
        'ct-coalesced',
        'ct-deployed',
        'ct-deployed-alerted',
        'ct-drift-persists',
        'ct-failed-alerted',
        'ct-forwarded',
        'ct-skipped',
        'manual-deployed',
      ])
        rmSync(path.join(repo, 'test', 'histories', `${f}.json`));
      replaceIn(
        'test/unit/replay.test.ts',
        "['abTest', 'cicdPipeline', 'continuousTrainingPipeline', 'driftMonitor', 'manualPipeline', 'materializeFeatures']",
        "['abTest', 'cicdPipeline', 'driftMonitor', 'materializeFeatures']",
      );
    });
    const goodB = branch('good-b', goodA, () => writeFileSync(path.join(repo, 'CHANGES.md'), 'A: a documentation change\nB: another one\n'));
    builds.push(goodA, failing, reordered, goodB);

    // A production model trained before any pipeline version: its CT history is one the candidates must replay.
    const prod = (await w.client.workflow.execute(workflows.continuousTrainingPipeline, {
      workflowId: `ct-prod-${id}`,
      taskQueue: w.taskQueue,
      args: [ctSpec('prod')],
    })) as RunResult;
    expect(prod.deployed?.alias).toBe('production');

    const a = await cicd('good-a', 'promoted');
    expect(a).toMatchObject({ status: 'promoted', buildId: goodA, previous: null, retrained: [`prod-${id}`] });
    expect(a.unit!.failed).toBe(0);
    expect(a.unit!.filters).toEqual(unitTests);
    expect(a.unit!.passed).toBeGreaterThan(10);
    expect(a.reasons[0]).toContain(`unit tests passed (${unitTests.join(' ')})`);
    expect(a.replay!.failures).toEqual([]);
    expect(a.integration).toMatchObject({ blessed: true, workflowId: `ct-cicd-${goodA.slice(0, 12)}` });
    expect(await executionBuildId(client, config, a.integration!.workflowId)).toBe(goodA);
    // The CT run the promotion triggered ran on the new version.
    const retrain = await waitForRun(`ct-prod-${id}`, (r) => r.trigger === 'cicd');
    expect(await executionBuildId(client, config, `ct-prod-${id}`, retrain.runId)).toBe(goodA);

    // A level-0 run started now is pinned to A while it waits for a person.
    const pinned = await w.client.workflow.start(workflows.manualPipeline, {
      workflowId: `manual-pinned-${id}`,
      taskQueue: w.taskQueue,
      args: [ctSpec('pinned')],
    });
    await waitFor('the manual run on A', async () => ((await executionBuildId(client, config, pinned.workflowId)) === goodA ? true : undefined));

    const unit = await cicd('bad-unit', 'rejected');
    expect(unit).toMatchObject({ status: 'rejected', buildId: failing, replay: null, integration: null });
    expect(unit.reasons[0]).toMatch(/1 unit test\(s\) failed: test\/unit\/zz-broken.test.ts › adds up/);
    // Run by A's worker (the current version), with the same tests: the broken one and the others.
    expect(unit.unit).toMatchObject({ filters: unitTests, failed: 1 });
    expect(unit.unit!.passed).toBe(a.unit!.passed);
    // Compiled incrementally from the newest finished build.
    expect((await buildOf('bad-unit')).seededFrom).toBe(goodA);

    const replay = await cicd('bad-replay', 'rejected');
    expect(replay).toMatchObject({ status: 'rejected', buildId: reordered, integration: null });
    expect(replay.unit!.failed).toBe(0);
    expect(replay.reasons[0]).toMatch(
      /not deterministic: \d+ of \d+ histories fail to replay; first (continuousTrainingPipeline|manualPipeline) \S+: .*(Nondeterminism|nondeterminism|does not match)/,
    );

    const b = await cicd('good-b', 'promoted');
    expect(b).toMatchObject({ status: 'promoted', buildId: goodB, previous: goodA });
    // Seeded by the rejected reordering, yet built from B's own sources: B passed the replay gate that rejected it.
    expect((await buildOf('good-b')).seededFrom).toBe(reordered);

    // The pinned run finishes on A; a new run starts on B.
    for (const stage of STAGES) {
      await waitFor(`${stage} waiting`, async () => ((await pinned.query(statusQuery)).waitingFor === stage ? true : undefined));
      await pinned.executeUpdate(advanceUpdate, { args: [{ stage }] });
    }
    expect(((await pinned.result()) as RunResult).status).toMatch(/deployed|blessed/);
    expect(await executionBuildId(client, config, pinned.workflowId)).toBe(goodA);
    const fresh = await w.client.workflow.start(workflows.continuousTrainingPipeline, {
      workflowId: `ct-fresh-${id}`,
      taskQueue: w.taskQueue,
      args: [ctSpec('fresh')],
    });
    await fresh.result();
    expect(await executionBuildId(client, config, fresh.workflowId)).toBe(goodB);

    const versions = await mlopsAsync(['pipeline', 'versions', '--json'], env());
    expect(versions.code).toBe(0);
    const listed = JSON.parse(versions.stdout) as { versions: { buildId: string; status: string; current: boolean; unitFailed: number | null }[] };
    expect(Object.fromEntries(listed.versions.map((v) => [v.buildId, [v.status, v.current]]))).toEqual({
      [goodA]: ['promoted', false],
      [failing]: ['rejected', false],
      [reordered]: ['rejected', false],
      [goodB]: ['promoted', true],
    });
    expect(listed.versions.find((v) => v.buildId === failing)!.unitFailed).toBe(1);

    expect(await mlopsAsync(['pipeline', 'rollback'], env())).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --reason/) });
    const rollback = await mlopsAsync(['pipeline', 'rollback', '--reason', 'B misbehaves'], env());
    expect(rollback).toMatchObject({
      code: 0,
      stdout: `pipeline ${goodB.slice(0, 12)} → ${goodA.slice(0, 12)} (rolled back): new runs start on ${goodA.slice(0, 12)}\n`,
    });
    expect(await s.pipelines.current()).toBe(goodA);
    const after = await w.client.workflow.start(workflows.continuousTrainingPipeline, {
      workflowId: `ct-after-${id}`,
      taskQueue: w.taskQueue,
      args: [ctSpec('after')],
    });
    await after.result();
    expect(await executionBuildId(client, config, after.workflowId)).toBe(goodA);
  }, 1_200_000);
});

async function waitForRun(workflowId: string, match: (r: RunResult) => boolean): Promise<RunResult> {
  return waitFor(`a run of ${workflowId}`, async () => {
    for await (const e of w.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      if (e.status.name !== 'COMPLETED') continue;
      const r = (await w.client.workflow.getHandle(workflowId, e.runId).result()) as RunResult;
      if (match(r)) return r;
    }
    return undefined;
  });
}
