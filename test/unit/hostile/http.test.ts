// Hostile requests to the model server's HTTP API: the real `createServer` on an ephemeral port, hosting a
// model whose ONNX session is replaced by a scorer that checks its feeds (one value per row, the graph's
// types) and a database that enforces what Postgres would (uuid syntax, the prediction log's key). Whatever
// the method, path, headers or body: a 2xx or a 4xx with a message, never a 500, never a hang, never a crash,
// and every prediction id handed out is one the log can store and feedback can send back.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierOutputs, OUTPUT } from '../../../core/onnx/signature';
import type { OnnxFeeds } from '../../../core/onnx/feeds';
import type { ModelHost, ServedModel } from '../../../serving/model-host';
import { PredictionLog } from '../../../serving/prediction-log';
import { checkInstances, createServer, MAX_BODY_BYTES } from '../../../serving/server';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Postgres's uuid input: 32 hex digits, in the canonical 8-4-4-4-12 form or without hyphens. */
function pgUuid(v: string): string {
  if (!UUID.test(v.toLowerCase()) && !/^[0-9a-f]{32}$/i.test(v))
    throw Object.assign(new Error(`invalid input syntax for type uuid: "${v}"`), { code: '22P02' });
  return v.toLowerCase().replace(/-/g, '');
}

/** The queries the server sends, answered as Postgres would answer them against empty tables. */
const db = {
  logged: new Set<string>(),
  async query(q: string | { text: string; values: unknown[] }, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }> {
    const text = typeof q === 'string' ? q : q.text;
    const params = (typeof q === 'string' ? values : q.values) ?? [];
    if (text.includes('INSERT INTO predictions')) {
      // One statement, one now(): the key (id, at) repeats when an id does.
      // The rows arrive as one JSON array (jsonb_to_recordset); each id is cast to uuid.
      const ids = (JSON.parse(params[0] as string) as { id: string }[]).map((r) => pgUuid(r.id));
      const conflict = ids.find((id, i) => ids.indexOf(id) !== i);
      if (conflict && !/ON CONFLICT/i.test(text))
        throw Object.assign(new Error('duplicate key value violates unique constraint "predictions_pkey"'), { code: '23505' });
      for (const id of ids) db.logged.add(id);
      return { rows: [], rowCount: new Set(ids).size };
    }
    if (text.includes('INSERT INTO feedback')) {
      (params[0] as string[]).forEach(pgUuid);
      return { rows: [], rowCount: 0 };
    }
    return { rows: [], rowCount: 0 }; // online feature lookups: no entity is known
  },
};

function servedModel(name: string, extra: Partial<ServedModel> = {}): ServedModel {
  const inputs = [
    { name: 'age', type: 'float32' as const, shape: [-1, 1] as [-1, 1] },
    { name: 'plan', type: 'string' as const, shape: [-1, 1] as [-1, 1] },
    { name: 'month', type: 'float32' as const, shape: [-1, 1] as [-1, 1] },
    { name: 'spend_ratio', type: 'float32' as const, shape: [-1, 1] as [-1, 1] },
    { name: 'plan_x_region', type: 'string' as const, shape: [-1, 1] as [-1, 1] },
  ];
  const scorer = {
    inputs: inputs.map(({ name, type }) => ({ name, type })),
    outputs: [OUTPUT.label, OUTPUT.probabilities],
    async score(feeds: OnnxFeeds) {
      const n = (feeds.age as Float32Array).length;
      for (const input of inputs) {
        const f = feeds[input.name];
        if (!f || f.length !== n) throw new Error(`feed ${input.name} has ${f?.length} values, expected ${n}`);
        if (input.type === 'float32' ? !(f instanceof Float32Array) : !Array.isArray(f) || f.some((s) => typeof s !== 'string'))
          throw new Error(`feed ${input.name} is not ${input.type}`);
      }
      return { [OUTPUT.probabilities]: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? 0.3 : 0.7)) };
    },
    async release() {},
  };
  return {
    name,
    version: 3,
    sha256: 'a'.repeat(64),
    scorer,
    signature: { inputs, outputs: classifierOutputs(2), classes: ['no', 'yes'], opsets: { 'ai.onnx': 17, 'ai.onnx.ml': 3 }, irVersion: 8 },
    task: 'binary',
    classes: ['no', 'yes'],
    threshold: 0.5,
    derive: [
      { name: 'month', op: 'month', input: 'signup_date' },
      { name: 'spend_ratio', op: 'ratio', inputs: ['spend', 'age'] },
      { name: 'plan_x_region', op: 'cross', inputs: ['plan', 'region'] },
    ],
    fields: new Map([
      ['age', 'numeric'],
      ['plan', 'categorical'],
      ['signup_date', 'numeric'],
      ['spend', 'numeric'],
      ['region', 'categorical'],
    ]),
    protectedFields: ['region'],
    logProtected: 'hash',
    keys: ['customer_id'],
    featureSets: [],
    loadedAt: new Date(),
    ...extra,
  } as ServedModel;
}

const models = new Map<string, ServedModel>([
  ['churn', servedModel('churn')],
  // Trained with a feature set: absent set fields are looked up by the entity key.
  [
    'shop',
    servedModel('shop', {
      featureSets: [
        {
          name: 'spend',
          version: 2,
          entity: 'customer_id',
          fields: [
            ['spend', 'spend'],
            ['age', 'age'],
          ],
        },
      ],
    }),
  ],
]);
const host = { alias: 'production', get: (n: string) => models.get(n), list: () => [...models.values()], challenger: () => undefined } as unknown as ModelHost;
const log = new PredictionLog(db as never, { intervalMs: 60_000 });
const { server } = createServer(host, db as never, { salt: 'test', registry: 'mlops', log });
let port = 0;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await log.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function request(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    // Always a Content-Length: Node's client sends a GET/DELETE/OPTIONS body unframed otherwise.
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json', ...headers, ...length }, timeout: 5_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* the metrics page is text */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    // An idle keep-alive socket the server closed just as it was reused (its keep-alive timeout): the
    // request never reached the server, so send it again (Node's documented pattern).
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && err.code === 'ECONNRESET') request(method, path, body, headers).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

/** A raw request line, for paths a well-behaved client would never send. */
function rawRequest(method: string, path: string, body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.end(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

function expectRefusedClearly(r: { status: number; json: unknown }): void {
  expect(r.status, JSON.stringify(r.json)).not.toBe(500);
  if (r.status >= 400) {
    expect([400, 404, 405, 413]).toContain(r.status);
    expect(typeof (r.json as { error?: unknown }).error).toBe('string');
    expect((r.json as { error: string }).error.length).toBeGreaterThan(5);
  }
}

function expectPredictions(r: { status: number; json: unknown }, n: number): void {
  const body = r.json as { predictions: { id: string; label: string; probabilities: Record<string, number> }[]; model_version: string };
  expect(body.model_version).toBe('3');
  expect(body.predictions).toHaveLength(n);
  const ids = body.predictions.map((p) => p.id);
  for (const id of ids) expect(id).toMatch(UUID);
  expect(new Set(ids).size).toBe(ids.length);
}

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(
    '',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e400',
    '2014-02-30',
    '0000-00-00',
    '9999-12-31T23:59:59Z',
    '2015-06-01',
    ' 12 ',
    '0x10',
    true,
    false,
    -0,
    1e308,
    -1e308,
    5e-324,
    '__proto__',
    'a'.repeat(5_000),
  ),
);
const FIELDS = ['age', 'plan', 'signup_date', 'spend', 'region', 'customer_id', 'id', '__proto__', 'constructor', 'toString', ''];
const instance = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
/** Ids a caller might send: its own UUIDs (repeated too), data columns named id, junk. */
const callerId = fc.oneof(
  fc.uuid(),
  fc.constant('00000000-0000-0000-0000-000000000000'),
  fc.string({ maxLength: 40 }),
  fc.constant('-'.repeat(36)),
  fc.integer(),
);
const complete = fc.record({
  age: fc.oneof(fc.double(), fc.constant(null)),
  plan: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null)),
  signup_date: fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constant(null),
  ),
  spend: fc.oneof(fc.double(), fc.constant(null)),
  region: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(null)),
  id: fc.option(callerId, { nil: undefined }),
});

describe('the model server under hostile requests', () => {
  it('predict with any instances: predictions for well-formed ones, else a 400 naming the bad field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('churn', 'shop'),
        fc.array(fc.oneof(instance, complete as fc.Arbitrary<unknown>), { maxLength: 6 }),
        async (model, instances) => {
          const r = await request('POST', `/v1/models/${model}:predict`, JSON.stringify({ instances }));
          expectRefusedClearly(r);
          if (r.status === 200) expectPredictions(r, instances.length);
          else expect((r.json as { error: string }).error).toMatch(/instances|must|missing/);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('well-formed instances always get predictions, each logged under the id it was answered with', async () => {
    const answered: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(complete, { minLength: 1, maxLength: 8 }), async (instances) => {
        const r = await request('POST', '/v1/models/churn:predict', JSON.stringify({ instances }));
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        expectPredictions(r, instances.length);
        answered.push(...(r.json as { predictions: { id: string }[] }).predictions.map((p) => p.id));
      }),
      { numRuns: 300 },
    );
    // No batch was refused by the database, so every answer can be joined with its feedback later.
    for (let i = 0; i < 20; i++) await log.flush();
    expect(log.dropped).toBe(0);
    expect(answered.filter((id) => !db.logged.has(pgUuid(id)))).toEqual([]);
  });

  it('any body bytes, to any route, with any method: a clear answer, never a 500', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const path = fc.oneof(
      fc.constantFrom(
        '/v1/models/churn:predict',
        '/v1/models/churn:feedback',
        '/v1/models/churn',
        '/v1/models',
        '/metrics',
        '/v1/models/nope:predict',
        '/v1/models/CHURN:predict',
        '/v1/models/churn:explain',
        '/',
      ),
      fc.constantFrom(
        '/v2',
        '/v2/health/live',
        '/v2/health/ready',
        '/v2/models/churn',
        '/v2/models/churn/ready',
        '/v2/models/churn/infer',
        '/v2/models/churn/versions/3/infer',
        '/v2/models/nope/infer',
        '/v2/models/churn/versions/0/infer',
      ),
      fc.webPath(),
      fc.string({ maxLength: 30 }).map((s) => `/v1/models/${encodeURIComponent(s)}:predict`),
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ instances: fc.jsonValue({ maxDepth: 2 }), labels: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify(v)),
      fc.record({ labels: fc.array(fc.record({ id: callerId, label: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 4 }) }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      // V2 tensors: any name, datatype, shape and data, with parameters and requested outputs.
      fc
        .record(
          {
            id: fc.jsonValue({ maxDepth: 0 }),
            parameters: fc.jsonValue({ maxDepth: 1 }),
            inputs: fc.array(
              fc.record({
                name: fc.constantFrom('age', 'plan', 'signup_date', 'spend', 'region', 'x'),
                datatype: fc.constantFrom('FP64', 'FP32', 'INT64', 'BOOL', 'BYTES', 'FP16', 'x'),
                shape: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }),
                data: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
              }),
              { maxLength: 6 },
            ),
            outputs: fc.array(fc.record({ name: fc.constantFrom('label', 'probabilities', 'value', 'x') }), { maxLength: 2 }),
          },
          { requiredKeys: ['inputs'] },
        )
        .map((v) => JSON.stringify(v)),
      fc.constantFrom('', '{', 'null', '[]', '{"instances":[]}', '{"instances":{}}', '{"labels":[]}', '\uFEFF{"instances":[{}]}'),
    );
    const headers = fc.dictionary(
      fc.constantFrom('x-mlops-key', 'x-request-id', 'content-type', 'accept'),
      fc.string({ maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(method, path, body, headers, async (m, p, b, h) => {
        const r = await request(m, p, m === 'GET' ? undefined : b, h);
        expectRefusedClearly(r);
      }),
      { numRuns: 400 },
    );
  });

  it('request targets no client would send: a 4xx, never a 500', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        '//[',
        '//a:b@c',
        '/v1/models/churn:predict?x=%zz',
        '/%',
        '//',
        '*',
        'http://other/v1/models/churn',
        '/v1/models/churn%00:predict',
        '/v1/models/../models/churn:predict',
      ),
      fc.string({ minLength: 1, maxLength: 30 }).filter((s) => /^[\x21-\x7e]+$/.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST'), target, async (m, t) => {
        const status = await rawRequest(m, t, '{"instances":[{}]}');
        expect(status, `${m} ${t}`).toBeGreaterThanOrEqual(200);
        expect(status, `${m} ${t}`).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });

  it('columns named like Object.prototype members are checked as columns, not inherited', () => {
    const odd = servedModel('odd', {
      fields: new Map([
        ['constructor', 'numeric'],
        ['toString', 'categorical'],
        ['__proto__', 'numeric'],
      ]),
    });
    const refusal = (instances: unknown): string => {
      try {
        checkInstances(odd, instances);
      } catch (err) {
        expect((err as { status?: number }).status).toBe(400);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refusal([{}])).toBe('instances[0].constructor is missing; instances[0].toString is missing; instances[0].__proto__ is missing');
    expect(refusal(JSON.parse('[{"constructor": 1, "toString": "a", "__proto__": 2}]'))).toBe('accepted');
    expect(refusal(JSON.parse('[{"constructor": "x", "toString": {}, "__proto__": null}]'))).toMatch(/constructor must be a number.*toString must be a string/);
  });

  it('bodies over the limit are refused with 413, and the server still answers afterwards', async () => {
    const big = JSON.stringify({ instances: [{ plan: 'x'.repeat(MAX_BODY_BYTES) }] });
    expect((await request('POST', '/v1/models/churn:predict', big)).status).toBe(413);
    const many = JSON.stringify({ instances: Array.from({ length: 10_001 }, () => ({})) });
    expect((await request('POST', '/v1/models/churn:predict', many)).status).toBe(413);
    const ok = await request(
      'POST',
      '/v1/models/churn:predict',
      JSON.stringify({ instances: [{ age: 40, plan: 'pro', signup_date: '2015-06-01', spend: 10, region: 'north' }] }),
    );
    expect(ok.status).toBe(200);
  });
});
