// A test workflow running every stage from ingest to evaluate through real activities (no deploy).
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import { wholeDataset } from '../../../workflows/partitioned-ingest';
import type { PipelineSpec } from '../../../core/spec';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3, initialInterval: '100 ms', nonRetryableErrorTypes: ['InvalidData', 'InvalidSpec', 'ValidationFailed'] },
});

export async function trainStages(spec: PipelineSpec) {
  const model = spec.name;
  const dataset = wholeDataset(await acts.ingestDataset({ uri: spec.data.uri, model, delimiter: spec.data.delimiter, format: spec.data.format }));
  await acts.validateData({ model, dataset, rules: { target: spec.target, keys: spec.data.keys, ...spec.validation } });
  const common = { model, dataset, target: spec.target, keys: spec.data.keys, time: spec.time, features: spec.features, governance: spec.governance };
  await acts.governData(common);
  const features = await acts.buildFeatures(common);
  const selection = await acts.selectFeatures({ model, dataset, plan: features.plan, planRef: features.planRef, selection: spec.selection });
  const trained = await acts.trainModel({ model, dataset, plan: features.plan, planRef: features.planRef, selected: selection.selected, spec });
  const evaluation = await acts.evaluateModel({ model, dataset, candidate: trained, spec });
  return { dataset, selection, trained, evaluation };
}
