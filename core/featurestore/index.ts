// The feature store (offline + online, Feast-like, on the same MinIO and Postgres as everything else).
//
//   const fstore = openFeatureStore(stores);                 // stores = openStores(config)
//   await fstore.apply(json)                 → { set: { name, version, definition, sha256, uri, createdAt }, created }
//   await fstore.get(name, version?)         → FeatureSetVersion | undefined (default: latest version)
//   await fstore.list()                      → [{ name, version, sha256, createdAt, watermark, parts, rows }]
//   await fstore.materialize({ name, version? }, { onProgress? })
//                                            → { name, version, rows, entities, onlineWritten, skipped, fromWatermark,
//                                                watermark, part: ArtifactRef | null, sourceSha256, ms }
//   await fstore.trainingSet({ events, entity, timestamp, sets: [{ name, version?, features? }], prefixed? })
//                                            → { ref: ArtifactRef, rows, columns: [{ name, type }], sets, eventsSha256 }
//   await fstore.online({ name, version }, ['42', …])
//                                            → Map(entity → { values: { feature: number | string | null }, eventTime })
//   await batchScore(stores, { model, alias?, version?, sets?: [{ name, version? }] | table?: uri })   (./batch-score;
//                                            not re-exported here: it loads onnxruntime, which the feature store's activities need not)
//                                            → { model, version, ref: scores/<model>/<version>/<sha256>.parquet, rows, … }
//
// In the platform: a pipeline spec with `features: { sets, entity }` (and `time`) materializes each set and
// trains on the point-in-time join of its events (activities/feature-sets.ts); the version records the set
// versions in its spec, and the model server fills absent set fields from the online store by entity key
// (serving/feature-lookup.ts); the materializeFeatures workflow materializes on a schedule.
//
// Contracts:
// - A set version's features are its kept `columns` then its derived features, named as in the definition.
//   Numeric values are numbers, categorical (and crosses) strings; missing is null (NaN/±Infinity stored as null).
// - Offline parts: featuresets/<name>/<version>/parts/<sha256>.parquet, columns <entity> (VARCHAR),
//   <timestamp> (TIMESTAMP, UTC), then the features (DOUBLE or VARCHAR); rows sorted by entity and time.
// - Training sets join as of each event's time (feature time ≤ event time); see offline.ts for the naming rule.
// - Online lookups are the hot path: pin the version the model was trained with (`getOnlineFeatures`
//   takes a pool or a client and runs one prepared query).
// - Lineage: FeatureSet artifact (definition) → materialize execution → FeatureSetPart artifacts →
//   training-set execution → TrainingSet artifact (whose properties record the events URI and sha256; events
//   given as an artifact, like the pipeline's canonical copy, are an input too). Batch scoring: Model +
//   FeatureSetParts (+ a table in the artifact store) → batch-score execution → Predictions artifact.
import type { Stores } from '../store';
import type { Progress } from '../data/ingest';
import { materialize, type FeatureStoreDeps } from './materialize';
import { buildTrainingSet, type TrainingSetRequest } from './offline';
import { getOnlineFeatures } from './online';
import { applyFeatureSet, getFeatureSet, listFeatureSets } from './registry';

export { FeatureSetError, parseFeatureSet, resolveFeatureSet, featureNames, type FeatureSetDefinition, type ResolvedFeatureSet } from './definition';
export { materialize, storedValue, withSourceTable, type FeatureStoreDeps, type MaterializeResult } from './materialize';
export { buildTrainingSet, type TrainingSetRequest, type TrainingSetResult } from './offline';
export { getOnlineFeatures, writeOnlineFeatures, type FeatureValue, type OnlineFeatures } from './online';
export { applyFeatureSet, getFeatureSet, listFeatureSets, requireFeatureSet, type FeatureSetSummary, type FeatureSetVersion } from './registry';

export function openFeatureStore(stores: Pick<Stores, 'pool' | 'artifacts' | 'lineage' | 's3'>) {
  const deps: FeatureStoreDeps = stores;
  return {
    apply: (raw: unknown) => applyFeatureSet(deps, raw),
    get: (name: string, version?: number) => getFeatureSet(deps.pool, name, version),
    list: () => listFeatureSets(deps.pool),
    materialize: (set: { name: string; version?: number }, opts?: { onProgress?: Progress }) => materialize(deps, set, opts),
    trainingSet: (request: TrainingSetRequest, opts?: { onProgress?: Progress }) => buildTrainingSet(deps, request, opts),
    online: (set: { name: string; version: number }, entities: string[]) => getOnlineFeatures(deps.pool, set, entities),
  };
}

export type FeatureStore = ReturnType<typeof openFeatureStore>;
