// A test workflow that runs one test-provided activity with the data stages' real activity options, to watch how
// a stage's failure is retried and reported.
import { proxyActivities } from '@temporalio/workflow';
import { DATA_ACTIVITY_OPTIONS } from '../../../workflows/stages';

const { failingStage } = proxyActivities<{ failingStage: (sql: string) => Promise<void> }>(DATA_ACTIVITY_OPTIONS);

export async function stageFailure(sql: string): Promise<void> {
  await failingStage(sql);
}
