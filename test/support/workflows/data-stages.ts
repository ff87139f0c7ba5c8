// A test workflow that runs the data stages through real activities on a real worker.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import type { IngestInput } from '../../../activities/ingest';
import type { ValidationRules } from '../../../core/data/anomalies';

const { ingestDataset, validateData } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '100 ms', nonRetryableErrorTypes: ['InvalidData', 'InvalidSpec', 'ValidationFailed'] },
});

export async function ingestAndValidate(input: IngestInput & { rules: ValidationRules; failOnError?: boolean }) {
  const dataset = await ingestDataset({ uri: input.uri, model: input.model, delimiter: input.delimiter });
  const validation = await validateData({ model: input.model, dataset, rules: input.rules, failOnError: input.failOnError });
  return { dataset, validation };
}
