// The model server: one HTTP server for every model with an alias, KServe V1 here and the Open Inference
// Protocol (KServe V2) under /v2 (serving/v2-rest.ts; gRPC in serving/grpc.ts), one predict path for all.
//   POST /v1/models/{name}:predict   {"instances":[{…raw columns…}]} → {"predictions":[…], "model_version"}
//   POST /v1/models/{name}:feedback  {"labels":[{"id","label"}]}
//   POST /v1/models/{name}:log       predictions made by an edge bundle (serving/edge-log.ts)
//   GET  /v1/models/{name}           readiness, the loaded version and the challenger of a rollout
// With a rollout in progress, X-Mlops-Key picks the arm (sticky); the answer names it in X-Mlops-Arm.
//   GET  /metrics                    Prometheus text
// Raw instances go through the same derivation code as training, then the model's ONNX graph.
import http from 'node:http';
import type pg from 'pg';
import { parseJson, readBody, requestUrl, routingKey } from './http-io';
import { createInference, metricsText, type Inference } from './inference';
import type { ModelHost } from './model-host';
import { RequestError, MAX_INSTANCES, PREDICTION_ID } from '../core/predict/score';
import { PredictionLog } from './prediction-log';
import { handleV2 } from './v2-rest';
import { logEdgePredictions } from './edge-log';
import type { Authorizer } from './auth';

export { MAX_BODY_BYTES } from './http-io';
export { checkInstances, RequestError, MAX_INSTANCES, predict } from '../core/predict/score';

export function createServer(
  host: ModelHost,
  pool: pg.Pool,
  opts: { salt: string; registry: string; log?: PredictionLog; auth?: Authorizer },
): { server: http.Server; log: PredictionLog; inference: Inference } {
  const log = opts.log ?? new PredictionLog(pool);
  const inference = createInference(host, pool, { salt: opts.salt, log });
  const { counters, inc } = inference;

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    void (async () => {
      const url = requestUrl(req);
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
      if (url.pathname === '/v2' || url.pathname.startsWith('/v2/')) return handleV2(inference, req, res, url, send, started);
      const m = /^\/v1\/models\/([a-z0-9][a-z0-9_.-]{0,62})(:predict|:feedback|:log)?$/.exec(url.pathname);
      if (!m) throw new RequestError(404, `no route ${req.method} ${url.pathname}`);
      if (req.method === 'POST' && m[2] === ':log') {
        // Edge predictions: of a registered version, not necessarily one served here.
        return send(200, await logEdgePredictions(pool, log, m[1]!, parseJson(await readBody(req))));
      }
      const model = host.get(m[1]!);
      if (!model) throw new RequestError(404, `model ${m[1]} is not served (no version has the alias ${host.alias})`);
      const key = `${model.name}|${model.version}`;
      if (req.method === 'GET' && !m[2]) {
        const c = host.challenger(model.name);
        return send(200, {
          name: model.name,
          ready: true,
          version: model.version,
          loadedAt: model.loadedAt.toISOString(),
          ...(c
            ? { challenger: { version: c.model.version, strategy: c.route.strategy, share: c.route.share, loadedAt: c.model.loadedAt.toISOString() } }
            : {}),
        });
      }
      if (req.method !== 'POST') throw new RequestError(405, `${req.method} is not allowed here`);
      if (m[2] === ':predict') {
        const body = parseJson(await readBody(req));
        const { served, arm, predictions } = await inference.infer(model.name, undefined, () => body.instances, routingKey(req), started);
        res.setHeader('x-mlops-arm', arm);
        send(200, { predictions, model_version: String(served.version) });
        return;
      }
      inc(counters.requests, key);
      const body = parseJson(await readBody(req));
      const labels = body.labels;
      if (!Array.isArray(labels) || labels.length === 0 || labels.length > MAX_INSTANCES)
        throw new RequestError(400, '"labels" must be a list of {id, label} (at most 10000)');
      const bad = labels.findIndex(
        (l) =>
          typeof l !== 'object' ||
          l === null ||
          typeof (l as { id?: unknown }).id !== 'string' ||
          !PREDICTION_ID.test((l as { id: string }).id) ||
          (l as { label?: unknown }).label === undefined,
      );
      if (bad >= 0) throw new RequestError(400, `labels[${bad}] must be {"id": "<prediction id>", "label": …}`);
      await log.flush();
      const res2 = await pool.query(
        `INSERT INTO feedback (prediction_id, label)
         SELECT DISTINCT ON (p.id) p.id, x.label FROM unnest($1::uuid[], $2::text[]) AS x(id, label) JOIN predictions p ON p.id = x.id AND p.model = $3
         ON CONFLICT (prediction_id) DO UPDATE SET label = EXCLUDED.label, at = now()`,
        [labels.map((l) => (l as { id: string }).id), labels.map((l) => String((l as { label: unknown }).label)), model.name],
      );
      send(200, { accepted: res2.rowCount ?? 0, unknown: labels.length - (res2.rowCount ?? 0) });
    })().catch((err: unknown) => {
      const status = err instanceof RequestError ? err.status : 500;
      const name = /^\/v[12]\/models\/([a-z0-9][a-z0-9_.-]{0,62})/.exec(req.url ?? '')?.[1] ?? '-';
      inc(counters.errors, `${name}|${status}`);
      if (!res.headersSent) send(status, { error: err instanceof RequestError ? err.message : 'internal error' });
    });
  });
  return { server, log, inference };
}
