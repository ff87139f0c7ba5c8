// One inference, whatever the protocol: pick the version (rollout arm, or an explicit registered version),
// fill feature-set fields from the online store, check and predict (serving/predict), log the predictions
// (and a shadow challenger's), and count it all for /metrics.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { armFor } from '../core/rollout/routing';
import { withOnlineFeatures } from './feature-lookup';
import type { ModelHost, ServedModel } from './model-host';
import { checkInstances, RequestError, predict } from '../core/predict/score';
import { hashValue, type PredictionLog } from './prediction-log';
import { createVersionCache, type VersionCache } from './version-cache';
import { createServingMetrics, type KeyedCounter, type ServingMetrics } from './metrics';

/** Which model answered: the rollout's arm, or a version asked for by number. */
export type Arm = 'champion' | 'challenger' | 'version';

export interface InferResult {
  served: ServedModel;
  arm: Arm;
  predictions: Record<string, unknown>[];
}

export interface Inference {
  host: ModelHost;
  log: PredictionLog;
  counters: ServingMetrics;
  versions: VersionCache;
  /** The model answering for `name` (at `version` when given): 404 when there is none. */
  resolve(name: string, version?: number): Promise<{ model: ServedModel; arm: Arm }>;
  /**
   * Predicts with `name` the raw rows `instances` gives for the answering model (protocols decode their
   * tensors against its columns); `key` is the caller's sticky routing key, if any.
   */
  infer(name: string, version: number | undefined, instances: (model: ServedModel) => unknown, key: string | undefined, started: bigint): Promise<InferResult>;
  inc(m: KeyedCounter, key: string): void;
}

export function createInference(host: ModelHost, pool: pg.Pool, opts: { salt: string; log: PredictionLog }): Inference {
  const { log } = opts;
  const counters = createServingMetrics(host, log);
  const versions = createVersionCache(host);
  const inc = (m: KeyedCounter, key: string, by = 1): void => m.inc(key, by);
  const logPredictions = (
    model: ServedModel,
    rows: Record<string, unknown>[],
    features: Record<string, unknown>[],
    predictions: Record<string, unknown>[],
    shadow = false,
  ): void => {
    rows.forEach((row, i) => {
      const logged: Record<string, unknown> = { ...features[i] };
      for (const k of model.keys) if ((typeof row[k] === 'string' && (row[k] as string).length <= 256) || typeof row[k] === 'number') logged[k] = row[k];
      // Protected attributes sent with a request: hashed, or left out, as the model's spec says.
      for (const p of model.protectedFields) if (p in row && model.logProtected === 'hash') logged[p] = hashValue(row[p], opts.salt);
      // A shadow prediction gets an id of its own; output.shadowOf ties it to the row's answered prediction.
      log.add({
        id: shadow ? randomUUID() : (predictions[i]!.id as string),
        model: model.name,
        version: model.version,
        features: logged,
        output: predictions[i]!,
      });
    });
  };

  const resolve = async (name: string, version?: number): Promise<{ model: ServedModel; arm: Arm }> => {
    const champion = host.get(name);
    if (version === undefined) {
      if (!champion) throw new RequestError(404, `model ${name} is not served (no version has the alias ${host.alias})`);
      return { model: champion, arm: 'champion' };
    }
    if (champion?.version === version) return { model: champion, arm: 'version' };
    const challenger = host.challenger(name);
    if (challenger?.model.version === version) return { model: challenger.model, arm: 'version' };
    return { model: await versions.get(name, version), arm: 'version' };
  };

  const infer = async (
    name: string,
    version: number | undefined,
    instances: (model: ServedModel) => unknown,
    key: string | undefined,
    started: bigint,
  ): Promise<InferResult> => {
    let { model: served, arm } = await resolve(name, version);
    // A rollout in progress: the caller's key picks the arm (sticky), shadow mirrors to the challenger.
    // An explicit version is exactly that version: no routing, no mirror.
    const challenger = version === undefined ? host.challenger(name) : undefined;
    if (challenger) {
      arm = armFor(name, key ?? randomUUID(), challenger.route);
      if (arm === 'challenger') served = challenger.model;
    }
    const servedKey = `${served.name}|${served.version}`;
    inc(counters.requests, servedKey);
    // Models trained with feature sets: absent set fields come from the online store by entity key.
    const lookup = await withOnlineFeatures(pool, served, instances(served));
    if (lookup.counts.hits > 0) inc(counters.lookups, `${served.name}|hit`, lookup.counts.hits);
    if (lookup.counts.misses > 0) inc(counters.lookups, `${served.name}|miss`, lookup.counts.misses);
    const rows = checkInstances(served, lookup.instances);
    const { features, predictions } = await predict(served, rows);
    counters.latency(served.name, served.version, Number(process.hrtime.bigint() - started) / 1e6);
    logPredictions(served, rows, features, predictions);
    if (challenger?.route.strategy === 'shadow') {
      const shadow = challenger.model;
      // Off the response path; a request the challenger cannot take is counted, never surfaced.
      void (async () => {
        const mirrored = await predict(shadow, checkInstances(shadow, (await withOnlineFeatures(pool, shadow, rows)).instances));
        logPredictions(
          shadow,
          rows,
          mirrored.features,
          mirrored.predictions.map((p, i) => ({ ...p, shadowOf: predictions[i]!.id })),
          true,
        );
      })().catch(() => inc(counters.errors, `${shadow.name}|shadow`));
    }
    return { served, arm, predictions };
  };

  return { host, log, counters, versions, resolve, infer, inc };
}
