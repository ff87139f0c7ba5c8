// Alerts and tokens on the real stack: a webhook receiver in this test checks the signature and the event of
// a deploy, a persistent drift (a drift-triggered run that had nothing new to learn) and a failed run;
// `mlops alerts log` shows the attempts; the model server answers 401/403/200 once tokens exist.
import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAlert } from '../../activities/alerts';
import { verifySignature } from '../../core/alerts/deliver';
import type { Alert } from '../../core/alerts/webhooks';
import { loadConfig } from '../../core/config';
import { listDeliveries } from '../../core/store/alerts';
import { createToken, revokeToken } from '../../core/store/tokens';
import * as grpc from '@grpc/grpc-js';
import { inferenceServiceConstructor } from '../../serving/grpc-client';
import { startServing, type RunningServer } from '../../serving/main';
import { mlopsAsync } from '../support/cli';
import { isolatedStores } from '../support/isolated-stores';
import { expectFailure, startTestWorker, type TestWorker } from '../support/worker';
import { ctWorkflowId, retrainSignal, type RunResult, workflows } from '../../workflows/contracts';

interface Received {
  body: string;
  json: { event: string; model: string; version: number | null; workflowId: string; temporalUi: string; message: string; numbers: Record<string, unknown> };
  signature: string | undefined;
}

let s: Awaited<ReturnType<typeof isolatedStores>>;
let w: TestWorker;
let receiver: http.Server;
let hookUrl: string;
const received: Received[] = [];
const secret = randomBytes(16).toString('hex');
const suffix = randomBytes(3).toString('hex');
const weather = path.join(__dirname, '..', '..', 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');

beforeAll(async () => {
  process.env.MLOPS_TEST_ALERT_SECRET = secret;
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ body, json: JSON.parse(body), signature: req.headers['x-mlops-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  s = await isolatedStores('alerts');
  w = await startTestWorker(s, 'alerts');
}, 120_000);

afterAll(async () => {
  await w?.stop();
  await s?.drop();
  await new Promise((r) => receiver?.close(r));
});

const spec = (model: string, extra: Record<string, unknown> = {}) => ({
  name: model,
  data: { uri: weather },
  target: 'weather',
  monitor: { enabled: false },
  alerts: { webhooks: [{ url: hookUrl, secretEnv: 'MLOPS_TEST_ALERT_SECRET' }] },
  ...extra,
});

async function ct(model: string, input: Record<string, unknown>, trigger: 'manual' | 'drift' = 'manual', reason?: string) {
  const run = { trigger, requestId: randomBytes(8).toString('hex'), ...(reason ? { reason, driftedColumns: ['wind'] } : {}) };
  const h = await w.client.workflow.signalWithStart(workflows.continuousTrainingPipeline, {
    workflowId: ctWorkflowId(model),
    taskQueue: w.taskQueue,
    args: [{ ...input, run }],
    signal: retrainSignal,
    signalArgs: [{ ...run }],
  });
  return w.client.workflow.getHandle(h.workflowId, h.signaledRunId);
}

async function alertFor(model: string, event: string): Promise<Received> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const hit = received.find((r) => r.json.model === model && r.json.event === event);
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(`no ${event} alert for ${model}; got ${received.map((r) => `${r.json.event}/${r.json.model}`).join(', ') || 'none'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const env = () => ({ MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix, MLOPS_TASK_QUEUE: w.taskQueue });
const model = `alerted-${suffix}`;

describe('alerts', () => {
  it('posts a signed model.deployed, then drift.persists when a drift-triggered run finds the same data', async () => {
    const r = (await (await ct(model, spec(model))).result()) as RunResult;
    expect(r.status).toBe('deployed');
    const deployed = await alertFor(model, 'model.deployed');
    expect(verifySignature(deployed.body, secret, deployed.signature)).toBe(true);
    expect(verifySignature(deployed.body, 'another secret', deployed.signature)).toBe(false);
    expect(deployed.json).toMatchObject({
      event: 'model.deployed',
      model,
      version: 1,
      workflowId: ctWorkflowId(model),
      numbers: { alias: 'production', previous: null, trigger: 'manual' },
    });
    expect(deployed.json.temporalUi).toMatch(new RegExp(`/namespaces/default/workflows/${ctWorkflowId(model)}/${r.runId}/history$`));
    expect(deployed.json.numbers.metrics).toHaveProperty('accuracy');
    expect(deployed.body).not.toContain(secret);

    const again = (await (await ct(model, spec(model), 'drift', 'drift in wind')).result()) as RunResult;
    expect(again.status).toBe('skipped');
    const persists = await alertFor(model, 'drift.persists');
    expect(verifySignature(persists.body, secret, persists.signature)).toBe(true);
    expect(persists.json).toMatchObject({ model, version: 1, numbers: { driftedColumns: ['wind'], datasetSha256: r.dataset!.sha256 } });
    expect(persists.json.message).toMatch(/training data is unchanged/);
  }, 120_000);

  it('posts run.failed with the stage and the cause, and the run still fails with its own error', async () => {
    const broken = `broken-${suffix}`;
    const failure = await expectFailure((await ct(broken, spec(broken, { target: 'no_such_column' }))).result());
    expect(failure.nonRetryable).toBe(true);
    const failed = await alertFor(broken, 'run.failed');
    expect(verifySignature(failed.body, secret, failed.signature)).toBe(true);
    expect(failed.json).toMatchObject({ event: 'run.failed', model: broken, version: null, workflowId: ctWorkflowId(broken) });
    expect(failed.json.numbers.failureType).toBe(failure.type);
    expect(failed.json.message).toContain(failure.message);
  }, 60_000);

  it('mlops models rollback posts model.rolled_back to the webhooks of the production spec', async () => {
    const v1 = await s.registry.getVersion(model, 1);
    const v2 = await s.registry.registerVersion({
      model,
      artifact: { uri: v1!.uri, sha256: v1!.sha256, type: 'Model' },
      runKey: `by-hand-${suffix}`,
      properties: v1!.properties,
    });
    await s.registry.setAlias({ model, alias: 'production', version: v2.version, actor: 'test', reason: 'a second version', expectedFrom: 1 });
    const r = await mlopsAsync(['models', 'rollback', model, '--reason', 'latency regression'], env());
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`production v2 → v1 (rolled back)`);
    const rolled = await alertFor(model, 'model.rolled_back');
    expect(verifySignature(rolled.body, secret, rolled.signature)).toBe(true);
    expect(rolled.json).toMatchObject({ model, version: 1, numbers: { from: 2, to: 1, reason: 'latency regression' } });
    expect(rolled.json.workflowId).toMatch(/^alert-/);
  }, 60_000);

  it('mlops alerts log shows every delivery attempt, and alerts test sends a signed sample', async () => {
    const log = await mlopsAsync(['alerts', 'log', '--model', model, '--json'], env());
    expect(log.stderr).toBe('');
    const rows = JSON.parse(log.stdout) as { event: string; ok: boolean; statusCode: number; attempt: number; url: string }[];
    expect(rows.map((x) => x.event).sort()).toEqual(['drift.persists', 'model.deployed', 'model.rolled_back']);
    for (const x of rows) expect(x).toMatchObject({ ok: true, statusCode: 204, attempt: 1, url: hookUrl });
    const text = await mlopsAsync(['alerts', 'log'], env());
    expect(text.stdout).toMatch(/run\.failed .*delivered \(HTTP 204\)/);

    const before = received.length;
    const sample = await mlopsAsync(['alerts', 'test', hookUrl, '--secret-env', 'MLOPS_TEST_ALERT_SECRET'], env());
    expect(sample.code).toBe(0);
    expect(received.length).toBe(before + 1);
    expect(verifySignature(received.at(-1)!.body, secret, received.at(-1)!.signature)).toBe(true);
    // A port nobody listens on: the attempt is refused, reported and logged.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}/hook`;
    await new Promise((r) => closed.close(r));
    const down = await mlopsAsync(['alerts', 'test', deadUrl], env());
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`mlops: the sample alert was not delivered to ${deadUrl}: ECONNREFUSED`);
    const gaveUp = await listDeliveries(s.pool, { model: 'sample-model' });
    expect(gaveUp[0]).toMatchObject({ ok: false, final: true, url: deadUrl, error: 'ECONNREFUSED' });
  }, 60_000);
});

describe('alert delivery attempts', () => {
  it('retries a webhook that fails with 5xx, never re-sends to one that took the alert, and gives up after the last attempt', async () => {
    let calls = 0;
    const failing = http.createServer((req, res) => {
      calls++;
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', () => r()));
    const failingUrl = `http://127.0.0.1:${(failing.address() as { port: number }).port}/down`;
    try {
      const config = loadConfig();
      const alert: Alert = {
        id: `retry-${suffix}`,
        event: 'drift.detected',
        model: `retried-${suffix}`,
        version: 3,
        workflowId: 'drift-x',
        runId: 'r',
        message: 'm',
        numbers: {},
        at: new Date().toISOString(),
        webhooks: [{ url: hookUrl, secretEnv: 'MLOPS_TEST_ALERT_SECRET' }, { url: failingUrl }],
      };
      const before = received.length;
      const first = await sendAlert(s.pool, s.registry, alert, { attempt: 1, final: false, config, defaults: [] });
      expect(first).toMatchObject({ targets: 2, delivered: 1, retry: true, failed: [{ url: failingUrl, error: 'HTTP 503' }] });
      const last = await sendAlert(s.pool, s.registry, alert, { attempt: 5, final: true, config, defaults: [] });
      expect(last).toMatchObject({ targets: 2, delivered: 1, retry: false });
      expect(received.length).toBe(before + 1);
      expect(calls).toBe(2);
      const rows = (await listDeliveries(s.pool, { model: alert.model })).reverse();
      expect(rows.map((r) => [r.url, r.attempt, r.ok, r.statusCode, r.final])).toEqual([
        [hookUrl, 1, true, 204, true],
        [failingUrl, 1, false, 503, false],
        [failingUrl, 5, false, 503, true],
      ]);
    } finally {
      await new Promise((r) => failing.close(r));
    }
  }, 30_000);
});

describe('tokens on the model server', () => {
  let server: RunningServer;
  afterAll(async () => server?.close());

  it('answers 200 without tokens, then 401 without a valid token, 403 for the wrong scope, 200 with the right one', async () => {
    const config = loadConfig({ ...process.env, MLOPS_DB_SCHEMA: s.schema, MLOPS_S3_PREFIX: s.artifacts.prefix });
    server = await startServing(config, { address: `127.0.0.1:${randomInt(20000, 29999)}` });
    const instance = { date: '2015-06-01', precipitation: 0, temp_max: 25, temp_min: 14, wind: 3 };
    const predict = (token?: string) =>
      fetch(`${server.url}/v1/models/${model}:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ instances: [instance] }),
      });
    expect((await predict()).status).toBe(200);

    const created = await mlopsAsync(['tokens', 'create', 'scorer'], env());
    expect(created.code).toBe(0);
    const scorer = created.stdout.trim();
    expect(scorer).toMatch(/^mlops_[A-Za-z0-9_-]{32}$/);
    const labeller = await createToken(s.pool, { name: 'labeller', scope: 'feedback', createdBy: 'test' });
    const admin = await createToken(s.pool, { name: 'ops', scope: 'admin', createdBy: 'test' });
    // The server refreshes its token set within a few seconds.
    const deadline = Date.now() + 10_000;
    while ((await predict()).status !== 401 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const missing = await predict();
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await predict('mlops_not-a-token')).status).toBe(401);
    const wrong = await predict(labeller);
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ error: "the token's scope feedback does not allow predict (needs predict or admin)" });
    expect((await predict(scorer)).status).toBe(200);
    expect((await predict(admin)).status).toBe(200);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${labeller}` } })).status).toBe(200);
    expect((await fetch(`${server.url}/v1/models/${model}`)).status).toBe(200);
    // gRPC inference takes the same tokens from its `authorization` metadata (checked before the tensors).
    const Inference = inferenceServiceConstructor();
    const rpc = new Inference(server.grpc, grpc.credentials.createInsecure());
    const infer = (token?: string): Promise<grpc.ServiceError> =>
      new Promise((resolve) => {
        const md = new grpc.Metadata();
        if (token) md.set('authorization', `Bearer ${token}`);
        (rpc as unknown as Record<string, (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError) => void) => void>).ModelInfer!(
          { model_name: model, inputs: [] },
          md,
          resolve,
        );
      });
    expect((await infer()).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await infer(labeller)).code).toBe(grpc.status.PERMISSION_DENIED);
    const allowed = await infer(scorer);
    expect(allowed.code).toBe(grpc.status.INVALID_ARGUMENT); // past the token check, refused for its (empty) inputs
    rpc.close();

    const list = await mlopsAsync(['tokens', 'list', '--json'], env());
    expect(JSON.parse(list.stdout).map((t: { name: string; scope: string }) => `${t.name}:${t.scope}`)).toEqual([
      'scorer:predict',
      'labeller:feedback',
      'ops:admin',
    ]);
    expect(list.stdout).not.toContain(scorer);
    const stored = await s.pool.query('SELECT sha256 FROM serving_tokens');
    expect(stored.rows.every((r: { sha256: string }) => /^[0-9a-f]{64}$/.test(r.sha256))).toBe(true);

    expect((await mlopsAsync(['tokens', 'revoke', 'scorer'], env())).code).toBe(0);
    const until = Date.now() + 10_000;
    while ((await predict(scorer)).status !== 401 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect((await predict(scorer)).status).toBe(401);
    await expect(revokeToken(s.pool, 'scorer')).rejects.toThrow('token scorer is already revoked');
  }, 90_000);
});
