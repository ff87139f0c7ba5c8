// CLI commands that drive pipelines: run ct|manual, advance, schedule …, worker.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ActivityFailure,
  Client,
  Connection,
  ScheduleOverlapPolicy,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type ScheduleSpec,
} from '@temporalio/client';
import { loadConfig, type Config } from '../core/config';
import { parseSpec, SpecError } from '../core/spec';
import { followProgress } from './run-progress';
import { UsageError } from './usage-error';
import {
  advanceUpdate,
  ctWorkflowId,
  manualWorkflowId,
  INVALID_INPUT_FAILURES,
  type PipelineInput,
  retrainSignal,
  type RunResult,
  type Stage,
  STAGES,
  workflows,
} from '../workflows/contracts';

/** A Temporal client for one command, with a clear message when the server is not up. */
export async function withClient<T>(fn: (client: Client, config: Config) => Promise<T>, config: Config = loadConfig()): Promise<T> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 5_000 });
  } catch {
    throw new Error(`cannot reach Temporal at ${config.temporal.address}: run \`mlops up\` first`);
  }
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }), config);
  } finally {
    await connection.close();
  }
}

/** The pipeline input from --spec FILE (JSON) and the flags that override it; validated before anything starts. */
export function pipelineInput(values: Record<string, unknown>): PipelineInput {
  let raw: Record<string, unknown> = {};
  const file = values.spec as string | undefined;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--spec ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--spec ${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--spec ${file} must hold a JSON object`);
  }
  const data = { ...((raw.data as Record<string, unknown> | undefined) ?? {}) };
  if (values.data) {
    const uri = values.data as string;
    // A relative path means relative to where the command runs, not to the worker.
    data.uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : path.resolve(uri);
  } else if (typeof data.uri === 'string' && file && !/^[a-z][a-z0-9+.-]*:\/\//i.test(data.uri)) {
    data.uri = path.resolve(path.dirname(file), data.uri);
  }
  const input: Record<string, unknown> = { ...raw, data };
  if (values.target) input.target = values.target;
  if (values.name) input.name = values.name;
  try {
    const spec = parseSpec(input);
    return { ...input, name: spec.name } as PipelineInput;
  } catch (err) {
    if (err instanceof SpecError) throw new UsageError(err.message);
    throw err;
  }
}

function uiLink(config: Config, workflowId: string, runId?: string): string {
  return `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}` : ''}`;
}

/** The innermost cause's message ("Activity task failed" says nothing), with the activity that raised it. */
function rootCause(err: Error): string {
  let activity: string | undefined;
  let cause: Error = err;
  while (cause.cause instanceof Error) {
    if (cause instanceof ActivityFailure && cause.activityType) activity = cause.activityType;
    cause = cause.cause;
  }
  return `${cause.message}${activity ? ` (in activity ${activity})` : ''}`;
}

/** Failure types that mean the input was wrong (exit 2) rather than an outage (exit 1). */
function invalidInput(err: unknown): { type: string; message: string } | undefined {
  let cause: unknown = err;
  while (cause && typeof cause === 'object' && 'cause' in cause && (cause as { cause?: unknown }).cause) cause = (cause as { cause: unknown }).cause;
  const c = cause as { type?: string; message?: string } | undefined;
  return c?.type && INVALID_INPUT_FAILURES.includes(c.type) ? { type: c.type, message: c.message ?? '' } : undefined;
}

/** "a seeded sample of 5,000,000 of 12,000,000 labelled rows (seed 42, stratified by y)". */
export function sampleText(s: NonNullable<NonNullable<RunResult['model']>['sample']>): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return `a seeded sample of ${n(s.rows)} of ${n(s.of)} labelled rows (seed ${s.seed}, ${s.stratifiedBy ? `stratified by ${s.stratifiedBy}` : 'not stratified'}; training.maxRows)`;
}

function printResult(r: RunResult): void {
  console.log(`status: ${r.status}${r.deployed ? ` (${r.spec.name}@${r.deployed.alias} → v${r.deployed.version})` : ''}`);
  if (r.dataset) console.log(`dataset: ${r.dataset.rows} rows, sha256 ${r.dataset.sha256.slice(0, 12)} (${r.dataset.uri})`);
  if (r.features)
    console.log(
      `features: ${r.features.selected.join(', ')}${r.features.dropped.length ? `; dropped ${r.features.dropped.map((d) => `${d.name} (${d.reason})`).join(', ')}` : ''}`,
    );
  if (r.model)
    console.log(
      `model: ${r.model.name} v${r.model.version} ${r.model.algorithm} ${JSON.stringify(r.model.metrics)}${r.model.refit ? ` (refit: ${r.model.refit.mode})` : ''}`,
    );
  if (r.model?.sample) console.log(`trained on ${sampleText(r.model.sample)}`);
  for (const reason of r.reasons) console.log(`  - ${reason}`);
  console.log(`timings (ms): ${JSON.stringify(r.timingsMs)}`);
}

export async function runCommand(level: 'ct' | 'manual', values: Record<string, unknown>): Promise<number> {
  const input = pipelineInput(values);
  const name = input.name as string;
  return withClient(async (client, config) => {
    const requestId = randomUUID();
    let workflowId: string;
    let runId: string;
    if (level === 'ct') {
      workflowId = ctWorkflowId(name);
      const run = { trigger: 'manual' as const, requestId, reason: 'mlops run ct' };
      const handle = await client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
        workflowId,
        taskQueue: config.taskQueue,
        args: [{ ...input, run }],
        signal: retrainSignal,
        signalArgs: [{ ...run, spec: input }],
      });
      runId = handle.signaledRunId;
    } else {
      workflowId = manualWorkflowId(name, requestId);
      const handle = await client.workflow.start(workflows.manualPipeline, {
        workflowId,
        taskQueue: config.taskQueue,
        args: [{ ...input, run: { trigger: 'manual', requestId } }],
      });
      runId = handle.firstExecutionRunId;
    }
    if (!values.json) {
      console.log(`started ${level === 'ct' ? 'continuousTrainingPipeline' : 'manualPipeline'} ${workflowId}`);
      console.log(`  ${uiLink(config, workflowId, runId)}`);
      if (level === 'manual') console.log(`  advance each stage with: mlops advance ${workflowId}`);
    }
    if (!values.wait) {
      if (values.json) console.log(JSON.stringify({ workflowId, runId }));
      return 0;
    }
    // Live progress per stage on stderr (stdout keeps the result; --json prints nothing else).
    const progress = values.json ? undefined : followProgress(client.workflow.getHandle(workflowId), process.stderr);
    try {
      // Follows continue-as-new: with coalescing, the run that covers this request may be a follow-up.
      const result = (await client.workflow
        .getHandle(workflowId, runId)
        .result()
        .finally(() => progress?.stop())) as RunResult;
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else printResult(result);
      return 0;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const bad = invalidInput(err);
        console.error(`mlops: run ${workflowId} failed${bad ? ` (${bad.type})` : ''}: ${bad?.message ?? rootCause(err)}`);
        return bad ? 2 : 1;
      }
      throw err;
    }
  });
}

export async function advanceCommand(id: string | undefined, values: Record<string, unknown>): Promise<number> {
  if (!id) throw new UsageError('usage: mlops advance WORKFLOW_ID [--stage S] [--reject --reason R]');
  const stage = values.stage as string | undefined;
  if (stage !== undefined && !(STAGES as readonly string[]).includes(stage))
    throw new UsageError(`--stage ${JSON.stringify(stage)} is not one of ${STAGES.join(', ')}`);
  if (values.reject && !values.reason) throw new UsageError('--reject needs --reason');
  return withClient(async (client) => {
    try {
      const out = await client.workflow.getHandle(id).executeUpdate(advanceUpdate, {
        args: [{ ...(stage ? { stage: stage as Stage } : {}), approve: !values.reject, ...(values.reason ? { reason: values.reason as string } : {}) }],
      });
      console.log(`${out.approved ? 'advanced' : 'rejected'} ${out.stage} of ${id}`);
      return 0;
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`cannot advance ${id}: ${rootCause(err)}`);
      if ((err as { name?: string }).name === 'WorkflowNotFoundError') throw new UsageError(`no running workflow ${id}`);
      throw err;
    }
  });
}

function scheduleId(values: Record<string, unknown>, positionals: string[], name?: string): string {
  const id = (values.id as string | undefined) ?? positionals[0] ?? (name ? `ct-${name}` : undefined);
  if (!id) throw new UsageError('name the schedule: mlops schedule <command> ID');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/.test(id))
    throw new UsageError(`schedule id ${JSON.stringify(id)} has characters other than letters, digits, _ . : -`);
  return id;
}

/** Incremental materialization of feature sets on a schedule (workflow materializeFeatures). */
async function scheduleMaterialize(
  client: Client,
  config: Config,
  values: Record<string, unknown>,
  every: string | undefined,
  cron: string | undefined,
): Promise<number> {
  const given = (values.set as string[] | undefined) ?? [];
  if (given.length === 0) throw new UsageError('mlops schedule create features needs at least one --set NAME[@VERSION]');
  const sets = given.map((text) => {
    const m = /^([a-z0-9][a-z0-9_-]{0,62})(?:@([1-9]\d*))?$/.exec(text);
    if (!m) throw new UsageError(`--set ${JSON.stringify(text)} must be NAME or NAME@VERSION (a feature-set name: a-z 0-9 _ -)`);
    return { name: m[1]!, ...(m[2] ? { version: Number(m[2]) } : {}) };
  });
  const id = scheduleId(values.id ? values : { id: `features-${sets.map((x) => x.name).join('-')}`.slice(0, 190) }, []);
  const spec: ScheduleSpec = every ? { intervals: [{ every: every as `${number}${'s' | 'm' | 'h' | 'd'}` }] } : { cronExpressions: [cron!] };
  await client.schedule.create({
    scheduleId: id,
    spec,
    action: { type: 'startWorkflow', workflowType: workflows.materializeFeatures, taskQueue: config.taskQueue, workflowId: id, args: [{ sets }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
  });
  console.log(`created schedule ${id}: materializeFeatures for ${given.join(', ')} ${every ? `every ${every}` : `on cron "${cron}"`}`);
  return 0;
}

export async function scheduleCommand(sub: string, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  return withClient(async (client, config) => {
    if (sub === 'create') {
      const kind = positionals[0];
      if (kind !== 'ct' && kind !== 'features') {
        throw new UsageError(
          'usage: mlops schedule create ct --spec FILE (--every 1h | --cron "0 * * * *") [--trigger schedule|data] [--id ID]\n   or: mlops schedule create features --set NAME[@V] [--set …] (--every 15m | --cron EXPR) [--id ID]',
        );
      }
      const every = values.every as string | undefined;
      const cron = values.cron as string | undefined;
      if (!every === !cron) throw new UsageError('give exactly one of --every DURATION (e.g. 1h, 15m) or --cron EXPRESSION');
      if (every && !/^\d+(s|m|h|d)$/.test(every)) throw new UsageError(`--every ${JSON.stringify(every)} must be a number with s, m, h or d (e.g. 30m)`);
      if (kind === 'features') return scheduleMaterialize(client, config, values, every, cron);
      const input = pipelineInput(values);
      const trigger = (values.trigger as string | undefined) ?? 'schedule';
      if (trigger !== 'schedule' && trigger !== 'data') throw new UsageError('--trigger must be schedule or data');
      const id = scheduleId(values, [], input.name as string);
      const spec: ScheduleSpec = every ? { intervals: [{ every: every as `${number}${'s' | 'm' | 'h' | 'd'}` }] } : { cronExpressions: [cron!] };
      await client.schedule.create({
        scheduleId: id,
        spec,
        action: {
          type: 'startWorkflow',
          workflowType: workflows.continuousTrainingPipeline,
          taskQueue: config.taskQueue,
          workflowId: ctWorkflowId(input.name as string),
          args: [{ ...input, run: { trigger } }],
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      });
      console.log(
        `created schedule ${id}: continuousTrainingPipeline for ${input.name as string} ${every ? `every ${every}` : `on cron "${cron}"`} (trigger ${trigger})`,
      );
      return 0;
    }
    if (sub === 'list') {
      const out: { id: string; paused: boolean; next: string | null; workflowType: string }[] = [];
      for await (const s of client.schedule.list()) {
        out.push({
          id: s.scheduleId,
          paused: s.state.paused,
          next: s.info.nextActionTimes[0]?.toISOString() ?? null,
          workflowType: s.action?.type === 'startWorkflow' ? s.action.workflowType : (s.action?.type ?? '-'),
        });
      }
      if (values.json) console.log(JSON.stringify(out, null, 2));
      else if (out.length === 0) console.log('no schedules');
      else for (const s of out) console.log(`${s.id}  ${s.paused ? 'paused' : 'active'}  next ${s.next ?? '-'}  ${s.workflowType}`);
      return 0;
    }
    const id = scheduleId(values, positionals);
    const handle = client.schedule.getHandle(id);
    try {
      if (sub === 'delete') await handle.delete();
      else if (sub === 'trigger') await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      else if (sub === 'pause') await handle.pause((values.reason as string | undefined) ?? 'paused with mlops');
      else if (sub === 'unpause') await handle.unpause((values.reason as string | undefined) ?? 'unpaused with mlops');
      else throw new UsageError(`unknown schedule command ${sub}`);
    } catch (err) {
      if ((err as { name?: string }).name === 'ScheduleNotFoundError') throw new UsageError(`no schedule ${id}`);
      throw err;
    }
    const done: Record<string, string> = { delete: 'deleted', trigger: 'triggered', pause: 'paused', unpause: 'unpaused' };
    console.log(`${done[sub]} schedule ${id}`);
    return 0;
  });
}
