// The model server's Prometheus metrics, through prom-client: requests, errors and predict latency per model
// version, online feature lookups, the prediction log's writes and drops, the loaded models, and Node's default
// process metrics (CPU, memory, event-loop lag, GC, handles). One registry per server, so several servers in one
// process (tests) keep their counts apart.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelHost } from './model-host';
import type { PredictionLog } from './prediction-log';

export const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];

/** A counter whose series is named by its label values joined with "|" (`model|version`, `model|status`, `model|hit`). */
export interface KeyedCounter {
  inc(key: string, by?: number): void;
}

export interface ServingMetrics {
  /** Requests per `model|version`. */
  requests: KeyedCounter;
  /** Failed requests per `model|status` (`shadow` for a shadow prediction that failed). */
  errors: KeyedCounter;
  /** Online feature lookups per `model|hit` or `model|miss`. */
  lookups: KeyedCounter;
  /** One predict's time from the request's arrival, in ms. */
  latency(model: string, version: number, ms: number): void;
  contentType: string;
  /** The Prometheus text exposition of every metric. */
  text(): Promise<string>;
}

function keyed<L extends string>(counter: Counter<L>, labels: readonly L[]): KeyedCounter {
  // The label objects per key are built once: a request costs a map lookup and prom-client's own increment.
  const byKey = new Map<string, Partial<Record<L, string>>>();
  return {
    inc(key, by = 1) {
      let values = byKey.get(key);
      if (!values) {
        const parts = key.split('|');
        values = Object.fromEntries(labels.map((l, i) => [l, parts[i] ?? ''])) as Partial<Record<L, string>>;
        byKey.set(key, values);
      }
      counter.inc(values, by);
    },
  };
}

export function createServingMetrics(host: ModelHost, log: PredictionLog): ServingMetrics {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const registers = [register];
  const requests = new Counter({ name: 'mlops_requests_total', help: 'Requests per served model version.', labelNames: ['model', 'version'], registers });
  const errors = new Counter({ name: 'mlops_errors_total', help: 'Failed requests per model and HTTP status.', labelNames: ['model', 'status'], registers });
  const latency = new Histogram({
    name: 'mlops_predict_latency_ms',
    help: 'Predict latency in milliseconds, from the request to its predictions.',
    labelNames: ['model', 'version'],
    buckets: BUCKETS_MS,
    registers,
  });
  const lookups = new Counter({
    name: 'mlops_feature_lookups_total',
    help: 'Online feature lookups per model: hit or miss.',
    labelNames: ['model', 'result'],
    registers,
  });
  // The log and the host keep their own counts: these read them at scrape time.
  new Counter({
    name: 'mlops_prediction_log_dropped_total',
    help: 'Predictions the log dropped (queue full or a failed write).',
    registers,
    collect() {
      this.reset();
      this.inc(log.dropped);
    },
  });
  new Counter({
    name: 'mlops_prediction_log_written_total',
    help: 'Predictions written to the log.',
    registers,
    collect() {
      this.reset();
      this.inc(log.written);
    },
  });
  new Gauge({
    name: 'mlops_model_loaded',
    help: 'The model versions loaded (1 per served version).',
    labelNames: ['model', 'version'],
    registers,
    collect() {
      this.reset();
      for (const m of host.list()) this.set({ model: m.name, version: String(m.version) }, 1);
    },
  });
  const versionLabels = new Map<string, { model: string; version: string }>();
  return {
    requests: keyed(requests, ['model', 'version']),
    errors: keyed(errors, ['model', 'status']),
    lookups: keyed(lookups, ['model', 'result']),
    latency(model, version, ms) {
      const key = `${model}|${version}`;
      let labels = versionLabels.get(key);
      if (!labels) versionLabels.set(key, (labels = { model, version: String(version) }));
      latency.observe(labels, ms);
    },
    contentType: register.contentType,
    text: () => register.metrics(),
  };
}
