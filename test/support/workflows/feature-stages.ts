// A test workflow that runs ingest → validate → govern → features → select through real activities.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import { wholeDataset } from '../../../workflows/partitioned-ingest';
import type { GovernanceSpec } from '../../../core/features/govern';
import type { SelectionSpec } from '../../../core/features/select';
import type { FeatureSpec } from '../../../core/features/spec';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '100 ms', nonRetryableErrorTypes: ['InvalidData', 'InvalidSpec', 'ValidationFailed'] },
});

export interface FeatureStagesInput {
  model: string;
  uri: string;
  target: string;
  time?: string;
  features?: FeatureSpec;
  governance?: GovernanceSpec;
  selection?: SelectionSpec;
}

export async function featureStages(input: FeatureStagesInput) {
  const dataset = wholeDataset(await acts.ingestDataset({ uri: input.uri, model: input.model }));
  await acts.validateData({ model: input.model, dataset, rules: { target: input.target } });
  const common = { model: input.model, dataset, target: input.target, time: input.time, features: input.features, governance: input.governance };
  const governance = await acts.governData(common);
  const features = await acts.buildFeatures(common);
  const selection = await acts.selectFeatures({ model: input.model, dataset, plan: features.plan, planRef: features.planRef, selection: input.selection });
  return { dataset, governance, features, selection };
}
