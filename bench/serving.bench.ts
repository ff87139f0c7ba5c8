// The model server under load on loopback: the real `mlops serve` in its own process, serving the
// production version of a model trained here; the load generator runs in the benchmark process.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { loadConfig } from '../core/config';
import { ingest } from '../core/data/ingest';
import { featuresStage } from '../core/features/stages';
import { trainStage } from '../core/ml/train';
import { parseSpec } from '../core/spec';
import { openStores } from '../core/store';
import { createToken } from '../core/store/tokens';
import { migrate } from '../infra/migrate';
import { projectRoot } from '../infra/paths';
import type { Benchmark } from './harness';

const MODEL = 'bench-weather';
const PORT = 18480;
/** The port of this process's server (the tokens benchmark takes its own, so a concurrent serving benchmark cannot answer it). */
let port = PORT;
const instance = { date: '2014-07-04', precipitation: 0, temp_max: 25, temp_min: 12, wind: 2 };

/** Trains and deploys the benchmark model once (idempotent), then starts a server on PORT. */
async function serve(): Promise<ChildProcess> {
  const config = loadConfig();
  const stores = openStores(config);
  try {
    if ((await stores.registry.getAlias(MODEL, 'production').catch(() => undefined)) === undefined) {
      const uri = path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv');
      const spec = parseSpec({ name: MODEL, data: { uri }, target: 'weather', features: { derive: [{ name: 'month', op: 'month', input: 'date' }] } });
      const dataset = await ingest({ uri }, { artifacts: stores.artifacts });
      const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: stores.artifacts });
      const m = await trainStage({ model: MODEL, runKey: 'bench', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) }, { artifacts: stores.artifacts, registry: stores.registry, latencyCalls: 10 });
      await stores.registry.setAlias({ model: MODEL, alias: 'production', version: m.version, actor: 'bench', reason: 'serving benchmark' });
    }
  } finally {
    await stores.close();
  }
  const child = spawn(process.execPath, [path.join(projectRoot(), 'bin', 'mlops.js'), 'serve', '--address', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/v1/models/${MODEL}`).then((r) => r.ok, () => false);
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error('the model server did not start');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(body: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = http.request({ host: '127.0.0.1', port, path: `/v1/models/${MODEL}:predict`, method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withServer<T>(fn: () => Promise<T>): Promise<T> {
  const child = await serve();
  try {
    for (let i = 0; i < 500; i++) await request(JSON.stringify({ instances: [instance] })); // warm-up
    return await fn();
  } finally {
    child.kill('SIGTERM');
  }
}

/** Single-row predict requests per second: 32 concurrent keep-alive clients for 5 s. */
async function throughput(token?: string): Promise<number> {
  const body = JSON.stringify({ instances: [instance] });
  let done = 0;
  const end = Date.now() + 5_000;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (Date.now() < end) {
      await request(body, token);
      done++;
    }
  }));
  return done / 5;
}

export const servingThroughput: Benchmark = {
  name: 'serving-throughput',
  what: 'Peak single-row predict throughput over HTTP on loopback: 32 concurrent keep-alive clients for 5 s (server and load generator share the 2 cores).',
  unit: 'req/s',
  target: 5000,
  better: 'higher',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: () => withServer(() => throughput()),
};

export const servingTokens: Benchmark = {
  name: 'serving-tokens-throughput-ratio',
  what: 'Predict throughput with bearer tokens required, as a share of the same server without tokens in the same run (32 clients, 5 s each; a schema of its own, so no other server is affected).',
  unit: '×',
  target: 0.9,
  better: 'higher',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: async () => {
    // Tokens switch auth on for every server of a schema: this benchmark uses one of its own, and a port of its own.
    port = PORT + 2;
    process.env.MLOPS_DB_SCHEMA = 'bench_tokens';
    process.env.MLOPS_S3_PREFIX = 'bench-tokens';
    const stores = openStores(loadConfig());
    await migrate(stores.pool, stores.schema);
    await stores.pool.query('DELETE FROM serving_tokens');
    await stores.close();
    const status = (): Promise<number> => fetch(`http://127.0.0.1:${port}/v1/models/${MODEL}:predict`, { method: 'POST', body: '{}' }).then((r) => r.status, () => 0);
    const until = async (code: number): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while ((await status()) !== code) {
        if (Date.now() > deadline) throw new Error(`the server on port ${port} did not answer ${code} within 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    return withServer(async () => {
      // open, with a token, open again: the token figure against the mean of the two around it (the load drifts).
      const pool = openStores(loadConfig()).pool;
      try {
        const before = await throughput();
        const token = await createToken(pool, { name: 'bench', scope: 'predict', createdBy: 'bench' });
        await until(401);
        const guarded = await throughput(token);
        await pool.query('DELETE FROM serving_tokens');
        await until(400);
        const after = await throughput();
        console.error(`serving-tokens: open ${before} req/s, with a token ${guarded} req/s, open ${after} req/s`);
        return guarded / ((before + after) / 2);
      } finally {
        await pool.end();
      }
    });
  },
};

export const servingP99: Benchmark = {
  name: 'serving-p99-at-1000rps',
  what: 'p99 latency of single-row predict requests sent at a steady 1,000 req/s for 5 s over HTTP on loopback.',
  unit: 'ms',
  target: 5,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: () =>
    withServer(async () => {
      const body = JSON.stringify({ instances: [instance] });
      const latencies: number[] = [];
      const pending: Promise<void>[] = [];
      const start = Date.now();
      for (let i = 0; i < 5000; i++) {
        const due = start + i;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(request(body).then((ms) => void latencies.push(ms)));
      }
      await Promise.all(pending);
      latencies.sort((a, b) => a - b);
      return latencies[Math.floor(latencies.length * 0.99)]!;
    }),
};

export const servingBatch: Benchmark = {
  name: 'serving-batch-1000',
  what: 'One predict request with 1,000 instances (derivations, input checks, one ONNX run), median of 50 requests.',
  unit: 'ms',
  target: 20,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: () =>
    withServer(async () => {
      const body = JSON.stringify({ instances: Array.from({ length: 1000 }, (_, i) => ({ ...instance, temp_max: 10 + (i % 20) })) });
      const times: number[] = [];
      for (let i = 0; i < 50; i++) times.push(await request(body));
      times.sort((a, b) => a - b);
      return times[25]!;
    }),
};
