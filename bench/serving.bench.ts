// The model server under load on loopback: the real `mlops serve` in its own process, serving the
// production version of a model trained here; the load generator runs in the benchmark process.
// The protocol benchmarks put V1, V2 REST and V2 gRPC side by side with a bare Node HTTP echo (the limit
// of this machine and this load generator), all in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
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
import { inferenceServiceConstructor } from '../serving/grpc-client';
import type { Benchmark } from './harness';

const MODEL = 'bench-weather';
const PORT = 18480;
/** The default port of this process's server (the tokens benchmark takes its own, so a concurrent serving benchmark cannot answer it). */
let defaultPort = PORT;
const GRPC_PORT = 18481;
const ECHO_PORT = 18482;
const GRPC_ECHO_PORT = 18483;
const instance = { date: '2014-07-04', precipitation: 0, temp_max: 25, temp_min: 12, wind: 2 };

/** A model the serving benchmarks train and deploy: its name, a spec (without `name`) and the data's URI. */
export interface BenchModel {
  name: string;
  spec: Record<string, unknown>;
  uri: string;
}

const WEATHER: BenchModel = {
  name: MODEL,
  uri: path.join(projectRoot(), 'node_modules', 'vega-datasets', 'data', 'seattle-weather.csv'),
  spec: { target: 'weather', features: { derive: [{ name: 'month', op: 'month', input: 'date' }] } },
};

/** Trains `model` and gives it the production alias, unless it has one already. */
export async function deployBenchModel(model: BenchModel): Promise<void> {
  const stores = openStores(loadConfig());
  try {
    if ((await stores.registry.getAlias(model.name, 'production').catch(() => undefined)) === undefined) {
      const spec = parseSpec({ ...model.spec, name: model.name, data: { uri: model.uri } });
      const dataset = await ingest({ uri: model.uri }, { artifacts: stores.artifacts });
      const f = await featuresStage({ dataset, target: spec.target, features: spec.features, governance: spec.governance }, { artifacts: stores.artifacts });
      const m = await trainStage(
        { model: model.name, runKey: 'bench', spec, dataset, plan: f.plan, planRef: f.planRef, selected: f.plan.features.map((x) => x.name) },
        { artifacts: stores.artifacts, registry: stores.registry, latencyCalls: 10 },
      );
      await stores.registry.setAlias({ model: model.name, alias: 'production', version: m.version, actor: 'bench', reason: 'serving benchmark' });
    }
  } finally {
    await stores.close();
  }
}

/**
 * Trains and deploys the benchmark model once (idempotent), then starts a server on `port` (and `grpcPort`):
 * `mlops serve` of the checkout at `root` (this one by default; it must be built).
 */
export async function serve(opts: { port?: number; grpcPort?: number; nodeArgs?: string[]; root?: string; model?: BenchModel } = {}): Promise<ChildProcess> {
  const port = opts.port ?? defaultPort;
  const model = opts.model ?? WEATHER;
  await deployBenchModel(model);
  const args = [
    ...(opts.nodeArgs ?? []),
    path.join(opts.root ?? projectRoot(), 'bin', 'mlops.js'),
    'serve',
    '--address',
    `127.0.0.1:${port}`,
    '--grpc-address',
    `127.0.0.1:${opts.grpcPort ?? GRPC_PORT}`,
  ];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/v1/models/${model.name}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error('the model server did not start');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(body: string, target = `/v1/models/${MODEL}:predict`, port = defaultPort, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = http.request({ host: '127.0.0.1', port, path: target, method: 'POST', agent, headers }, (res) => {
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
async function predictThroughput(token?: string): Promise<number> {
  const body = JSON.stringify({ instances: [instance] });
  let done = 0;
  const end = Date.now() + 5_000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (Date.now() < end) {
        await request(body, undefined, undefined, token);
        done++;
      }
    }),
  );
  return done / 5;
}

export const servingThroughput: Benchmark = {
  name: 'serving-throughput',
  what: 'Peak single-row predict throughput over HTTP on loopback: 32 concurrent keep-alive clients for 5 s (server and load generator share the 2 cores).',
  unit: 'req/s',
  target: 5000,
  better: 'higher',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: () => withServer(() => predictThroughput()),
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
    defaultPort = PORT + 2;
    process.env.MLOPS_DB_SCHEMA = 'bench_tokens';
    process.env.MLOPS_S3_PREFIX = 'bench-tokens';
    const stores = openStores(loadConfig());
    await migrate(stores.pool, stores.schema);
    await stores.pool.query('DELETE FROM serving_tokens');
    await stores.close();
    const status = (): Promise<number> =>
      fetch(`http://127.0.0.1:${defaultPort}/v1/models/${MODEL}:predict`, { method: 'POST', body: '{}' }).then(
        (r) => r.status,
        () => 0,
      );
    const until = async (code: number): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while ((await status()) !== code) {
        if (Date.now() > deadline) throw new Error(`the server on port ${defaultPort} did not answer ${code} within 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    return withServer(async () => {
      // open, with a token, open again: the token figure against the mean of the two around it (the load drifts).
      const pool = openStores(loadConfig()).pool;
      try {
        const before = await predictThroughput();
        const token = await createToken(pool, { name: 'bench', scope: 'predict', createdBy: 'bench' });
        await until(401);
        const guarded = await predictThroughput(token);
        await pool.query('DELETE FROM serving_tokens');
        await until(400);
        const after = await predictThroughput();
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

// ---------------------------------------------------------------- protocols side by side

const v1Body = JSON.stringify({ instances: [instance] });
const v2Body = JSON.stringify({
  inputs: Object.entries(instance).map(([name, v]) => ({ name, datatype: typeof v === 'string' ? 'BYTES' : 'FP64', shape: [1], data: [v] })),
});
const grpcRequest = {
  model_name: MODEL,
  inputs: Object.entries(instance).map(([name, v]) =>
    typeof v === 'string'
      ? { name, datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from(v)] } }
      : { name, datatype: 'FP64', shape: [1], contents: { fp64_contents: [v] } },
  ),
};

export type Send = () => Promise<number>;
export type Protocol = 'v1' | 'v2' | 'grpc';

/** Senders of one single-row predict per protocol to a server on `port` / `grpcPort`; close() ends the gRPC connection. */
export function protocolSenders(port = PORT, grpcPort = GRPC_PORT): { send: Record<Protocol, Send>; close: () => void } {
  // No Nagle delay on the client's small frames (what gRPC clients set, and what the HTTP agent does).
  const session = http2.connect(`http://127.0.0.1:${grpcPort}`, { createConnection: () => net.connect({ host: '127.0.0.1', port: grpcPort, noDelay: true }) });
  return {
    send: {
      v1: () => request(v1Body, `/v1/models/${MODEL}:predict`, port),
      v2: () => request(v2Body, `/v2/models/${MODEL}/infer`, port),
      grpc: grpcSend(session),
    },
    close: () => session.close(),
  };
}

/**
 * gRPC the way the REST senders do HTTP: the request encoded once (by the official proto), then sent as a
 * gRPC frame over one HTTP/2 connection with concurrent streams; an answer counts only with grpc-status 0.
 * A raw client keeps the load generator's own CPU (which shares the cores) as small as the HTTP client's.
 */
function grpcSend(session: http2.ClientHttp2Session): Send {
  const message = inferenceServiceConstructor().service.ModelInfer!.requestSerialize(grpcRequest);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  const headers = { ':method': 'POST', ':path': '/inference.GRPCInferenceService/ModelInfer', 'content-type': 'application/grpc', te: 'trailers' };
  return () =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const stream = session.request(headers);
      let status: string | undefined;
      stream.on('trailers', (t) => void (status = String(t['grpc-status'])));
      stream.on('data', () => undefined);
      stream.on('end', () => (status === '0' ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`grpc-status ${status}`))));
      stream.on('error', reject);
      stream.end(frame);
    });
}

/** Closed loop: `concurrency` callers sending back to back for `seconds`; requests per second. */
async function throughput(send: Send, seconds = 1, concurrency = 32): Promise<number> {
  let done = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await send();
        done++;
      }
    }),
  );
  return done / seconds;
}

/** Open loop: one request a millisecond for `seconds`, whatever the answers do; the latencies in ms. */
async function openLoop(send: Send, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = Date.now();
  for (let i = 0; i < seconds * 1000; i++) {
    const wait = start + i - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send().then((ms) => void latencies.push(ms)));
  }
  await Promise.all(pending);
  return latencies;
}

function p99(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.99)]!;
}

/**
 * Runs `slice` for each sender in turn, one second each, for `rounds` rounds in a rotating order: load
 * from elsewhere on the machine drifts, and interleaving spreads the drift over every protocol alike.
 */
async function interleaved<K extends string, R>(senders: Record<K, Send>, rounds: number, slice: (send: Send) => Promise<R>): Promise<Record<K, R[]>> {
  const keys = Object.keys(senders) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as R[]])) as Record<K, R[]>;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(i + r) % keys.length]!;
      out[k].push(await slice(senders[k]));
    }
  }
  return out;
}

/** A bare Node HTTP server that answers each body with itself: what the machine allows a Node server. */
async function startEcho(): Promise<ChildProcess> {
  const code = `require('node:http').createServer((q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { const b = Buffer.concat(c); s.writeHead(200, { 'content-type': 'application/json', 'content-length': b.length }); s.end(b); }); }).listen(${ECHO_PORT}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (
      await request('{}', '/', ECHO_PORT).then(
        () => true,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('the echo server did not start');
}

/**
 * The same limit for gRPC: a bare node:http2 server that answers every call with one canned gRPC message and
 * grpc-status 0, reading nothing. No gRPC server in Node can beat it, so it bounds what V2 gRPC may reach.
 */
async function startGrpcEcho(): Promise<{ child: ChildProcess; session: http2.ClientHttp2Session }> {
  const code = `const m = Buffer.from([0, 0, 0, 0, 8, 10, 6, 109, 111, 100, 101, 108, 49]); require('node:http2').createServer().on('stream', (st) => { st.on('data', () => {}); st.on('end', () => { st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true }); st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0' })); st.end(m); }); }).listen(${GRPC_ECHO_PORT}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const session = http2.connect(`http://127.0.0.1:${GRPC_ECHO_PORT}`, {
      createConnection: () => net.connect({ host: '127.0.0.1', port: GRPC_ECHO_PORT, noDelay: true }),
    });
    session.on('error', () => undefined);
    if (
      await grpcSend(session)().then(
        () => true,
        () => false,
      )
    )
      return { child, session };
    session.destroy();
  }
  child.kill();
  throw new Error('the gRPC echo server did not start');
}

type Sender = 'echo' | 'grpcEcho' | Protocol;

/** The five senders, warmed up, with the model server and both echoes running; stops them afterwards. */
async function withProtocols<T>(fn: (senders: Record<Sender, Send>) => Promise<T>): Promise<T> {
  const child = await serve();
  const echo = await startEcho();
  const grpcEcho = await startGrpcEcho();
  const protocols = protocolSenders();
  try {
    const senders = { echo: () => request(v1Body, '/', ECHO_PORT), grpcEcho: grpcSend(grpcEcho.session), ...protocols.send };
    for (const send of Object.values(senders)) for (let i = 0; i < 500; i++) await send(); // warm-up
    return await fn(senders);
  } finally {
    protocols.close();
    grpcEcho.session.close();
    grpcEcho.child.kill('SIGTERM');
    echo.kill('SIGTERM');
    child.kill('SIGTERM');
  }
}

const ROUNDS = 5;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export const servingProtocols: Benchmark = {
  name: 'serving-protocols',
  what: `Single-row predict throughput of V1 REST, V2 REST and V2 gRPC with the prediction log on, beside a bare Node HTTP echo and a bare Node HTTP/2 gRPC echo (one canned answer, no decoding), in the same run: 32 concurrent keep-alive callers (one HTTP/2 connection for gRPC), 1 s slices interleaved over ${ROUNDS} rounds per protocol on loopback (server and load generator share the 2 cores). The figure is V2 REST over the echo.`,
  unit: '× echo',
  target: 0.5,
  better: 'higher',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: () =>
    withProtocols(async (send) => {
      const rates = await interleaved(send, ROUNDS, (s) => throughput(s));
      const [echo, grpcEcho, v1, v2, grpcRate] = [rates.echo, rates.grpcEcho, rates.v1, rates.v2, rates.grpc].map(mean) as [
        number,
        number,
        number,
        number,
        number,
      ];
      return {
        figure: v2 / echo,
        details: {
          'echo req/s': echo,
          'gRPC echo req/s': grpcEcho,
          'V1 REST req/s': v1,
          'V2 REST req/s': v2,
          'V2 gRPC req/s': grpcRate,
          'V1 / echo': v1 / echo,
          'V2 REST / V1': v2 / v1,
          'V2 gRPC / V1': grpcRate / v1,
          'V2 gRPC / gRPC echo': grpcRate / grpcEcho,
          'gRPC echo / V1': grpcEcho / v1,
        },
      };
    }),
};

export const servingProtocolsP99: Benchmark = {
  name: 'serving-protocols-p99-at-1000rps',
  what: `p99 latency of single-row predicts sent at a steady 1,000 req/s, 1 s slices interleaved over ${ROUNDS} rounds per protocol (V1 REST, V2 REST, V2 gRPC) with the prediction log on, and of the bare echo, in the same run. The figure is the worst protocol.`,
  unit: 'ms',
  target: 5,
  better: 'lower',
  runs: Number(process.env.BENCH_RUNS ?? 3),
  run: () =>
    withProtocols(async (send) => {
      const lat = await interleaved(send, ROUNDS, (s) => openLoop(s, 1));
      const details = {
        'echo p99 ms': p99(lat.echo.flat()),
        'gRPC echo p99 ms': p99(lat.grpcEcho.flat()),
        'V1 REST p99 ms': p99(lat.v1.flat()),
        'V2 REST p99 ms': p99(lat.v2.flat()),
        'V2 gRPC p99 ms': p99(lat.grpc.flat()),
      };
      return { figure: Math.max(details['V1 REST p99 ms'], details['V2 REST p99 ms'], details['V2 gRPC p99 ms']), details };
    }),
};
