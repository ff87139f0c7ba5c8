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

export interface Counters {
  requests: Map<string, number>;
  errors: Map<string, number>;
  latency: Map<string, number[]>; // histogram bucket counts per model/version
  lookups: Map<string, number>; // online feature lookups per model|hit or model|miss
}

export const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];

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
  counters: Counters;
  versions: VersionCache;
  /** The model answering for `name` (at `version` when given): 404 when there is none. */
  resolve(name: string, version?: number): Promise<{ model: ServedModel; arm: Arm }>;
  /**
   * Predicts with `name` the raw rows `instances` gives for the answering model (protocols decode their
   * tensors against its columns); `key` is the caller's sticky routing key, if any.
   */
  infer(name: string, version: number | undefined, instances: (model: ServedModel) => unknown, key: string | undefined, started: bigint): Promise<InferResult>;
  inc(m: Map<string, number>, key: string): void;
}

export function createInference(host: ModelHost, pool: pg.Pool, opts: { salt: string; log: PredictionLog }): Inference {
  const { log } = opts;
  const counters: Counters = { requests: new Map(), errors: new Map(), latency: new Map(), lookups: new Map() };
  const versions = createVersionCache(host);
  const inc = (m: Map<string, number>, key: string, by = 1): void => void m.set(key, (m.get(key) ?? 0) + by);
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
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const buckets = counters.latency.get(servedKey) ?? new Array<number>(BUCKETS_MS.length + 1).fill(0);
    const at = BUCKETS_MS.findIndex((b) => ms <= b);
    buckets[at === -1 ? BUCKETS_MS.length : at]! += 1;
    counters.latency.set(servedKey, buckets);
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

export function metricsText(host: ModelHost, c: Counters, log: PredictionLog): string {
  const lines: string[] = [];
  const label = (key: string): string => {
    const [model, version] = key.split('|');
    return `model="${model}",version="${version}"`;
  };
  lines.push('# TYPE mlops_requests_total counter');
  for (const [k, v] of c.requests) lines.push(`mlops_requests_total{${label(k)}} ${v}`);
  lines.push('# TYPE mlops_errors_total counter');
  for (const [k, v] of c.errors) {
    const [model, status] = k.split('|');
    lines.push(`mlops_errors_total{model="${model}",status="${status}"} ${v}`);
  }
  lines.push('# TYPE mlops_predict_latency_ms histogram');
  for (const [k, buckets] of c.latency) {
    let cumulative = 0;
    BUCKETS_MS.forEach((b, i) => {
      cumulative += buckets[i]!;
      lines.push(`mlops_predict_latency_ms_bucket{${label(k)},le="${b}"} ${cumulative}`);
    });
    cumulative += buckets[BUCKETS_MS.length]!;
    lines.push(`mlops_predict_latency_ms_bucket{${label(k)},le="+Inf"} ${cumulative}`);
    lines.push(`mlops_predict_latency_ms_count{${label(k)}} ${cumulative}`);
  }
  lines.push('# TYPE mlops_feature_lookups_total counter');
  for (const [k, v] of c.lookups) {
    const [model, result] = k.split('|');
    lines.push(`mlops_feature_lookups_total{model="${model}",result="${result}"} ${v}`);
  }
  lines.push('# TYPE mlops_prediction_log_dropped_total counter', `mlops_prediction_log_dropped_total ${log.dropped}`);
  lines.push('# TYPE mlops_prediction_log_written_total counter', `mlops_prediction_log_written_total ${log.written}`);
  lines.push('# TYPE mlops_model_loaded gauge');
  for (const m of host.list()) lines.push(`mlops_model_loaded{model="${m.name}",version="${m.version}"} 1`);
  return `${lines.join('\n')}\n`;
}
