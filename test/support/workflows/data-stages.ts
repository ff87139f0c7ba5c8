// A test workflow that runs the data stages through real activities on a real worker.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import { ingestStage, wholeDataset } from '../../../workflows/partitioned-ingest';
import type { IngestInput } from '../../../activities/ingest';
import type { ValidationRules } from '../../../core/data/anomalies';

const { ingestDataset, validateData } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '100 ms', nonRetryableErrorTypes: ['InvalidData', 'InvalidSpec', 'ValidationFailed'] },
});

export async function ingestAndValidate(input: IngestInput & { rules: ValidationRules; failOnError?: boolean }) {
  const dataset = wholeDataset(await ingestDataset({ uri: input.uri, model: input.model, delimiter: input.delimiter }));
  const validation = await validateData({ model: input.model, dataset, rules: input.rules, failOnError: input.failOnError });
  return { dataset, validation };
}

/** The pipeline's own ingest stage (fan-out for a partitioned input), then validation. */
export async function partitionedIngestAndValidate(input: { uri: string; model: string; rules: ValidationRules; feedback?: IngestInput['feedback'] }) {
  const dataset = await ingestStage({ uri: input.uri, model: input.model, ...(input.feedback ? { feedback: input.feedback } : {}) });
  const validation = await validateData({ model: input.model, dataset, rules: input.rules, failOnError: false });
  return { dataset, validation };
}

/** Schedules every task at once, each with its own priority: a backlog whose dispatch order the test observes. */
export async function prioritizedTasks(input: { tasks: { label: string; priority: { priorityKey?: number; fairnessKey?: string } }[] }): Promise<void> {
  await Promise.all(
    input.tasks.map((t) =>
      proxyActivities<{ recordTask: (label: string) => Promise<void> }>({ startToCloseTimeout: '1 minute', priority: t.priority }).recordTask(t.label),
    ),
  );
}
