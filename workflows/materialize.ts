// materializeFeatures: brings feature sets up to date (incremental materialization: only source rows past
// each set version's watermark are read and written), for a Temporal Schedule, the UI or a script.
// Input: ONE JSON object, {"sets": [{"name": "customer_stats", "version": 2}]} (version optional: the latest).
import type { MaterializeResult } from '../core/featurestore/materialize';
import { activitiesFor } from './stages';

const { materializeFeatureSets } = activitiesFor('materializeFeatureSets');

export interface MaterializeFeaturesInput {
  sets: { name: string; version?: number }[];
}

export async function materializeFeatures(input: MaterializeFeaturesInput): Promise<{ sets: MaterializeResult[] }> {
  return { sets: await materializeFeatureSets({ sets: input?.sets }) };
}
