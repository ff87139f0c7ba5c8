// The Open Inference Protocol (KServe V2) against the real stores, with independent clients: plain HTTP
// requests walking the REST endpoints one by one, and a gRPC client built here from the protocol's official
// proto (serving/proto/open_inference_grpc.proto). Both must agree with V1 on the same rows, log what they
// answer, take feedback on the ids they hand out, follow rollout routing, serve unaliased versions, and refuse
// bad tensors with a message naming the input.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../serving/main';
import { churnModel, serveChurn, type ChurnModel } from '../support/churn-serving';

let s: ChurnModel['stores'];
let server: RunningServer;
let client: grpc.Client;
let v2: number;
const rows = [
  { signup_date: '2023-05-02', age: 41, income: 52000, plan: 'basic', tenure_months: 3, support_calls: 5, monthly_charges: 47.5, region: 'north' },
  { signup_date: '2021-11-20', age: 29, income: 81000, plan: 'premium', tenure_months: 60, support_calls: 0, monthly_charges: 99, region: 'south' },
];
const STRINGS = new Set(['signup_date', 'plan', 'region']);

/** One REST tensor per raw column: BYTES for strings and dates, FP64 for numbers. */
function tensors(
  instances: Record<string, string | number>[],
  shape: (n: number) => number[] = (n) => [n],
): { name: string; datatype: string; shape: number[]; data: (string | number)[] }[] {
  return Object.keys(instances[0]!).map((name) => ({
    name,
    datatype: STRINGS.has(name) ? 'BYTES' : 'FP64',
    shape: shape(instances.length),
    data: instances.map((r) => r[name]!),
  }));
}

const get = async (p: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${server.url}${p}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const post = async (
  p: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; arm: string | null }> => {
  const res = await fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, arm: res.headers.get('x-mlops-arm') };
};

interface Output {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/** A unary call of the generated client, as a promise. */
function call<T>(method: string, request: object, metadata = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, r: T) => void) => void>)[method]!(
      request,
      metadata,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

beforeAll(async () => {
  const churn = await churnModel('servingv2', { latencyCalls: 5 });
  s = churn.stores;
  v2 = await churn.train('run-2', 0.001); // registered, no alias
  server = await serveChurn(churn);
  // The client: generated at run time from the protocol's own proto file, nothing of the server's code.
  const proto = protoLoader.loadSync(path.join(__dirname, '..', '..', 'serving', 'proto', 'open_inference_grpc.proto'), {
    keepCase: true,
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const Service = (grpc.loadPackageDefinition(proto) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } }).inference
    .GRPCInferenceService;
  client = new Service(server.grpc, grpc.credentials.createInsecure());
}, 180_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  await s?.drop();
});

describe('Open Inference Protocol over REST (raw HTTP, endpoint by endpoint)', () => {
  it('answers health, server metadata, model metadata and readiness', async () => {
    expect(await get('/v2/health/live')).toEqual({ status: 200, body: { live: true } });
    expect(await get('/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
    const meta = await get('/v2');
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ name: 'temporal-mlops', extensions: [] });
    expect(typeof meta.body.version).toBe('string');
    for (const p of ['/v2/models/churn', '/v2/models/churn/versions/1']) {
      const m = await get(p);
      expect(m.status).toBe(200);
      expect(m.body).toMatchObject({
        name: 'churn',
        platform: 'onnx',
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [-1] },
          { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
        ],
      });
      expect(m.body.versions).toContain('1');
      const inputs = m.body.inputs as { name: string; datatype: string; shape: number[] }[];
      expect(Object.fromEntries(inputs.map((i) => [i.name, i.datatype]))).toEqual({
        signup_date: 'BYTES',
        age: 'FP64',
        income: 'FP64',
        plan: 'BYTES',
        tenure_months: 'FP64',
        support_calls: 'FP64',
        monthly_charges: 'FP64',
      }); // region: protected, not read by the model
      expect((m.body.parameters as Record<string, string>).version_loading).toMatch(/loaded on first use.*least recently used/);
    }
    expect(await get('/v2/models/churn/ready')).toEqual({ status: 200, body: { name: 'churn', ready: true } });
    expect(await get('/v2/models/churn/versions/1/ready')).toEqual({ status: 200, body: { name: 'churn', ready: true } });
    const missing = await get('/v2/models/nope/ready');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/model nope is not served/);
    expect((await get('/v2/models/churn/infer')).status).toBe(405);
    expect((await get('/v2/nowhere')).status).toBe(404);
  });

  it('infers with one tensor per raw column, as V1 does, echoing id and parameters', async () => {
    const v1 = await post('/v1/models/churn:predict', { instances: rows });
    const want = v1.body.predictions as { label: string; probabilities: Record<string, number> }[];
    for (const shape of [(n: number) => [n], (n: number) => [n, 1]]) {
      const res = await post('/v2/models/churn/infer', { id: 'req-7', parameters: { trace: 'abc', sample: 3 }, inputs: tensors(rows, shape) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ model_name: 'churn', model_version: '1', id: 'req-7', parameters: { trace: 'abc', sample: 3, arm: 'champion' } });
      const [label, proba] = res.body.outputs as Output[];
      expect(label).toEqual({ name: 'label', datatype: 'BYTES', shape: [2], data: want.map((p) => p.label) });
      expect(proba).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 2], parameters: { classes: '["0","1"]' } });
      expect(proba!.data).toEqual(want.flatMap((p) => [p.probabilities['0'], p.probabilities['1']]));
    }
    const only = await post('/v2/models/churn/infer', { inputs: tensors(rows), outputs: [{ name: 'probabilities' }] });
    expect((only.body.outputs as Output[]).map((o) => o.name)).toEqual(['probabilities']);
  });

  it('logs V2 predictions and takes feedback on the ids in the response parameters', async () => {
    const res = await post('/v2/models/churn/infer', { inputs: tensors(rows) });
    const ids = ((res.body.parameters as Record<string, string>).prediction_ids ?? '').split(',');
    expect(ids).toHaveLength(2);
    const fb = await post('/v1/models/churn:feedback', { labels: ids.map((id) => ({ id, label: 1 })) });
    expect(fb.body).toEqual({ accepted: 2, unknown: 0 });
    const logged = await s.pool.query(`SELECT features FROM predictions WHERE id = ANY($1::uuid[])`, [ids]);
    expect(logged.rows).toHaveLength(2);
    expect(logged.rows.map((r) => r.features.signup_month).sort((a, b) => a - b)).toEqual([5, 11]);
    expect(JSON.stringify(logged.rows)).not.toContain('north'); // the protected attribute is hashed
  });

  it('serves a registered version no alias points at, loaded on demand', async () => {
    const res = await post(`/v2/models/churn/versions/${v2}/infer`, { inputs: tensors(rows) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_version: String(v2), parameters: { arm: 'version' } });
    expect((await get('/v2/models/churn')).body.versions).toEqual(['1', String(v2)]);
    const unknown = await post('/v2/models/churn/versions/99/infer', { inputs: tensors(rows) });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/churn has no registered version 99/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`mlops_requests_total\\{model="churn",version="${v2}"\\} 1`));
  });

  it('refuses bad tensors with a 400 naming the input', async () => {
    const good = tensors(rows);
    const swap = (name: string, t: Partial<(typeof good)[number]> | undefined) => good.flatMap((x) => (x.name !== name ? [x] : t ? [{ ...x, ...t }] : []));
    const cases: [unknown, RegExp][] = [
      [{ inputs: swap('age', { shape: [3] }) }, /input age: shape \[3\] holds 3 values, data has 2/],
      [{ inputs: swap('age', { shape: [2, 2] }) }, /input age: shape \[2,2\] must be \[n\] or \[n, 1\]/],
      [{ inputs: swap('age', { datatype: 'FP128' }) }, /input age: unknown datatype "FP128"/],
      [{ inputs: swap('age', undefined) }, /input age is missing/],
      [{ inputs: swap('plan', { datatype: 'FP64', data: [1, 2] }) }, /input plan: a string column takes BYTES, got FP64/],
      [{ inputs: swap('age', { datatype: 'BYTES', data: ['41', '29'] }) }, /input age: a numeric column takes FP64, FP32, INT64 or BOOL, got BYTES/],
      [{ inputs: swap('age', { data: ['old', 29] }) }, /input age: data\[0\] is "old", not a FP64 value/],
      [{ inputs: swap('tenure_months', { datatype: 'INT64', data: [1.5, 2] }) }, /input tenure_months: data\[0\] is 1.5, not a INT64 value/],
      [{ inputs: swap('age', { shape: [1], data: [41] }) }, /input age has 1 rows, input signup_date has 2/],
      [{ inputs: [...good, { name: 'age', datatype: 'FP64', shape: [2], data: [1, 2] }] }, /input age is given twice/],
      [{ inputs: good, outputs: [{ name: 'score' }] }, /output "score" is not an output of model churn/],
      [{ inputs: 'x' }, /"inputs" must be a list/],
      [{ inputs: good, parameters: { deep: { x: 1 } } }, /"parameters".deep must be a string, number or boolean/],
    ];
    for (const [body, message] of cases) {
      const res = await post('/v2/models/churn/infer', body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    expect((await post('/v2/models/nope/infer', { inputs: good })).status).toBe(404);
  });

  it('routes a rollout by X-Mlops-Key, sticky per key, as V1 does', async () => {
    await s.registry.setAlias({
      model: 'churn',
      alias: 'challenger',
      version: v2,
      actor: 'test',
      reason: 'canary',
      details: { strategy: 'canary', share: 0.5 },
    });
    const deadline = Date.now() + 10_000;
    while (server.host.challenger('churn')?.model.version !== v2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const arms = new Map<string, Set<string>>();
    for (let i = 0; i < 40; i++) {
      const key = `k${i % 10}`;
      const res = await post('/v2/models/churn/infer', { inputs: tensors(rows.slice(0, 1)) }, { 'x-mlops-key': key });
      expect(res.arm).toBe((res.body.parameters as Record<string, string>).arm);
      expect(res.body.model_version).toBe(res.arm === 'challenger' ? String(v2) : '1');
      arms.set(key, (arms.get(key) ?? new Set()).add(res.arm!));
    }
    expect([...arms.values()].every((a) => a.size === 1)).toBe(true);
    expect(new Set([...arms.values()].flatMap((a) => [...a]))).toEqual(new Set(['champion', 'challenger']));
    await s.registry.setAlias({ model: 'churn', alias: 'challenger', version: null, actor: 'test', reason: 'done' });
    while (server.host.challenger('churn') && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 50));
  });
});

describe('Open Inference Protocol over gRPC (a client generated from the official proto)', () => {
  const typed = (instances: Record<string, string | number>[]) =>
    Object.keys(instances[0]!).map((name) =>
      STRINGS.has(name)
        ? { name, datatype: 'BYTES', shape: [instances.length], contents: { bytes_contents: instances.map((r) => Buffer.from(String(r[name]))) } }
        : { name, datatype: 'FP64', shape: [instances.length, 1], contents: { fp64_contents: instances.map((r) => r[name] as number) } },
    );

  /** raw_input_contents: little-endian FP64, BYTES as 4-byte length + UTF-8. */
  const raw = (instances: Record<string, string | number>[]) => {
    const names = Object.keys(instances[0]!);
    return {
      inputs: names.map((name) => ({ name, datatype: STRINGS.has(name) ? 'BYTES' : 'FP64', shape: [instances.length] })),
      raw_input_contents: names.map((name) =>
        Buffer.concat(
          instances.map((r) => {
            if (!STRINGS.has(name)) {
              const b = Buffer.alloc(8);
              b.writeDoubleLE(r[name] as number);
              return b;
            }
            const text = Buffer.from(String(r[name]));
            const len = Buffer.alloc(4);
            len.writeUInt32LE(text.length);
            return Buffer.concat([len, text]);
          }),
        ),
      ),
    };
  };

  interface InferResponse {
    model_name: string;
    model_version: string;
    id: string;
    parameters: Record<string, { string_param?: string; int64_param?: number }>;
    outputs: {
      name: string;
      datatype: string;
      shape: number[];
      parameters: Record<string, { string_param?: string }>;
      contents: { bytes_contents: Buffer[]; fp32_contents: number[] };
    }[];
  }

  it('answers liveness, readiness and metadata', async () => {
    expect(await call('ServerLive', {})).toEqual({ live: true });
    expect(await call('ServerReady', {})).toEqual({ ready: true });
    expect(await call('ServerMetadata', {})).toMatchObject({ name: 'temporal-mlops', extensions: [] });
    expect(await call('ModelReady', { name: 'churn' })).toEqual({ ready: true });
    expect(await call('ModelReady', { name: 'churn', version: '1' })).toEqual({ ready: true });
    expect(await call('ModelReady', { name: 'nope' })).toEqual({ ready: false });
    const meta = await call<{
      name: string;
      platform: string;
      versions: string[];
      inputs: { name: string; datatype: string; shape: number[] }[];
      outputs: { name: string }[];
      properties: Record<string, string>;
    }>('ModelMetadata', { name: 'churn' });
    expect(meta).toMatchObject({ name: 'churn', platform: 'onnx' });
    expect(meta.inputs.find((i) => i.name === 'plan')).toEqual({ name: 'plan', datatype: 'BYTES', shape: [-1] });
    expect(meta.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(meta.properties.version_loading).toMatch(/loaded on first use/);
  });

  it('infers from typed contents and from raw_input_contents, agreeing with REST', async () => {
    const rest = await post('/v2/models/churn/infer', { inputs: tensors(rows) });
    const [label, proba] = rest.body.outputs as Output[];
    for (const request of [{ inputs: typed(rows) }, raw(rows)]) {
      const res = await call<InferResponse>('ModelInfer', { model_name: 'churn', id: 'g-1', parameters: { trace: { string_param: 'abc' } }, ...request });
      expect(res).toMatchObject({ model_name: 'churn', model_version: '1', id: 'g-1' });
      expect(res.parameters.trace).toMatchObject({ string_param: 'abc' });
      expect(res.parameters.prediction_ids!.string_param!.split(',')).toHaveLength(2);
      expect(res.outputs[0]!.contents.bytes_contents.map(String)).toEqual(label!.data);
      expect(res.outputs[1]!.shape).toEqual([2, 2]);
      expect(res.outputs[1]!.parameters.classes!.string_param).toBe('["0","1"]');
      expect(res.outputs[1]!.contents.fp32_contents).toEqual(proba!.data);
    }
    const versioned = await call<InferResponse>('ModelInfer', { model_name: 'churn', model_version: String(v2), inputs: typed(rows) });
    expect(versioned.model_version).toBe(String(v2));
  });

  it('refuses bad tensors with INVALID_ARGUMENT naming the input, and unknown models with NOT_FOUND', async () => {
    const good = typed(rows);
    const swap = (name: string, t: object | undefined) => good.flatMap((x) => (x.name !== name ? [x] : t ? [{ ...x, ...t }] : []));
    const { raw_input_contents, inputs } = raw(rows);
    const cases: [object, RegExp][] = [
      [{ inputs: swap('age', { shape: [3] }) }, /input age: shape \[3\] holds 3 values, data has 2/],
      [{ inputs: swap('age', { datatype: 'FP128' }) }, /input age: unknown datatype "FP128"/],
      [{ inputs: swap('age', undefined) }, /input age is missing/],
      [{ inputs: swap('plan', { datatype: 'FP64', contents: { fp64_contents: [1, 2] } }) }, /input plan: a string column takes BYTES, got FP64/],
      [
        { inputs, raw_input_contents: raw_input_contents.map((b, i) => (inputs[i]!.name === 'age' ? b.subarray(0, 12) : b)) },
        /input age: raw contents hold 12 bytes, shape \[2\] of FP64 needs 16/,
      ],
      [{ inputs, raw_input_contents: raw_input_contents.slice(1) }, /raw_input_contents has 7 entries for 8 inputs/],
      [{ inputs: good, model_version: 'latest' }, /model_version "latest" is not a version number/],
    ];
    for (const [request, message] of cases) {
      const err = (await call('ModelInfer', { model_name: 'churn', ...request }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      expect(err.code, message.source).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toMatch(message);
    }
    const missing = (await call('ModelInfer', { model_name: 'nope', inputs: good }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
  });
});
