// The model server (KServe V1): one HTTP server for every model with an alias.
//   POST /v1/models/{name}:predict   {"instances":[{…raw columns…}]} → {"predictions":[…], "model_version"}
//   POST /v1/models/{name}:feedback  {"labels":[{"id","label"}]}
//   GET  /v1/models/{name}           readiness, the loaded version and the challenger of a rollout
// With a rollout in progress, X-Mlops-Key picks the arm (sticky); the answer names it in X-Mlops-Arm.
//   GET  /metrics                    Prometheus text
// Raw instances go through the same derivation code as training, then the model's ONNX graph.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type pg from 'pg';
import { coerce, deriveRow } from '../core/features/derive';
import type { OnnxFeeds } from '../core/onnx/feeds';
import { OUTPUT } from '../core/onnx/signature';
import { armFor } from '../core/rollout/routing';
import type { Authorizer } from './auth';
import { withOnlineFeatures } from './feature-lookup';
import type { ModelHost, ServedModel } from './model-host';
import { hashValue, PredictionLog } from './prediction-log';

export const MAX_BODY_BYTES = 1 << 20;
export const MAX_INSTANCES = 10_000;
/** A prediction id: the log's key (a uuid column) and what feedback sends back. */
const PREDICTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Counters {
  requests: Map<string, number>;
  errors: Map<string, number>;
  latency: Map<string, number[]>; // histogram bucket counts per model/version
  lookups: Map<string, number>; // online feature lookups per model|hit or model|miss
}

const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'the body must be a JSON object');
  return v as Record<string, unknown>;
}

/** The caller's sticky key (X-Mlops-Key, else X-Request-Id), or a random one: only a rollout needs it. */
function routingKey(req: http.IncomingMessage): string {
  const key = req.headers['x-mlops-key'] ?? req.headers['x-request-id'];
  return typeof key === 'string' && key.length > 0 && key.length <= 256 ? key : randomUUID();
}

/** Checks instances against the model's fields; throws 400 naming every bad field. */
export function checkInstances(model: ServedModel, instances: unknown): Record<string, unknown>[] {
  if (!Array.isArray(instances) || instances.length === 0) throw new HttpError(400, '"instances" must be a non-empty list of objects');
  if (instances.length > MAX_INSTANCES) throw new HttpError(413, `at most ${MAX_INSTANCES} instances per request`);
  const problems: string[] = [];
  instances.forEach((inst, i) => {
    if (typeof inst !== 'object' || inst === null || Array.isArray(inst)) {
      problems.push(`instances[${i}] is not an object`);
      return;
    }
    const row = inst as Record<string, unknown>;
    for (const [field, kind] of model.fields) {
      if (!Object.hasOwn(row, field)) problems.push(`instances[${i}].${field} is missing${viaSet(model, field)}`);
      else {
        const v = row[field];
        if (v === null) continue;
        if (kind === 'numeric' && typeof v !== 'number' && typeof v !== 'boolean' && (typeof v !== 'string' || Number.isNaN(coerce(v, 'numeric') as number))) {
          problems.push(`instances[${i}].${field} must be a number${model.derive.some((d) => ('inputs' in d ? d.inputs : [d.input]).includes(field)) ? ' or an ISO date' : ''}, got ${JSON.stringify(v).slice(0, 40)}`);
        } else if (kind === 'categorical' && typeof v === 'object') problems.push(`instances[${i}].${field} must be a string, got ${JSON.stringify(v).slice(0, 40)}`);
      }
    }
  });
  if (problems.length > 0) throw new HttpError(400, problems.slice(0, 20).join('; ') + (problems.length > 20 ? `; … ${problems.length - 20} more` : ''));
  return instances as Record<string, unknown>[];
}

/** For a missing field a feature set provides: how the request could have had it looked up. */
function viaSet(model: ServedModel, field: string): string {
  const set = model.featureSets.find((s) => s.fields.some(([, f]) => f === field));
  return set ? ` (or send ${set.entity} to look it up in feature set ${set.name}@${set.version})` : '';
}

/** Predictions for checked instances: derivations, then the graph. */
export async function predict(model: ServedModel, rows: Record<string, unknown>[]): Promise<{ features: Record<string, unknown>[]; predictions: Record<string, unknown>[] }> {
  const kinds = Object.fromEntries(model.fields) as Record<string, 'numeric' | 'categorical'>;
  const features = rows.map((row) => {
    const values: Record<string, unknown> = {};
    for (const [field, kind] of model.fields) values[field] = coerce(row[field], kind);
    return { ...values, ...deriveRow(model.derive, row, kinds) };
  });
  const feeds: OnnxFeeds = {};
  for (const input of model.signature.inputs) {
    if (input.type === 'float32') feeds[input.name] = Float32Array.from(features, (f) => { const v = f[input.name]; return typeof v === 'number' ? v : NaN; });
    else feeds[input.name] = features.map((f) => { const v = f[input.name]; return v === null || v === undefined ? '' : String(v); });
  }
  const out = await model.scorer.score(feeds);
  // A caller's own id is kept when it is a UUID not used twice in the request; any other (a data column
  // named id, say) would make the log refuse its whole batch.
  const seen = new Set<string>();
  const ids = rows.map((r) => {
    const id = typeof r.id === 'string' && PREDICTION_ID.test(r.id) && !seen.has(r.id) ? r.id : randomUUID();
    seen.add(id);
    return id;
  });
  if (model.task === 'regression') {
    const values = out[OUTPUT.value] as Float32Array;
    return { features, predictions: ids.map((id, i) => ({ id, value: values[i] })) };
  }
  const proba = out[OUTPUT.probabilities] as Float32Array;
  const k = model.classes.length;
  const predictions = ids.map((id, i) => {
    const probabilities: Record<string, number> = {};
    let best = 0;
    for (let c = 0; c < k; c++) {
      probabilities[model.classes[c]!] = proba[i * k + c]!;
      if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    }
    // Binary decisions use the threshold chosen at training (from the spec's costs).
    const label = k === 2 ? model.classes[proba[i * 2 + 1]! >= model.threshold ? 1 : 0]! : model.classes[best]!;
    return { id, label, probabilities };
  });
  return { features, predictions };
}

export function createServer(host: ModelHost, pool: pg.Pool, opts: { salt: string; registry: string; log?: PredictionLog; auth?: Authorizer }) {
  const log = opts.log ?? new PredictionLog(pool);
  const counters: Counters = { requests: new Map(), errors: new Map(), latency: new Map(), lookups: new Map() };
  const inc = (m: Map<string, number>, key: string): void => void m.set(key, (m.get(key) ?? 0) + 1);
  const logPredictions = (model: ServedModel, rows: Record<string, unknown>[], features: Record<string, unknown>[], predictions: Record<string, unknown>[], shadow = false): void => {
    rows.forEach((row, i) => {
      const logged: Record<string, unknown> = { ...features[i] };
      for (const k of model.keys) if ((typeof row[k] === 'string' && (row[k] as string).length <= 256) || typeof row[k] === 'number') logged[k] = row[k];
      // Protected attributes sent with a request: hashed, or left out, as the model's spec says.
      for (const p of model.protectedFields) if (p in row && model.logProtected === 'hash') logged[p] = hashValue(row[p], opts.salt);
      // A shadow prediction gets an id of its own; output.shadowOf ties it to the row's answered prediction.
      log.add({ id: shadow ? randomUUID() : (predictions[i]!.id as string), model: model.name, version: model.version, features: logged, output: predictions[i]! });
    });
  };

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    void (async () => {
      if (!URL.canParse(req.url ?? '/', 'http://localhost')) throw new HttpError(400, `the request target ${JSON.stringify((req.url ?? '').slice(0, 100))} is not a path`);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (opts.auth?.(req, res, url.pathname)) return;
      if (req.method === 'GET' && url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(metricsText(host, counters, log));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        // Which registry this server follows, and what it serves: deploys wait on it.
        return send(200, { registry: opts.registry, alias: host.alias, models: host.list().map((x) => ({ name: x.name, version: x.version })) });
      }
      const m = /^\/v1\/models\/([a-z0-9][a-z0-9_.-]{0,62})(:predict|:feedback)?$/.exec(url.pathname);
      if (!m) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
      const model = host.get(m[1]!);
      if (!model) throw new HttpError(404, `model ${m[1]} is not served (no version has the alias ${host.alias})`);
      const key = `${model.name}|${model.version}`;
      if (req.method === 'GET' && !m[2]) {
        const c = host.challenger(model.name);
        return send(200, {
          name: model.name, ready: true, version: model.version, loadedAt: model.loadedAt.toISOString(),
          ...(c ? { challenger: { version: c.model.version, strategy: c.route.strategy, share: c.route.share, loadedAt: c.model.loadedAt.toISOString() } } : {}),
        });
      }
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed here`);
      if (m[2] === ':predict') {
        const body = parseJson(await readBody(req));
        // A rollout in progress: the caller's key picks the arm (sticky), shadow mirrors to the challenger.
        const challenger = host.challenger(model.name);
        const arm = challenger ? armFor(model.name, routingKey(req), challenger.route) : 'champion';
        const served = arm === 'challenger' ? challenger!.model : model;
        const servedKey = `${served.name}|${served.version}`;
        inc(counters.requests, servedKey);
        // Models trained with feature sets: absent set fields come from the online store by entity key.
        const lookup = await withOnlineFeatures(pool, served, body.instances);
        if (lookup.counts.hits > 0) counters.lookups.set(`${served.name}|hit`, (counters.lookups.get(`${served.name}|hit`) ?? 0) + lookup.counts.hits);
        if (lookup.counts.misses > 0) counters.lookups.set(`${served.name}|miss`, (counters.lookups.get(`${served.name}|miss`) ?? 0) + lookup.counts.misses);
        const rows = checkInstances(served, lookup.instances);
        const { features, predictions } = await predict(served, rows);
        res.setHeader('x-mlops-arm', arm);
        send(200, { predictions, model_version: String(served.version) });
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const buckets = counters.latency.get(servedKey) ?? new Array<number>(BUCKETS_MS.length + 1).fill(0);
        buckets[BUCKETS_MS.findIndex((b) => ms <= b) === -1 ? BUCKETS_MS.length : BUCKETS_MS.findIndex((b) => ms <= b)]! += 1;
        counters.latency.set(servedKey, buckets);
        logPredictions(served, rows, features, predictions);
        if (challenger?.route.strategy === 'shadow') {
          const shadow = challenger.model;
          // Off the response path; a request the challenger cannot take is counted, never surfaced.
          void (async () => {
            const mirrored = await predict(shadow, checkInstances(shadow, (await withOnlineFeatures(pool, shadow, rows)).instances));
            logPredictions(shadow, rows, mirrored.features, mirrored.predictions.map((p, i) => ({ ...p, shadowOf: predictions[i]!.id })), true);
          })().catch(() => inc(counters.errors, `${shadow.name}|shadow`));
        }
        return;
      }
      inc(counters.requests, key);
      const body = parseJson(await readBody(req));
      const labels = body.labels;
      if (!Array.isArray(labels) || labels.length === 0 || labels.length > MAX_INSTANCES) throw new HttpError(400, '"labels" must be a list of {id, label} (at most 10000)');
      const bad = labels.findIndex((l) => typeof l !== 'object' || l === null || typeof (l as { id?: unknown }).id !== 'string' || !PREDICTION_ID.test((l as { id: string }).id) || (l as { label?: unknown }).label === undefined);
      if (bad >= 0) throw new HttpError(400, `labels[${bad}] must be {"id": "<prediction id>", "label": …}`);
      await log.flush();
      const res2 = await pool.query(
        `INSERT INTO feedback (prediction_id, label)
         SELECT DISTINCT ON (p.id) p.id, x.label FROM unnest($1::uuid[], $2::text[]) AS x(id, label) JOIN predictions p ON p.id = x.id AND p.model = $3
         ON CONFLICT (prediction_id) DO UPDATE SET label = EXCLUDED.label, at = now()`,
        [labels.map((l) => (l as { id: string }).id), labels.map((l) => String((l as { label: unknown }).label)), model.name],
      );
      send(200, { accepted: res2.rowCount ?? 0, unknown: labels.length - (res2.rowCount ?? 0) });
    })().catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const name = /^\/v1\/models\/([a-z0-9][a-z0-9_.-]{0,62})/.exec(req.url ?? '')?.[1] ?? '-';
      inc(counters.errors, `${name}|${status}`);
      if (!res.headersSent) send(status, { error: err instanceof HttpError ? err.message : 'internal error' });
    });
  });
  return { server, log };
}

function metricsText(host: ModelHost, c: Counters, log: PredictionLog): string {
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
