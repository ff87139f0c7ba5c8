// The workflows suite's harness: one time-skipping test server and one worker per file (time is global to a
// server, so files never share one), the product's workflows from the bundle global-setup.ts made, and typed
// mock activities that each test sets and that record what the workflow asked for.
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Activities } from '../../activities';
import { MlopsLevel, MlopsModel, MlopsTrigger } from '../../workflows/contracts';

export type ActivityName = keyof Activities;
export type ActivityResult<K extends ActivityName> = Awaited<ReturnType<Activities[K]>>;
export type ActivityInput<K extends ActivityName> = Parameters<Activities[K]>[0];
export type Answers = { [K in ActivityName]?: (input: ActivityInput<K>) => ActivityResult<K> | Promise<ActivityResult<K>> };

// Every activity the worker registers: the type makes this list complete, so a new activity fails the
// typecheck here instead of hanging a workflow on an unregistered activity.
const ACTIVITY_NAMES: Record<ActivityName, true> = {
  ingestDataset: true,
  materializeFeatureSets: true,
  ingestTrainingSet: true,
  productionInfo: true,
  sameAsProduction: true,
  validateData: true,
  governData: true,
  buildFeatures: true,
  selectFeatures: true,
  trainModel: true,
  evaluateModel: true,
  deployModel: true,
  ensureMonitor: true,
  checkDrift: true,
  requestTraining: true,
  startAbTest: true,
  startRollout: true,
  checkRollout: true,
  finishRollout: true,
  buildPipeline: true,
  testPipeline: true,
  replayPipeline: true,
  integrationRunPipeline: true,
  rejectPipeline: true,
  promotePipeline: true,
  retrainProduction: true,
  pipelineVersion: true,
  deliverAlert: true,
  prepareExternalTraining: true,
  registerExternalModel: true,
  ingestPartition: true,
  mergePartitions: true,
  planBatchScore: true,
  scoreTable: true,
  scorePartition: true,
  mergeScores: true,
  planMaterialization: true,
  materializePartition: true,
  commitMaterialization: true,
  summarizeDriftPartition: true,
  mergeDrift: true,
  deployToTargets: true,
};

/** One call of a mock activity: its input and the server time it was scheduled at (skipped time included). */
export interface Call<K extends ActivityName> {
  input: ActivityInput<K>;
  at: number;
}

/** The calls of every mock activity, by name, in order. */
export interface Calls {
  of<K extends ActivityName>(name: K): Call<K>[];
  names(): ActivityName[];
}

export interface Testbed {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  /** Sets how the activities answer from now on; the calls from now on. An activity without an answer fails. */
  answer(answers: Answers): Calls;
  teardown(): Promise<void>;
}

let runtimeInstalled = false;

export async function startTestbed(): Promise<Testbed> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: inject('testServer') } } });
  // The test server, like any Temporal server, refuses custom search attributes it was not told about.
  const searchAttributes = Object.fromEntries([MlopsModel, MlopsLevel, MlopsTrigger].map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]));
  await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });

  let answers: Answers = {};
  let log = new Map<ActivityName, Call<ActivityName>[]>();
  const activities: Record<string, (input: never) => Promise<unknown>> = {};
  for (const name of Object.keys(ACTIVITY_NAMES) as ActivityName[]) {
    activities[name] = async (input: never) => {
      const calls = log.get(name) ?? [];
      calls.push({ input, at: Context.current().info.currentAttemptScheduledTimestampMs });
      log.set(name, calls);
      const answer = answers[name] as ((input: unknown) => unknown) | undefined;
      if (!answer) throw ApplicationFailure.nonRetryable(`the test gave no answer for activity ${name}`, 'NoMockAnswer');
      return answer(input);
    };
  }
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: inject('workflowBundle') }, activities });
  const running = worker.run();
  return {
    env,
    taskQueue,
    answer(next) {
      answers = next;
      const mine = new Map<ActivityName, Call<ActivityName>[]>();
      log = mine;
      return {
        of: <K extends ActivityName>(name: K) => (mine.get(name) ?? []) as Call<K>[],
        names: () => [...mine.keys()],
      };
    },
    async teardown() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}
