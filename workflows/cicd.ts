// Level 2, cicdPipeline: a version of the pipeline code (a git ref) is built in its own worktree, its unit
// tests run, recorded and recent workflow histories are replayed against its workflow code, a CT pipeline
// runs on sample data pinned to it and must bless a model; only then it becomes the current version (new
// runs use it, pinned runs finish on theirs) and every production model retrains on it.
import { setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { CICD_STAGES, cicdStatusQuery, MlopsLevel, MlopsTrigger, type CicdInput, type CicdResult, type CicdStatus } from './contracts';
import { activitiesFor } from './stages';

const { buildPipeline, testPipeline, replayPipeline, integrationRunPipeline, promotePipeline, rejectPipeline, retrainProduction } = activitiesFor(
  'buildPipeline',
  'testPipeline',
  'replayPipeline',
  'integrationRunPipeline',
  'promotePipeline',
  'rejectPipeline',
  'retrainProduction',
);

export async function cicdPipeline(input: CicdInput): Promise<CicdResult> {
  const info = workflowInfo();
  upsertSearchAttributes([
    { key: MlopsLevel, value: 2 },
    { key: MlopsTrigger, value: 'cicd' },
  ]);
  const result: CicdResult = {
    workflowId: info.workflowId,
    runId: info.runId,
    ref: input.ref,
    buildId: null,
    status: 'rejected',
    unit: null,
    replay: null,
    integration: null,
    previous: null,
    retrained: [],
    reasons: [],
    timingsMs: {},
  };
  const progress: CicdStatus = { stage: null, buildId: null, done: [] };
  setHandler(cicdStatusQuery, () => progress);
  const stage = async <T>(name: (typeof CICD_STAGES)[number], work: () => Promise<T>): Promise<T> => {
    progress.stage = name;
    const t0 = Date.now();
    const out = await work();
    result.timingsMs[name] = Date.now() - t0;
    progress.done.push(name);
    return out;
  };
  const reject = async (reason: string): Promise<CicdResult> => {
    result.reasons.push(reason);
    await rejectPipeline({ buildId: result.buildId ?? '', reasons: result.reasons });
    progress.stage = 'done';
    return result;
  };

  const built = await stage('build', () => buildPipeline({ ref: input.ref, cicdRun: `${info.workflowId}/${info.runId}` }));
  result.buildId = built.buildId || null;
  progress.buildId = result.buildId;
  if (!built.ok) return reject(`build failed: ${built.error}`);
  const buildId = built.buildId;

  result.unit = await stage('test', () => testPipeline({ buildId }));
  if (result.unit.failed > 0) return reject(`${result.unit.failed} unit test(s) failed: ${result.unit.failures.slice(0, 5).join('; ')}`);

  result.replay = await stage('replay', () => replayPipeline({ buildId }));
  if (result.replay.failures.length > 0) {
    const f = result.replay.failures[0]!;
    return reject(
      `not deterministic: ${result.replay.failures.length} of ${result.replay.replayed} histories fail to replay; first ${f.type} ${f.workflowId}: ${f.message}`,
    );
  }

  result.integration = await stage('integration', () => integrationRunPipeline({ buildId, sample: input.sample ?? {} }));
  if (!result.integration.blessed)
    return reject(
      `the integration run ${result.integration.workflowId} did not bless a model (${result.integration.status}): ${result.integration.reasons.join('; ')}`,
    );
  result.reasons.push(
    `${result.unit.passed} unit tests passed (${(result.unit.filters ?? ['test/unit']).join(' ')}); ${result.replay.replayed} histories replayed; integration run ${result.integration.workflowId} blessed ${result.integration.model} v${result.integration.version}`,
  );

  if (input.promote === false) {
    result.status = 'passed';
    progress.stage = 'done';
    return result;
  }
  const promoted = await stage('promote', () =>
    promotePipeline({ buildId, actor: input.requestedBy ?? `cicdPipeline:${info.workflowId}`, reason: `${input.ref} passed CI/CD`, reasons: result.reasons }),
  );
  result.previous = promoted.previous;
  result.retrained = (await retrainProduction({ buildId })).models;
  result.status = 'promoted';
  progress.stage = 'done';
  return result;
}
